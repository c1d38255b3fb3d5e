package meta

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Token is a stored personal access token. The secret is never stored; only
// SecretHash (hex SHA-256 of the secret) is.
type Token struct {
	ID         string
	SecretHash string
	Subject    string
	Scopes     []string
	CreatedBy  string
	CreatedAt  time.Time
	ExpiresAt  *time.Time // nil: never expires
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

const tokenColumns = "id, secret_hash, subject, scopes, created_by, created_at, expires_at, last_used_at, revoked_at"

// InsertToken stores a new token. ErrExists when the id is taken.
func (q Q) InsertToken(ctx context.Context, t Token) error {
	scopes, err := json.Marshal(t.Scopes)
	if err != nil {
		return err
	}
	_, err = q.exec(ctx, "INSERT INTO tokens ("+tokenColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
		t.ID, t.SecretHash, t.Subject, string(scopes), t.CreatedBy, Micros(t.CreatedAt), microsOrNil(t.ExpiresAt))
	if isUniqueViolation(err) {
		return ErrExists
	}
	return err
}

// GetToken returns the token with the given id, ErrNotFound if none.
func (q Q) GetToken(ctx context.Context, id string) (Token, error) {
	t, err := scanToken(q.queryRow(ctx, "SELECT "+tokenColumns+" FROM tokens WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, ErrNotFound
	}
	return t, err
}

// TokenFilter selects tokens to list.
type TokenFilter struct {
	Subject        string // "" for all subjects
	IncludeRevoked bool
}

// ListTokens lists tokens, newest first.
func (q Q) ListTokens(ctx context.Context, f TokenFilter) ([]Token, error) {
	query := "SELECT " + tokenColumns + " FROM tokens WHERE 1 = 1"
	var args []any
	if f.Subject != "" {
		query += " AND subject = ?"
		args = append(args, f.Subject)
	}
	if !f.IncludeRevoked {
		query += " AND revoked_at IS NULL"
	}
	rows, err := q.query(ctx, query+" ORDER BY created_at DESC, id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken marks one token revoked. It reports whether a live token changed;
// ErrNotFound when no token has that id.
func (q Q) RevokeToken(ctx context.Context, id string, at time.Time) (bool, error) {
	res, err := q.exec(ctx, "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", Micros(at), id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	if n == 0 {
		if _, err := q.GetToken(ctx, id); err != nil {
			return false, err
		}
	}
	return n > 0, nil
}

// RevokeSubjectTokens revokes every live token of a subject and returns how many.
func (q Q) RevokeSubjectTokens(ctx context.Context, subject string, at time.Time) (int64, error) {
	res, err := q.exec(ctx, "UPDATE tokens SET revoked_at = ? WHERE subject = ? AND revoked_at IS NULL", Micros(at), subject)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// TouchTokens records last-use times in one statement per token, skipping
// times older than what is stored. Callers batch these (see auth.UsageTracker)
// so a request never costs a write.
func (q Q) TouchTokens(ctx context.Context, lastUsed map[string]time.Time) error {
	for id, at := range lastUsed {
		us := Micros(at)
		if _, err := q.exec(ctx, "UPDATE tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)", us, id, us); err != nil {
			return fmt.Errorf("touch token %s: %w", id, err)
		}
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

func scanToken(s scanner) (Token, error) {
	var t Token
	var scopes string
	var created int64
	var expires, used, revoked sql.NullInt64
	if err := s.Scan(&t.ID, &t.SecretHash, &t.Subject, &scopes, &t.CreatedBy, &created, &expires, &used, &revoked); err != nil {
		return Token{}, err
	}
	if err := json.Unmarshal([]byte(scopes), &t.Scopes); err != nil {
		return Token{}, fmt.Errorf("token %s: corrupt scopes: %w", t.ID, err)
	}
	t.CreatedAt = FromMicros(created)
	t.ExpiresAt, t.LastUsedAt, t.RevokedAt = timeOrNil(expires), timeOrNil(used), timeOrNil(revoked)
	return t, nil
}

func microsOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return Micros(*t)
}

func timeOrNil(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := FromMicros(v.Int64)
	return &t
}
