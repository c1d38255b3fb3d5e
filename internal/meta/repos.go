package meta

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Repo is a stored repository. Settings is the JSON object of its settings,
// owned and validated by package repo.
type Repo struct {
	Key         string
	Type        string
	Format      string
	Description string
	UpstreamURL string
	Members     []string // ordered; virtual repositories only
	Settings    string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

const repoColumns = "key, type, format, description, upstream_url, settings, created_at, updated_at"

// InsertRepo stores a new repository and its members. ErrExists when the key
// is taken; ErrNotFound when a member does not exist.
// It runs several statements: call it on a *Tx.
func (t *Tx) InsertRepo(ctx context.Context, r Repo) error {
	_, err := t.exec(ctx, "INSERT INTO repos ("+repoColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		r.Key, r.Type, r.Format, r.Description, r.UpstreamURL, r.Settings, Micros(r.CreatedAt), Micros(r.UpdatedAt))
	if isUniqueViolation(err) {
		return ErrExists
	}
	if err != nil {
		return err
	}
	return t.insertMembers(ctx, r.Key, r.Members)
}

// UpdateRepo replaces the mutable fields of a repository (description,
// upstream, settings, members). ErrNotFound when it does not exist.
func (t *Tx) UpdateRepo(ctx context.Context, r Repo) error {
	if err := affectedOne(t.exec(ctx, "UPDATE repos SET description = ?, upstream_url = ?, settings = ?, updated_at = ? WHERE key = ?",
		r.Description, r.UpstreamURL, r.Settings, Micros(r.UpdatedAt), r.Key)); err != nil {
		return err
	}
	if _, err := t.exec(ctx, "DELETE FROM repo_members WHERE repo_key = ?", r.Key); err != nil {
		return err
	}
	return t.insertMembers(ctx, r.Key, r.Members)
}

func (q Q) insertMembers(ctx context.Context, key string, members []string) error {
	for i, m := range members {
		_, err := q.exec(ctx, "INSERT INTO repo_members (repo_key, position, member_key) VALUES (?, ?, ?)", key, i, m)
		if isForeignKeyViolation(err) {
			return ErrNotFound
		}
		if isUniqueViolation(err) {
			return ErrExists
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// GetRepo returns one repository with its members, ErrNotFound if none.
func (q Q) GetRepo(ctx context.Context, key string) (Repo, error) {
	r, err := scanRepo(q.queryRow(ctx, "SELECT "+repoColumns+" FROM repos WHERE key = ?", key))
	if errors.Is(err, sql.ErrNoRows) {
		return Repo{}, ErrNotFound
	}
	if err != nil {
		return Repo{}, err
	}
	r.Members, err = q.members(ctx, key)
	return r, err
}

// ListRepos returns every repository ordered by key, with members.
func (q Q) ListRepos(ctx context.Context) ([]Repo, error) {
	rows, err := q.query(ctx, "SELECT "+repoColumns+" FROM repos ORDER BY key")
	if err != nil {
		return nil, err
	}
	var out []Repo
	byKey := map[string]int{}
	for rows.Next() {
		r, err := scanRepo(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		byKey[r.Key] = len(out)
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	mrows, err := q.query(ctx, "SELECT repo_key, member_key FROM repo_members ORDER BY repo_key, position")
	if err != nil {
		return nil, err
	}
	defer mrows.Close()
	for mrows.Next() {
		var k, m string
		if err := mrows.Scan(&k, &m); err != nil {
			return nil, err
		}
		if i, ok := byKey[k]; ok {
			out[i].Members = append(out[i].Members, m)
		}
	}
	return out, mrows.Err()
}

func (q Q) members(ctx context.Context, key string) ([]string, error) {
	return q.queryStrings(ctx, "SELECT member_key FROM repo_members WHERE repo_key = ? ORDER BY position", key)
}

// VirtualParents returns the keys of virtual repositories that list key as a member.
func (q Q) VirtualParents(ctx context.Context, key string) ([]string, error) {
	return q.queryStrings(ctx, "SELECT repo_key FROM repo_members WHERE member_key = ? ORDER BY repo_key", key)
}

// DeleteRepo removes a repository with its members list, bindings, packages
// and blob links. It first removes the repository from every virtual
// repository that lists it (callers decide whether that is allowed).
// ErrNotFound when it does not exist.
func (t *Tx) DeleteRepo(ctx context.Context, key string, at time.Time) error {
	if _, err := t.exec(ctx, "DELETE FROM repo_members WHERE member_key = ?", key); err != nil {
		return err
	}
	// Published versions cannot be deleted, only tombstoned (the database
	// enforces it); tombstone them so the cascade can remove them.
	if _, err := t.exec(ctx, `UPDATE versions SET state = 'tombstoned', tombstoned_at = ?, updated_at = ?
		WHERE state = 'published' AND package_id IN (SELECT id FROM packages WHERE repo_key = ?)`, Micros(at), Micros(at), key); err != nil {
		return err
	}
	return affectedOne(t.exec(ctx, "DELETE FROM repos WHERE key = ?", key))
}

// CountPackages reports how many packages a repository holds.
func (q Q) CountPackages(ctx context.Context, key string) (int64, error) {
	var n int64
	err := q.queryRow(ctx, "SELECT COUNT(*) FROM packages WHERE repo_key = ?", key).Scan(&n)
	return n, err
}

func scanRepo(s scanner) (Repo, error) {
	var r Repo
	var created, updated int64
	if err := s.Scan(&r.Key, &r.Type, &r.Format, &r.Description, &r.UpstreamURL, &r.Settings, &created, &updated); err != nil {
		return Repo{}, err
	}
	r.CreatedAt, r.UpdatedAt = FromMicros(created), FromMicros(updated)
	return r, nil
}
