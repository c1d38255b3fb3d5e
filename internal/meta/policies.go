package meta

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// PolicyRow is a stored policy. Repo is "" for a global policy.
type PolicyRow struct {
	ID         string
	Repo       string
	Name       string
	Expression string
	Action     string
	Message    string
	OnError    string
	CreatedBy  string
	CreatedAt  time.Time
	UpdatedBy  string
	UpdatedAt  time.Time
}

const policyColumns = "id, repo_key, name, expression, action, message, on_error, created_by, created_at, updated_by, updated_at"

func repoKeyOrNull(repo string) any {
	if repo == "" {
		return nil
	}
	return repo
}

// InsertPolicy stores a policy; ErrExists when its scope has one of that name.
func (q Q) InsertPolicy(ctx context.Context, p PolicyRow) error {
	_, err := q.exec(ctx, "INSERT INTO policies ("+policyColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		p.ID, repoKeyOrNull(p.Repo), p.Name, p.Expression, p.Action, p.Message, p.OnError, p.CreatedBy, Micros(p.CreatedAt), p.UpdatedBy, Micros(p.UpdatedAt))
	if isUniqueViolation(err) {
		return ErrExists
	}
	return err
}

// UpdatePolicy replaces a policy's rule; ErrNotFound when it does not exist.
func (q Q) UpdatePolicy(ctx context.Context, p PolicyRow) error {
	return affectedOne(q.exec(ctx, "UPDATE policies SET expression = ?, action = ?, message = ?, on_error = ?, updated_by = ?, updated_at = ? WHERE id = ?",
		p.Expression, p.Action, p.Message, p.OnError, p.UpdatedBy, Micros(p.UpdatedAt), p.ID))
}

// DeletePolicy removes a policy of a scope ("" = global); ErrNotFound when none.
func (q Q) DeletePolicy(ctx context.Context, repo, name string) error {
	return affectedOne(q.exec(ctx, "DELETE FROM policies WHERE COALESCE(repo_key, '') = ? AND name = ?", repo, name))
}

// GetPolicy returns a policy of a scope ("" = global) by name.
func (q Q) GetPolicy(ctx context.Context, repo, name string) (PolicyRow, error) {
	return scanPolicy(q.queryRow(ctx, "SELECT "+policyColumns+" FROM policies WHERE COALESCE(repo_key, '') = ? AND name = ?", repo, name))
}

// ListPolicies lists the policies of one scope ("" = global) by name.
func (q Q) ListPolicies(ctx context.Context, repo string) ([]PolicyRow, error) {
	return q.policies(ctx, "SELECT "+policyColumns+" FROM policies WHERE COALESCE(repo_key, '') = ? ORDER BY name", repo)
}

// EffectivePolicies lists what applies to a repository: the global
// policies, then the repository's own, each by name.
func (q Q) EffectivePolicies(ctx context.Context, repo string) ([]PolicyRow, error) {
	return q.policies(ctx, "SELECT "+policyColumns+" FROM policies WHERE repo_key IS NULL OR repo_key = ? ORDER BY repo_key IS NOT NULL, name", repo)
}

func (q Q) policies(ctx context.Context, query string, args ...any) ([]PolicyRow, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PolicyRow
	for rows.Next() {
		p, err := scanPolicy(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func scanPolicy(s scanner) (PolicyRow, error) {
	var p PolicyRow
	var repo sql.NullString
	var created, updated int64
	err := s.Scan(&p.ID, &repo, &p.Name, &p.Expression, &p.Action, &p.Message, &p.OnError, &p.CreatedBy, &created, &p.UpdatedBy, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return PolicyRow{}, ErrNotFound
	}
	if err != nil {
		return PolicyRow{}, err
	}
	p.Repo, p.CreatedAt, p.UpdatedAt = repo.String, FromMicros(created), FromMicros(updated)
	return p, nil
}

// PolicyEvaluation is one logged evaluation of a policy against a version.
type PolicyEvaluation struct {
	ID        int64
	VersionID string
	Repo      string
	Stage     string
	Policy    string
	Decision  string
	Passed    bool
	Message   string
	Error     string
	Duration  time.Duration
	Actor     string
	CreatedAt time.Time
}

// InsertEvaluations appends to a version's evaluation log.
func (q Q) InsertEvaluations(ctx context.Context, evs []PolicyEvaluation) error {
	for _, e := range evs {
		if _, err := q.exec(ctx, "INSERT INTO policy_evaluations (version_id, repo_key, stage, policy, decision, passed, message, error, duration_us, actor, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			e.VersionID, e.Repo, e.Stage, e.Policy, e.Decision, e.Passed, e.Message, e.Error, e.Duration.Microseconds(), e.Actor, Micros(e.CreatedAt)); err != nil {
			return err
		}
	}
	return nil
}

// ListEvaluations returns a version's evaluation log, oldest first.
func (q Q) ListEvaluations(ctx context.Context, versionID string) ([]PolicyEvaluation, error) {
	rows, err := q.query(ctx, "SELECT id, version_id, repo_key, stage, policy, decision, passed, message, error, duration_us, actor, created_at FROM policy_evaluations WHERE version_id = ? ORDER BY id", versionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PolicyEvaluation
	for rows.Next() {
		var e PolicyEvaluation
		var us, at int64
		if err := rows.Scan(&e.ID, &e.VersionID, &e.Repo, &e.Stage, &e.Policy, &e.Decision, &e.Passed, &e.Message, &e.Error, &us, &e.Actor, &at); err != nil {
			return nil, err
		}
		e.Duration, e.CreatedAt = time.Duration(us)*time.Microsecond, FromMicros(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
