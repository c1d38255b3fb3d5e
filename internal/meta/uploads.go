package meta

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Upload is an upload session's record.
type Upload struct {
	ID             string
	Repo           string
	State          string
	ExpectedDigest string
	ExpectedLength *int64
	Digest         string
	Size           *int64
	Linked         bool
	Error          string
	CreatedBy      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	ExpiresAt      time.Time
	// Chunked sessions only (HashState not nil): the bytes received so far,
	// in Parts chunks, and the running SHA-256 state over them
	// (crypto/sha256 MarshalBinary).
	Received  int64
	Parts     int
	HashState []byte
}

// Chunked reports whether u is a chunked session (appended to in order,
// hashed as the bytes arrive) rather than one of numbered parts.
func (u Upload) Chunked() bool { return u.HashState != nil }

const uploadColumns = "id, repo_key, state, expected_digest, expected_length, digest, size, linked, error, created_by, created_at, updated_at, expires_at, received, parts, hash_state"

// InsertUpload stores a new session.
func (q Q) InsertUpload(ctx context.Context, u Upload) error {
	_, err := q.exec(ctx, "INSERT INTO uploads ("+uploadColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		u.ID, u.Repo, u.State, u.ExpectedDigest, u.ExpectedLength, u.Digest, u.Size, boolInt(u.Linked), u.Error,
		u.CreatedBy, Micros(u.CreatedAt), Micros(u.UpdatedAt), Micros(u.ExpiresAt),
		u.Received, u.Parts, nullBytes(u.HashState))
	return err
}

