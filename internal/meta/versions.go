package meta

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"
)

// Version states.
const (
	VersionDraft      = "draft"
	VersionPublished  = "published"
	VersionTombstoned = "tombstoned"
)

// Version is one version of a package.
type Version struct {
	ID        string
	PackageID string
	Version   string // as written when the draft was created
	// Normalized is Version as the format normalises it (format.NormalizeVersion):
	// unique per package, and what reads by version string look up.
	Normalized   string
	State        string
	Manifest     []byte // nil until put
	CreatedBy    string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	PublishedBy  string
	PublishedAt  *time.Time
	TombstonedAt *time.Time
	// TombstonedBy and TombstoneReason say who tombstoned the version and
	// why; empty unless it is tombstoned.
	TombstonedBy    string
	TombstoneReason string
	// UpstreamPublishedAt is when a remote repository's upstream published
	// a cached version; nil for versions published here.
	UpstreamPublishedAt *time.Time
	// Labels are set on the draft and frozen at publish (JSON object of
	// strings; "{}" when none).
	Labels string
	// Quarantine is the version's quarantine status: "" (never held), or
	// QuarantineHeld, QuarantineReleased, QuarantineRejected. Read-only:
	// it comes from the quarantine table.
	Quarantine string
}

// Offered reports whether readers are offered the version: published and
// not hidden by the quarantine lane.
func (v Version) Offered() bool { return v.State == VersionPublished && !v.Blocked() }

// Blocked reports whether the quarantine lane hides the version from every
// read path (held or rejected).
func (v Version) Blocked() bool {
	return v.Quarantine == QuarantineHeld || v.Quarantine == QuarantineRejected
}

const versionColumns = "id, package_id, version, normalized_version, state, manifest, created_by, created_at, updated_at, published_by, published_at, tombstoned_at, labels, tombstoned_by, tombstone_reason, upstream_published_at"

// versionSelect is versionColumns plus the quarantine status, for reads.
const versionSelect = versionColumns + ", (SELECT q.status FROM quarantine q WHERE q.version_id = versions.id)"

// InsertVersion creates a draft; ErrExists when the package already has
// that version under its normalised spelling (v.Normalized, required).
func (q Q) InsertVersion(ctx context.Context, v Version) error {
	labels := v.Labels
	if labels == "" {
		labels = "{}"
	}
	var manifest any // NULL: none yet
	if v.Manifest != nil {
		manifest = string(v.Manifest)
	}
	_, err := q.exec(ctx, "INSERT INTO versions ("+versionColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, NULL, NULL, ?)",
		v.ID, v.PackageID, v.Version, v.Normalized, v.State, manifest, v.CreatedBy, Micros(v.CreatedAt), Micros(v.UpdatedAt), labels, microsOrNil(v.UpstreamPublishedAt))
	if isUniqueViolation(err) {
		return ErrExists
	}
	return err
}

// GetVersion returns a version by id, ErrNotFound if none.
func (q Q) GetVersion(ctx context.Context, id string) (Version, error) {
	return scanVersion(q.queryRow(ctx, "SELECT "+versionSelect+" FROM versions WHERE id = ?", id))
}

// GetVersionOf returns a package's version by its normalised spelling
// (see Version.Normalized), ErrNotFound if none.
func (q Q) GetVersionOf(ctx context.Context, packageID, normalized string) (Version, error) {
	return scanVersion(q.queryRow(ctx, "SELECT "+versionSelect+" FROM versions WHERE package_id = ? AND normalized_version = ?", packageID, normalized))
}

// ListVersions returns every version of a package (unordered: the catalog
// orders them by the format's rules), optionally only in some states. The
// states are filtered here, not in SQL: with a state condition SQLite's
// planner (no ANALYZE statistics) prefers the state index and walks the
// versions of every package.
func (q Q) ListVersions(ctx context.Context, packageID string, states ...string) ([]Version, error) {
	rows, err := q.query(ctx, "SELECT "+versionSelect+" FROM versions WHERE package_id = ?", packageID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, err
		}
		if len(states) == 0 || slices.Contains(states, v.State) {
			out = append(out, v)
		}
	}
	return out, rows.Err()
}

