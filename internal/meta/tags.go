package meta

import (
	"context"
	"errors"
	"time"
)

// Tag is a mutable named pointer to a version.
type Tag struct {
	PackageID string
	Name      string
	VersionID string
	Version   string // filled by reads
	UpdatedBy string
	UpdatedAt time.Time
}

// PutTag points a tag at a version and returns the tag as it was before
// (its VersionID and Version empty when it is new). A new tag costs one
// statement. ErrExists reports a concurrent delete of the tag: retry.
func (q Q) PutTag(ctx context.Context, t Tag) (Tag, error) {
	res, err := q.exec(ctx, "INSERT INTO tags (package_id, name, version_id, updated_by, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (package_id, name) DO NOTHING",
		t.PackageID, t.Name, t.VersionID, t.UpdatedBy, Micros(t.UpdatedAt))
	if err != nil {
		return Tag{}, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return Tag{}, err // a new tag
	}
	old, err := q.GetTag(ctx, t.PackageID, t.Name)
	if errors.Is(err, ErrNotFound) {
		return Tag{}, ErrExists // deleted concurrently; the caller retries
	}
	if err != nil {
		return Tag{}, err
	}
	_, err = q.exec(ctx, "UPDATE tags SET version_id = ?, updated_by = ?, updated_at = ? WHERE package_id = ? AND name = ?",
		t.VersionID, t.UpdatedBy, Micros(t.UpdatedAt), t.PackageID, t.Name)
	return old, err
}

// DeleteTag removes a tag; ErrNotFound when it does not exist.
func (q Q) DeleteTag(ctx context.Context, packageID, name string) error {
	return affectedOne(q.exec(ctx, "DELETE FROM tags WHERE package_id = ? AND name = ?", packageID, name))
}

// GetTag returns one tag with its version string, ErrNotFound if none.
func (q Q) GetTag(ctx context.Context, packageID, name string) (Tag, error) {
	var t Tag
	var at int64
	err := q.queryRow(ctx, `SELECT t.package_id, t.name, t.version_id, v.version, t.updated_by, t.updated_at
		FROM tags t JOIN versions v ON v.id = t.version_id WHERE t.package_id = ? AND t.name = ?`, packageID, name).
		Scan(&t.PackageID, &t.Name, &t.VersionID, &t.Version, &t.UpdatedBy, &at)
	if err != nil {
		return Tag{}, notFound(err)
	}
	t.UpdatedAt = FromMicros(at)
	return t, nil
}

// ListTags returns a package's tags ordered by name.
func (q Q) ListTags(ctx context.Context, packageID string) ([]Tag, error) {
	return q.listTags(ctx, `SELECT t.package_id, t.name, t.version_id, v.version, t.updated_by, t.updated_at
		FROM tags t JOIN versions v ON v.id = t.version_id WHERE t.package_id = ? ORDER BY t.name`, packageID)
}

// ListVisibleTags returns the tags of a package that point at a version
// every reader may see (published, not held or rejected by the quarantine
// lane), ordered by name: one query, whatever the number of versions.
func (q Q) ListVisibleTags(ctx context.Context, packageID string) ([]Tag, error) {
	return q.listTags(ctx, `SELECT t.package_id, t.name, t.version_id, v.version, t.updated_by, t.updated_at
		FROM tags t JOIN versions v ON v.id = t.version_id
		WHERE t.package_id = ? AND v.state = 'published'
		AND NOT EXISTS (SELECT 1 FROM quarantine qu WHERE qu.version_id = v.id AND qu.status IN ('quarantined', 'rejected'))
		ORDER BY t.name`, packageID)
}

func (q Q) listTags(ctx context.Context, query string, args ...any) ([]Tag, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Tag
	for rows.Next() {
		var t Tag
		var at int64
		if err := rows.Scan(&t.PackageID, &t.Name, &t.VersionID, &t.Version, &t.UpdatedBy, &at); err != nil {
			return nil, err
		}
		t.UpdatedAt = FromMicros(at)
		out = append(out, t)
	}
	return out, rows.Err()
}