// GetUpload returns a session, ErrNotFound if none.
func (q Q) GetUpload(ctx context.Context, id string) (Upload, error) {
	u, err := scanUpload(q.queryRow(ctx, "SELECT "+uploadColumns+" FROM uploads WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Upload{}, ErrNotFound
	}
	return u, err
}

// UploadChange is a compare-and-set transition of a session.
type UploadChange struct {
	ID     string
	From   []string // the states the session must be in
	To     string
	At     time.Time
	Digest *string // set when not nil
	Size   *int64
	Linked *bool
	Error  *string
	// ExpectedDigest, when not nil, records the digest the client named
	// (a chunked session learns it only when it is finished).
	ExpectedDigest *string
	// AtReceived, when not nil, is a second condition: the session has
	// received exactly this many bytes (a chunked session's finish must not
	// race an append it has not seen).
	AtReceived *int64
}

// TransitionUpload moves a session from one of c.From to c.To in one
// statement. It reports false when the session was in another state (a lost
// race), so callers never overwrite a state they did not see.
func (q Q) TransitionUpload(ctx context.Context, c UploadChange) (bool, error) {
	query := "UPDATE uploads SET state = ?, updated_at = ?"
	args := []any{c.To, Micros(c.At)}
	if c.Digest != nil {
		query += ", digest = ?"
		args = append(args, *c.Digest)
	}
	if c.Size != nil {
		query += ", size = ?"
		args = append(args, *c.Size)
	}
	if c.Linked != nil {
		query += ", linked = ?"
		args = append(args, boolInt(*c.Linked))
	}
	if c.Error != nil {
		query += ", error = ?"
		args = append(args, *c.Error)
	}
	if c.ExpectedDigest != nil {
		query += ", expected_digest = ?"
		args = append(args, *c.ExpectedDigest)
	}
	query += " WHERE id = ? AND state IN (" + placeholders(len(c.From)) + ")"
	args = append(args, c.ID)
	for _, f := range c.From {
		args = append(args, f)
	}
	if c.AtReceived != nil {
		query += " AND received = ?"
		args = append(args, *c.AtReceived)
	}
	res, err := q.exec(ctx, query, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// CountUploads counts a repository's sessions in the given states.
func (q Q) CountUploads(ctx context.Context, repo string, states []string) (int, error) {
	args := []any{repo}
	for _, s := range states {
		args = append(args, s)
	}
	var n int
	err := q.queryRow(ctx, "SELECT COUNT(*) FROM uploads WHERE repo_key = ? AND state IN ("+placeholders(len(states))+")", args...).Scan(&n)
	return n, err
}

// UploadsToSweep lists sessions in states whose expires_at (or, with
// byUpdate, updated_at) is before cutoff, at most limit.
func (q Q) UploadsToSweep(ctx context.Context, states []string, cutoff time.Time, byUpdate bool, limit int) ([]Upload, error) {
	col := "expires_at"
	if byUpdate {
		col = "updated_at"
	}
	args := []any{}
	for _, s := range states {
		args = append(args, s)
	}
	args = append(args, Micros(cutoff), limit)
	rows, err := q.query(ctx, "SELECT "+uploadColumns+" FROM uploads WHERE state IN ("+placeholders(len(states))+") AND "+col+" < ? ORDER BY "+col+" LIMIT ?", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Upload
	for rows.Next() {
		u, err := scanUpload(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// DeleteUploads removes finished sessions (in states) last changed before cutoff.
func (q Q) DeleteUploads(ctx context.Context, states []string, cutoff time.Time) (int64, error) {
	args := []any{}
	for _, s := range states {
		args = append(args, s)
	}
	args = append(args, Micros(cutoff))
	res, err := q.exec(ctx, "DELETE FROM uploads WHERE state IN ("+placeholders(len(states))+") AND updated_at < ?", args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// LockRepo serializes writers that count-then-insert per repository (upload
// quotas). PostgreSQL locks the repository row until the transaction ends;
// SQLite transactions are serialized already.
func (q Q) LockRepo(ctx context.Context, key string) error {
	if q.d != Postgres {
		return nil
	}
	var k string
	err := q.queryRow(ctx, "SELECT key FROM repos WHERE key = ? FOR UPDATE", key).Scan(&k)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

func scanUpload(s scanner) (Upload, error) {
	var u Upload
	var expLen, size sql.NullInt64
	var linked int
	var created, updated, expires int64
	if err := s.Scan(&u.ID, &u.Repo, &u.State, &u.ExpectedDigest, &expLen, &u.Digest, &size, &linked, &u.Error,
		&u.CreatedBy, &created, &updated, &expires, &u.Received, &u.Parts, &u.HashState); err != nil {
		return Upload{}, err
	}
	if expLen.Valid {
		u.ExpectedLength = &expLen.Int64
	}
	if size.Valid {
		u.Size = &size.Int64
	}
	u.Linked = linked != 0
	u.CreatedAt, u.UpdatedAt, u.ExpiresAt = FromMicros(created), FromMicros(updated), FromMicros(expires)
	return u, nil
}

// nullBytes binds an empty or nil slice as NULL, the same on every driver.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func placeholders(n int) string {
	if n == 0 {
		return "NULL"
	}
	b := make([]byte, 0, 2*n)
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '?')
	}
	return string(b)
}

// UploadAppend moves a chunked session past one more chunk.
type UploadAppend struct {
	ID        string
	From      int64 // the bytes received the appender saw; the compare-and-set condition
	Received  int64
	Parts     int
	HashState []byte
	At        time.Time
}

// AppendUpload records a chunk of a chunked session in one statement. It
// reports false when the session is no longer open or has received other
// bytes since the caller read it (a concurrent append won), so that of two
// appends that saw the same session exactly one lands.
func (q Q) AppendUpload(ctx context.Context, a UploadAppend) (bool, error) {
	res, err := q.exec(ctx, `UPDATE uploads SET received = ?, parts = ?, hash_state = ?, updated_at = ?
		WHERE id = ? AND state = 'open' AND received = ? AND hash_state IS NOT NULL`,
		a.Received, a.Parts, nullBytes(a.HashState), Micros(a.At), a.ID, a.From)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// UploadChunk is one chunk a chunked session accepted: chunk N of the
// session, Size bytes from Start, staged under a name that carries Tag.
type UploadChunk struct {
	Upload string
	N      int
	Tag    string
	Start  int64
	Size   int64
}

// InsertUploadChunk records a chunk, in the transaction of the AppendUpload
// that accepted it.
func (q Q) InsertUploadChunk(ctx context.Context, c UploadChunk) error {
	_, err := q.exec(ctx, "INSERT INTO upload_chunks (upload_id, n, tag, start_offset, size) VALUES (?, ?, ?, ?, ?)",
		c.Upload, c.N, c.Tag, c.Start, c.Size)
	return err
}

// UploadChunks lists a session's chunks in order.
func (q Q) UploadChunks(ctx context.Context, id string) ([]UploadChunk, error) {
	rows, err := q.query(ctx, "SELECT upload_id, n, tag, start_offset, size FROM upload_chunks WHERE upload_id = ? ORDER BY n", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []UploadChunk
	for rows.Next() {
		var c UploadChunk
		if err := rows.Scan(&c.Upload, &c.N, &c.Tag, &c.Start, &c.Size); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
