package meta

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"
)

// Quarantine statuses.
const (
	QuarantineHeld     = "quarantined"
	QuarantineReleased = "released"
	QuarantineRejected = "rejected"
)

// blockedStatuses is the SQL list of statuses that hide a version.
const blockedStatuses = "('" + QuarantineHeld + "', '" + QuarantineRejected + "')"

// notBlocked is the condition, on a versions row aliased v, that the
// quarantine lane does not hide it.
const notBlocked = "NOT EXISTS (SELECT 1 FROM quarantine qv WHERE qv.version_id = v.id AND qv.status IN " + blockedStatuses + ")"

// QuarantineItem is a version held in (or decided out of) the quarantine lane.
type QuarantineItem struct {
	ID        string
	VersionID string
	Repo      string
	Status    string
	Reason    string
	Policies  []string
	CreatedAt time.Time
	DecidedBy string
	DecidedAt *time.Time
	Note      string
	// Namespace, Name and Version are the held version's coordinates
	// (filled by reads).
	Namespace, Name, Version string
}

const quarantineColumns = "id, version_id, repo_key, status, reason, policies, created_at, decided_by, decided_at, note"

// quarantineSelect reads items with their versions' coordinates, in one
// query (the lane's list would otherwise cost two lookups per item).
const quarantineSelect = `SELECT q.id, q.version_id, q.repo_key, q.status, q.reason, q.policies, q.created_at, q.decided_by, q.decided_at, q.note,
	p.namespace, p.name, v.version
	FROM quarantine q JOIN versions v ON v.id = q.version_id JOIN packages p ON p.id = v.package_id`

// InsertQuarantine holds a version in the quarantine lane.
func (q Q) InsertQuarantine(ctx context.Context, it QuarantineItem) error {
	pol, err := json.Marshal(nonNil(it.Policies))
	if err != nil {
		return err
	}
	_, err = q.exec(ctx, "INSERT INTO quarantine ("+quarantineColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, '')",
		it.ID, it.VersionID, it.Repo, it.Status, it.Reason, string(pol), Micros(it.CreatedAt))
	if isUniqueViolation(err) {
		return ErrExists
	}
	return err
}

// GetQuarantine returns an item of a repository by id, ErrNotFound if none.
func (q Q) GetQuarantine(ctx context.Context, repo, id string) (QuarantineItem, error) {
	return scanQuarantine(q.queryRow(ctx, quarantineSelect+" WHERE q.repo_key = ? AND q.id = ?", repo, id))
}

// QuarantineOf returns the quarantine item of a version, ErrNotFound if it
// was never held.
func (q Q) QuarantineOf(ctx context.Context, versionID string) (QuarantineItem, error) {
	return scanQuarantine(q.queryRow(ctx, quarantineSelect+" WHERE q.version_id = ?", versionID))
}

// ListQuarantine lists a repository's items, newest first, optionally of
// one status, at most limit, created before the cursor item when given.
func (q Q) ListQuarantine(ctx context.Context, repo, status string, before *QuarantineItem, limit int) ([]QuarantineItem, error) {
	query := quarantineSelect + " WHERE q.repo_key = ?"
	args := []any{repo}
	if status != "" {
		query += " AND q.status = ?"
		args = append(args, status)
	}
	if before != nil {
		query += " AND (q.created_at < ? OR (q.created_at = ? AND q.id < ?))"
		args = append(args, Micros(before.CreatedAt), Micros(before.CreatedAt), before.ID)
	}
	query += " ORDER BY q.created_at DESC, q.id DESC LIMIT ?"
	args = append(args, limit)
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []QuarantineItem
	for rows.Next() {
		it, err := scanQuarantine(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// DecideQuarantine moves a held item to released or rejected; false when
// it was no longer held (a concurrent decision won).
func (q Q) DecideQuarantine(ctx context.Context, id, status, by, note string, at time.Time) (bool, error) {
	return changedOne(q.exec(ctx, "UPDATE quarantine SET status = ?, decided_by = ?, decided_at = ?, note = ? WHERE id = ? AND status = ?",
		status, by, Micros(at), note, id, QuarantineHeld))
}

// CountBlocked counts a repository's versions the quarantine lane hides.
func (q Q) CountBlocked(ctx context.Context, repo string) (int64, error) {
	var n int64
	err := q.queryRow(ctx, "SELECT COUNT(*) FROM quarantine WHERE repo_key = ? AND status IN "+blockedStatuses, repo).Scan(&n)
	return n, err
}

// BlobBlocked reports whether a blob of a repository is hidden by the
// quarantine lane: it is a file of a hidden version and of no visible
// published version of that repository (a layer shared with a released
// image stays readable).
func (q Q) BlobBlocked(ctx context.Context, repo, digest string) (bool, error) {
	var blocked bool
	// The first test starts from the (few) held items, not from the (many)
	// versions that may ship a popular blob; CROSS JOIN keeps SQLite's
	// planner to that order.
	err := q.queryRow(ctx, `SELECT EXISTS (
			SELECT 1 FROM quarantine qv CROSS JOIN entries e
			WHERE e.version_id = qv.version_id AND qv.repo_key = ? AND qv.status IN `+blockedStatuses+` AND e.digest = ?
		) AND NOT EXISTS (
			SELECT 1 FROM entries e JOIN versions v ON v.id = e.version_id
			WHERE e.repo_key = ? AND e.digest = ? AND v.state = 'published' AND `+notBlocked+`
		)`, repo, digest, repo, digest).Scan(&blocked)
	return blocked, err
}

func scanQuarantine(s scanner) (QuarantineItem, error) {
	var it QuarantineItem
	var pol string
	var created int64
	var decidedBy sql.NullString
	var decided sql.NullInt64
	err := s.Scan(&it.ID, &it.VersionID, &it.Repo, &it.Status, &it.Reason, &pol, &created, &decidedBy, &decided, &it.Note,
		&it.Namespace, &it.Name, &it.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return QuarantineItem{}, ErrNotFound
	}
	if err != nil {
		return QuarantineItem{}, err
	}
	if err := json.Unmarshal([]byte(pol), &it.Policies); err != nil {
		return QuarantineItem{}, err
	}
	it.CreatedAt, it.DecidedBy, it.DecidedAt = FromMicros(created), decidedBy.String, timeOrNil(decided)
	return it, nil
}
