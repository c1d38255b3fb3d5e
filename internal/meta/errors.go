package meta

import (
	"database/sql"
	"errors"
)

// Sentinel errors returned by the store. Services translate them into domain
// errors (package fault) with a message naming the resource.
var (
	// ErrNotFound: no row matched.
	ErrNotFound = errors.New("meta: not found")
	// ErrExists: a row with the same key already exists.
	ErrExists = errors.New("meta: already exists")
	// ErrReferenced: the row is still referenced by another row.
	ErrReferenced = errors.New("meta: still referenced")
)

// notFound maps sql.ErrNoRows to ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// changedOne reports whether a statement changed exactly one row.
func changedOne(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// affectedOne turns a statement that changed no row into ErrNotFound.
func affectedOne(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
