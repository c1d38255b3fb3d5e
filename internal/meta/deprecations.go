package meta

import (
	"context"
	"time"
)

// SetDeprecation sets the deprecation notice of a version, or clears it
// when message is "".
func (q Q) SetDeprecation(ctx context.Context, versionID, message, by string, at time.Time) error {
	if message == "" {
		_, err := q.exec(ctx, "DELETE FROM deprecations WHERE version_id = ?", versionID)
		return err
	}
	_, err := q.exec(ctx, `INSERT INTO deprecations (version_id, message, set_by, set_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (version_id) DO UPDATE SET message = excluded.message, set_by = excluded.set_by, set_at = excluded.set_at`,
		versionID, message, by, Micros(at))
	return err
}

// Deprecations returns the deprecation notices of a package's versions,
// by version id.
func (q Q) Deprecations(ctx context.Context, packageID string) (map[string]string, error) {
	rows, err := q.query(ctx, "SELECT d.version_id, d.message FROM deprecations d JOIN versions v ON v.id = d.version_id WHERE v.package_id = ?", packageID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, msg string
		if err := rows.Scan(&id, &msg); err != nil {
			return nil, err
		}
		out[id] = msg
	}
	return out, rows.Err()
}
