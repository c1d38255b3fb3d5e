package meta

import (
	"context"
	"time"
)

// Binding grants roles on one repository to a subject.
type Binding struct {
	Repo    string
	Subject string
	Roles   []string // sorted
}

// PutBinding replaces the roles a subject holds on a repository, in the
// transaction t. ErrNotFound when the repository does not exist.
func (t *Tx) PutBinding(ctx context.Context, b Binding, at time.Time) error {
	if _, err := t.exec(ctx, "DELETE FROM role_bindings WHERE repo_key = ? AND subject = ?", b.Repo, b.Subject); err != nil {
		return err
	}
	if _, err := t.GetRepo(ctx, b.Repo); err != nil {
		return err
	}
	for _, role := range b.Roles {
		_, err := t.exec(ctx, "INSERT INTO role_bindings (repo_key, subject, role, created_at) VALUES (?, ?, ?, ?)",
			b.Repo, b.Subject, role, Micros(at))
		if isForeignKeyViolation(err) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// DeleteBinding removes every role a subject holds on a repository;
// ErrNotFound when it held none.
func (q Q) DeleteBinding(ctx context.Context, repo, subject string) error {
	return affectedOne(q.exec(ctx, "DELETE FROM role_bindings WHERE repo_key = ? AND subject = ?", repo, subject))
}

// RepoBindings lists the bindings on one repository, ordered by subject.
func (q Q) RepoBindings(ctx context.Context, repo string) ([]Binding, error) {
	return q.bindings(ctx, "SELECT repo_key, subject, role FROM role_bindings WHERE repo_key = ? ORDER BY subject, role", repo)
}

// SubjectBindings lists the bindings a subject holds, ordered by repository.
func (q Q) SubjectBindings(ctx context.Context, subject string) ([]Binding, error) {
	return q.bindings(ctx, "SELECT repo_key, subject, role FROM role_bindings WHERE subject = ? ORDER BY repo_key, role", subject)
}

// bindings groups (repo, subject, role) rows, which the query orders so that
// rows of one binding are adjacent.
func (q Q) bindings(ctx context.Context, query string, arg string) ([]Binding, error) {
	rows, err := q.query(ctx, query, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Binding
	for rows.Next() {
		var repo, subject, role string
		if err := rows.Scan(&repo, &subject, &role); err != nil {
			return nil, err
		}
		if n := len(out); n > 0 && out[n-1].Repo == repo && out[n-1].Subject == subject {
			out[n-1].Roles = append(out[n-1].Roles, role)
			continue
		}
		out = append(out, Binding{Repo: repo, Subject: subject, Roles: []string{role}})
	}
	return out, rows.Err()
}
