package meta

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Blob is a stored blob's record.
type Blob struct {
	Digest    string
	Size      int64
	MD5       string // "" until computed
	SHA1      string
	SHA512    string
	CreatedAt time.Time
}

// BlobLink is a blob as visible in one repository.
type BlobLink struct {
	Blob
	Repo     string
	LinkedBy string
	LinkedAt time.Time
}

// InsertBlob records a blob unless it is already recorded. It reports whether
// it inserted.
func (q Q) InsertBlob(ctx context.Context, b Blob) (bool, error) {
	res, err := q.exec(ctx, "INSERT INTO blobs (digest, size, created_at) VALUES (?, ?, ?) ON CONFLICT (digest) DO NOTHING",
		b.Digest, b.Size, Micros(b.CreatedAt))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// GetBlob returns a blob's record, ErrNotFound if none.
func (q Q) GetBlob(ctx context.Context, digest string) (Blob, error) {
	return scanBlob(q.queryRow(ctx, "SELECT digest, size, md5, sha1, sha512, created_at FROM blobs WHERE digest = ?", digest))
}

// BlobBySHA512 returns the blob whose SHA-512 is sha512Hex (lowercase hex),
// ErrNotFound if none is recorded with it: the store addresses blobs by
// SHA-256 only, so a sha512: digest is resolved here. A blob's SHA-512 is
// recorded when a chunked upload finishes (it hashed the bytes as they came)
// or when the checksummer reaches it.
func (q Q) BlobBySHA512(ctx context.Context, sha512Hex string) (Blob, error) {
	return scanBlob(q.queryRow(ctx, "SELECT digest, size, md5, sha1, sha512, created_at FROM blobs WHERE sha512 = ? ORDER BY digest LIMIT 1", sha512Hex))
}

// SetBlobSHA512 records a blob's SHA-512 (lowercase hex) measured while its
// bytes streamed in, unless one is recorded already. The other checksums
// stay for the checksummer (BlobsMissingChecksums still lists the blob).
func (q Q) SetBlobSHA512(ctx context.Context, digest, sha512Hex string) error {
	_, err := q.exec(ctx, "UPDATE blobs SET sha512 = ? WHERE digest = ? AND sha512 IS NULL", sha512Hex, digest)
	return err
}

func scanBlob(row scanner) (Blob, error) {
	var b Blob
	var md5, sha1, sha512 sql.NullString
	var created int64
	err := row.Scan(&b.Digest, &b.Size, &md5, &sha1, &sha512, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Blob{}, ErrNotFound
	}
	if err != nil {
		return Blob{}, err
	}
	b.MD5, b.SHA1, b.SHA512, b.CreatedAt = md5.String, sha1.String, sha512.String, FromMicros(created)
	return b, nil
}

// SetChecksums stores a blob's lazily computed checksums.
func (q Q) SetChecksums(ctx context.Context, digest, md5, sha1, sha512 string) error {
	_, err := q.exec(ctx, "UPDATE blobs SET md5 = ?, sha1 = ?, sha512 = ? WHERE digest = ?", md5, sha1, sha512, digest)
	return err
}

// BlobsMissingChecksums lists up to limit digests whose checksums are not
// all computed yet. A blob may have its SHA-512 without the others (a
// chunked upload measures it), so any missing one counts.
func (q Q) BlobsMissingChecksums(ctx context.Context, limit int) ([]string, error) {
	return q.queryStrings(ctx, "SELECT digest FROM blobs WHERE md5 IS NULL OR sha1 IS NULL OR sha512 IS NULL ORDER BY created_at LIMIT ?", limit)
}

// LinkBlob makes a recorded blob visible in a repository, unless it already
// is; a link that was deleted (UnlinkBlob) is made visible again. It
// reports whether it linked.
func (q Q) LinkBlob(ctx context.Context, repo, digest, by string, at time.Time) (bool, error) {
	res, err := q.exec(ctx, `INSERT INTO repo_blobs (repo_key, digest, created_by, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (repo_key, digest) DO UPDATE SET deleted_at = NULL, deleted_by = NULL, created_by = excluded.created_by, created_at = excluded.created_at
		WHERE repo_blobs.deleted_at IS NOT NULL`,
		repo, digest, by, Micros(at))
	if isForeignKeyViolation(err) {
		return false, ErrNotFound
	}
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// GetBlobLink returns blob digest as visible in repo, ErrNotFound when it is
// not linked there (even if it is stored for another repository) or its
// link was deleted.
func (q Q) GetBlobLink(ctx context.Context, repo, digest string) (BlobLink, error) {
	l, err := scanBlobLink(q.queryRow(ctx, blobLinkSelect+" WHERE l.repo_key = ? AND l.digest = ? AND l.deleted_at IS NULL", repo, digest))
	if errors.Is(err, sql.ErrNoRows) {
		return BlobLink{}, ErrNotFound
	}
	return l, err
}

// BlobLinks returns the links of repo (not deleted) among digests, by
// digest; a digest it does not link is not in the map. It is one statement
// per maxBatchRows digests.
func (q Q) BlobLinks(ctx context.Context, repo string, digests []string) (map[string]BlobLink, error) {
	out := make(map[string]BlobLink, len(digests))
	for len(digests) > 0 {
		n := min(len(digests), maxBatchRows)
		// Padded to a power of two with the last digest (a repeat in IN is
		// harmless), so that the statement has one of a few texts.
		k := 1
		for k < n {
			k *= 2
		}
		args := make([]any, 0, k+1)
		args = append(args, repo)
		for i := 0; i < k; i++ {
			args = append(args, digests[min(i, n-1)])
		}
		digests = digests[n:]
		rows, err := q.query(ctx, blobLinkSelect+" WHERE l.repo_key = ? AND l.digest IN ("+placeholders(k)+") AND l.deleted_at IS NULL", args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			l, err := scanBlobLink(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out[l.Digest] = l
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// blobLinkSelect reads a link with its blob (scanBlobLink).
const blobLinkSelect = `SELECT b.digest, b.size, b.md5, b.sha1, b.sha512, b.created_at, l.repo_key, l.created_by, l.created_at
		FROM repo_blobs l JOIN blobs b ON b.digest = l.digest`

func scanBlobLink(r scanner) (BlobLink, error) {
	var l BlobLink
	var md5, sha1, sha512 sql.NullString
	var created, linked int64
	if err := r.Scan(&l.Digest, &l.Size, &md5, &sha1, &sha512, &created, &l.Repo, &l.LinkedBy, &linked); err != nil {
		return BlobLink{}, err
	}
	l.MD5, l.SHA1, l.SHA512 = md5.String, sha1.String, sha512.String
	l.CreatedAt, l.LinkedAt = FromMicros(created), FromMicros(linked)
	return l, nil
}

// ReposLinking lists the repositories in which digest is visible (not
// deleted).
func (q Q) ReposLinking(ctx context.Context, digest string) ([]string, error) {
	return q.queryStrings(ctx, "SELECT repo_key FROM repo_blobs WHERE digest = ? AND deleted_at IS NULL ORDER BY repo_key", digest)
}

// UnlinkBlob deletes blob digest from repo: its link is tombstoned, which
// hides it there at once; the bytes, and entries that refer to it, stay.
// It reports whether a visible link was deleted.
func (q Q) UnlinkBlob(ctx context.Context, repo, digest, by string, at time.Time) (bool, error) {
	res, err := q.exec(ctx, "UPDATE repo_blobs SET deleted_at = ?, deleted_by = ? WHERE repo_key = ? AND digest = ? AND deleted_at IS NULL",
		Micros(at), by, repo, digest)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// EachBlobLink calls fn for every (repository, blob) link, for verification
// tools and tests.
func (q Q) EachBlobLink(ctx context.Context, fn func(BlobLink) error) error {
	rows, err := q.query(ctx, `SELECT b.digest, b.size, l.repo_key, l.created_by, l.created_at
		FROM repo_blobs l JOIN blobs b ON b.digest = l.digest ORDER BY l.repo_key, b.digest`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var l BlobLink
		var linked int64
		if err := rows.Scan(&l.Digest, &l.Size, &l.Repo, &l.LinkedBy, &linked); err != nil {
			return err
		}
		l.LinkedAt = FromMicros(linked)
		if err := fn(l); err != nil {
			return err
		}
	}
	return rows.Err()
}
