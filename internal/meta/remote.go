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
