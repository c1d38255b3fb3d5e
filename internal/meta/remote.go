package meta

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// RemoteDoc is package metadata a remote repository fetched from its
// upstream, with the validators to revalidate it.
type RemoteDoc struct {
	Repo         string
	Path         string
	Body         []byte
	ETag         string
	LastModified string
	FetchedAt    time.Time
}

// GetRemoteDoc returns the cached document of a remote repository's path,
// ErrNotFound when none is cached.
func (q Q) GetRemoteDoc(ctx context.Context, repo, path string) (RemoteDoc, error) {
	d := RemoteDoc{Repo: repo, Path: path}
	var fetched int64
	err := q.queryRow(ctx, "SELECT body, etag, last_modified, fetched_at FROM remote_metadata WHERE repo_key = ? AND path = ?", repo, path).
		Scan(&d.Body, &d.ETag, &d.LastModified, &fetched)
	if errors.Is(err, sql.ErrNoRows) {
		return RemoteDoc{}, ErrNotFound
	}
	d.FetchedAt = FromMicros(fetched)
	return d, err
}

// PutRemoteDoc stores (or replaces) a cached document.
func (q Q) PutRemoteDoc(ctx context.Context, d RemoteDoc) error {
	_, err := q.exec(ctx, `INSERT INTO remote_metadata (repo_key, path, body, etag, last_modified, fetched_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (repo_key, path) DO UPDATE SET body = excluded.body, etag = excluded.etag, last_modified = excluded.last_modified, fetched_at = excluded.fetched_at`,
		d.Repo, d.Path, d.Body, d.ETag, d.LastModified, Micros(d.FetchedAt))
	return err
}

// TouchRemoteDoc restarts a cached document's TTL (the upstream answered
// 304 Not Modified).
func (q Q) TouchRemoteDoc(ctx context.Context, repo, path string, at time.Time) error {
	return affectedOne(q.exec(ctx, "UPDATE remote_metadata SET fetched_at = ? WHERE repo_key = ? AND path = ?", Micros(at), repo, path))
}

// UpstreamCredentials is what a remote repository presents to its upstream.
type UpstreamCredentials struct {
	Repo      string
	Scheme    string // "basic" or "bearer"
	Username  string
	Secret    string
	UpdatedBy string
	UpdatedAt time.Time
}

// GetUpstreamCredentials returns a repository's upstream credentials,
// ErrNotFound when none are set.
func (q Q) GetUpstreamCredentials(ctx context.Context, repo string) (UpstreamCredentials, error) {
	c := UpstreamCredentials{Repo: repo}
	var at int64
	err := q.queryRow(ctx, "SELECT scheme, username, secret, updated_by, updated_at FROM upstream_credentials WHERE repo_key = ?", repo).
		Scan(&c.Scheme, &c.Username, &c.Secret, &c.UpdatedBy, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return UpstreamCredentials{}, ErrNotFound
	}
	c.UpdatedAt = FromMicros(at)
	return c, err
}

// PutUpstreamCredentials sets (or replaces) a repository's credentials.
func (q Q) PutUpstreamCredentials(ctx context.Context, c UpstreamCredentials) error {
	_, err := q.exec(ctx, `INSERT INTO upstream_credentials (repo_key, scheme, username, secret, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (repo_key) DO UPDATE SET scheme = excluded.scheme, username = excluded.username, secret = excluded.secret,
		updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
		c.Repo, c.Scheme, c.Username, c.Secret, c.UpdatedBy, Micros(c.UpdatedAt))
	return err
}

// DeleteUpstreamCredentials removes them; ErrNotFound when none were set.
func (q Q) DeleteUpstreamCredentials(ctx context.Context, repo string) error {
	return affectedOne(q.exec(ctx, "DELETE FROM upstream_credentials WHERE repo_key = ?", repo))
}