// SetManifest stores a draft's manifest. The database refuses it for a
// published version.
func (q Q) SetManifest(ctx context.Context, id string, manifest []byte, at time.Time) error {
	return affectedOne(q.exec(ctx, "UPDATE versions SET manifest = ?, updated_at = ? WHERE id = ? AND state = 'draft'", string(manifest), Micros(at), id))
}

// SetLabels replaces a draft's labels. The database refuses it for a
// published version.
func (q Q) SetLabels(ctx context.Context, id, labels string, at time.Time) error {
	return affectedOne(q.exec(ctx, "UPDATE versions SET labels = ?, updated_at = ? WHERE id = ? AND state = 'draft'", labels, Micros(at), id))
}

// DeleteDraft removes a draft (its entries go with it), and its package
// when no version is left; false when it was not a draft.
func (q Q) DeleteDraft(ctx context.Context, id, packageID string) (bool, error) {
	res, err := q.exec(ctx, "DELETE FROM versions WHERE id = ? AND state = 'draft'", id)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	_, err = q.exec(ctx, "DELETE FROM packages WHERE id = ? AND NOT EXISTS (SELECT 1 FROM versions WHERE package_id = ?)", packageID, packageID)
	return true, err
}

// PublishVersion moves a draft to published; false when it was not a draft.
func (q Q) PublishVersion(ctx context.Context, id, by string, at time.Time) (bool, error) {
	return changedOne(q.exec(ctx, "UPDATE versions SET state = 'published', published_by = ?, published_at = ?, updated_at = ? WHERE id = ? AND state = 'draft'",
		by, Micros(at), Micros(at), id))
}

// TombstoneVersion moves a published version to tombstoned, recording who
// and why; false when it was not published.
func (q Q) TombstoneVersion(ctx context.Context, id, by, reason string, at time.Time) (bool, error) {
	return changedOne(q.exec(ctx, "UPDATE versions SET state = 'tombstoned', tombstoned_at = ?, tombstoned_by = ?, tombstone_reason = ?, updated_at = ? WHERE id = ? AND state = 'published'",
		Micros(at), by, reason, Micros(at), id))
}

// RestoreVersion moves a tombstoned version back to published; false when
// it was not tombstoned.
func (q Q) RestoreVersion(ctx context.Context, id string, at time.Time) (bool, error) {
	return changedOne(q.exec(ctx, "UPDATE versions SET state = 'published', tombstoned_at = NULL, tombstoned_by = NULL, tombstone_reason = NULL, updated_at = ? WHERE id = ? AND state = 'tombstoned'",
		Micros(at), id))
}

// LockVersion serializes changes to one version within a transaction: on
// PostgreSQL it locks the row until the transaction ends (entry inserts take
// a share lock on it in a trigger); SQLite transactions are serialized already.
func (q Q) LockVersion(ctx context.Context, id string) error {
	if q.d != Postgres {
		return nil
	}
	var got string
	err := q.queryRow(ctx, "SELECT id FROM versions WHERE id = ? FOR UPDATE", id).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

func scanVersion(s scanner) (Version, error) {
	var v Version
	var manifest, publishedBy sql.NullString
	var created, updated int64
	var published, tombstoned, upstream sql.NullInt64
	var quarantine, tombstonedBy, tombstoneReason sql.NullString
	err := s.Scan(&v.ID, &v.PackageID, &v.Version, &v.Normalized, &v.State, &manifest, &v.CreatedBy, &created, &updated, &publishedBy, &published, &tombstoned, &v.Labels,
		&tombstonedBy, &tombstoneReason, &upstream, &quarantine)
	if errors.Is(err, sql.ErrNoRows) {
		return Version{}, ErrNotFound
	}
	if err != nil {
		return Version{}, err
	}
	if manifest.Valid {
		v.Manifest = []byte(manifest.String)
	}
	v.PublishedBy, v.Quarantine = publishedBy.String, quarantine.String
	v.TombstonedBy, v.TombstoneReason = tombstonedBy.String, tombstoneReason.String
	v.CreatedAt, v.UpdatedAt = FromMicros(created), FromMicros(updated)
	v.PublishedAt, v.TombstonedAt, v.UpstreamPublishedAt = timeOrNil(published), timeOrNil(tombstoned), timeOrNil(upstream)
	return v, nil
}
