package meta

import (
	"context"
)

// Entry is one file of a version.
type Entry struct {
	VersionID string
	Repo      string
	Path      string
	Digest    string
	Size      int64
	MediaType string
}

// InsertEntry adds a file to a draft. ErrExists when the path is taken;
// ErrNotFound when the digest is not committed in the repository. The
// database refuses entries of versions that are not drafts.
func (q Q) InsertEntry(ctx context.Context, e Entry) error {
	_, err := q.exec(ctx, "INSERT INTO entries (version_id, repo_key, path, digest, size, media_type) VALUES (?, ?, ?, ?, ?, ?)",
		e.VersionID, e.Repo, e.Path, e.Digest, e.Size, e.MediaType)
	switch {
	case isUniqueViolation(err):
		return ErrExists
	case isForeignKeyViolation(err):
		return ErrNotFound
	}
	return err
}

// ListEntries returns a version's files ordered by path.
func (q Q) ListEntries(ctx context.Context, versionID string) ([]Entry, error) {
	rows, err := q.query(ctx, "SELECT version_id, repo_key, path, digest, size, media_type FROM entries WHERE version_id = ? ORDER BY path", versionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.VersionID, &e.Repo, &e.Path, &e.Digest, &e.Size, &e.MediaType); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// GetEntry returns one file of a version, ErrNotFound if none.
func (q Q) GetEntry(ctx context.Context, versionID, path string) (Entry, error) {
	var e Entry
	err := q.queryRow(ctx, "SELECT version_id, repo_key, path, digest, size, media_type FROM entries WHERE version_id = ? AND path = ?", versionID, path).
		Scan(&e.VersionID, &e.Repo, &e.Path, &e.Digest, &e.Size, &e.MediaType)
	if err != nil {
		return Entry{}, notFound(err)
	}
	return e, nil
}
