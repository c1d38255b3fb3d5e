package meta

import (
	"context"
	"database/sql"
	"errors"
)

// GetState returns a system_state value, ErrNotFound if unset.
func (q Q) GetState(ctx context.Context, key string) (string, error) {
	var v string
	err := q.queryRow(ctx, "SELECT value FROM system_state WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return v, err
}

// InsertState sets a system_state value once; ErrExists if it is already set.
// Two nodes racing to bootstrap therefore cannot both succeed.
func (q Q) InsertState(ctx context.Context, key, value string) error {
	_, err := q.exec(ctx, "INSERT INTO system_state (key, value) VALUES (?, ?)", key, value)
	if isUniqueViolation(err) {
		return ErrExists
	}
	return err
}
