package meta

import (
	"context"
	"database/sql"
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

// InsertEntry adds a file to a draft (InsertEntries with one).
func (q Q) InsertEntry(ctx context.Context, e Entry) error {
	return q.InsertEntries(ctx, []Entry{e})
}

// InsertEntries adds files to drafts, a few statements for all of them
// (batchSizes). ErrExists when a path is taken; ErrNotFound when a digest
// is not committed in the repository. The database refuses entries of
// versions that are not drafts. Inside a transaction, a failure leaves
// none of them.
func (q Q) InsertEntries(ctx context.Context, entries []Entry) error {
	for _, k := range batchSizes(len(entries)) {
		args := make([]any, 0, 6*k)
		for _, e := range entries[:k] {
			args = append(args, e.VersionID, e.Repo, e.Path, e.Digest, e.Size, e.MediaType)
		}
		entries = entries[k:]
		_, err := q.exec(ctx, "INSERT INTO entries (version_id, repo_key, path, digest, size, media_type) VALUES "+valueRows(k, 6), args...)
		switch {
		case isUniqueViolation(err):
			return ErrExists
		case isForeignKeyViolation(err):
			return ErrNotFound
		case err != nil:
			return err
		}
	}
	return nil
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

// EntrySums is a file with the lazy checksums of its blob ("" until
// computed).
type EntrySums struct {
	Entry
	SHA1, SHA512 string
}

// PackageEntries returns the files of every version of a package with their
// blobs' checksums, by version id, in one query (package metadata such as
// an npm packument lists them all).
func (q Q) PackageEntries(ctx context.Context, packageID string) (map[string][]EntrySums, error) {
	rows, err := q.query(ctx, `SELECT e.version_id, e.repo_key, e.path, e.digest, e.size, e.media_type, b.sha1, b.sha512
		FROM entries e JOIN versions v ON v.id = e.version_id JOIN blobs b ON b.digest = e.digest
		WHERE v.package_id = ? ORDER BY e.version_id, e.path`, packageID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]EntrySums{}
	for rows.Next() {
		var e EntrySums
		var sha1, sha512 sql.NullString
		if err := rows.Scan(&e.VersionID, &e.Repo, &e.Path, &e.Digest, &e.Size, &e.MediaType, &sha1, &sha512); err != nil {
			return nil, err
		}
		e.SHA1, e.SHA512 = sha1.String, sha512.String
		out[e.VersionID] = append(out[e.VersionID], e)
	}
	return out, rows.Err()
}
