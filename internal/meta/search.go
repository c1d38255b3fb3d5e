package meta

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// The search read model (package search) keeps a derived index of published
// versions in search_index, full text in search_fts (SQLite FTS5) or a
// tsvector column with a GIN index (PostgreSQL), and its progress in the
// single row of search_state. Nothing else reads or writes these tables, and
// no key or trigger ties them to the truth tables: a missing or broken index
// fails searches and nothing more.

// SearchRow is one row of the search index: a published version as search
// shows it.
type SearchRow struct {
	VersionID   string
	Repo        string
	Format      string
	Namespace   string
	Name        string
	Package     string // the full name as the format writes it
	Version     string
	PublishedAt time.Time
	PublishedBy string
	Description string
	Words       string // lowercase words separated by single spaces
}

// SearchSource is what an index row is derived from: a searchable version
// with its package, read from the truth tables.
type SearchSource struct {
	VersionID   string
	Repo        string
	Format      string
	Namespace   string
	Name        string
	DisplayName string
	Version     string
	Manifest    []byte
	PublishedBy string
	PublishedAt time.Time
}

// searchableVersion is the one definition of a version search may show, on
// versions v. Content hidden from readers (quarantined, rejected) must fail
// it; searches re-check it against the truth tables, so a stale index row
// never shows.
const searchableVersion = "v.state = 'published' AND " + notBlocked

const searchSourceQuery = "SELECT v.id, p.repo_key, p.format, p.namespace, p.name, p.display_name, v.version, v.manifest, v.published_by, v.published_at" +
	" FROM versions v JOIN packages p ON p.id = v.package_id WHERE " + searchableVersion

// SearchSource returns the searchable version id with its package;
// ErrNotFound when it does not exist or is not searchable (not published).
func (q Q) SearchSource(ctx context.Context, versionID string) (SearchSource, error) {
	return scanSearchSource(q.queryRow(ctx, searchSourceQuery+" AND v.id = ?", versionID))
}

// SearchSources returns up to limit searchable versions with ids after
// afterID, ordered by id: the batches of a rebuild.
func (q Q) SearchSources(ctx context.Context, afterID string, limit int) ([]SearchSource, error) {
	query := searchSourceQuery
	if q.d == SQLite {
		// Walk the primary key: through the state index SQLite would read
		// every published version for each batch.
		query = strings.Replace(query, "v.state", "+v.state", 1)
	}
	rows, err := q.query(ctx, query+" AND v.id > ? ORDER BY v.id LIMIT ?", afterID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SearchSource
	for rows.Next() {
		s, err := scanSearchSource(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// CountSearchable counts the searchable versions.
func (q Q) CountSearchable(ctx context.Context) (int64, error) {
	var n int64
	err := q.queryRow(ctx, "SELECT COUNT(*) FROM versions v WHERE "+searchableVersion).Scan(&n)
	return n, err
}

func scanSearchSource(s scanner) (SearchSource, error) {
	var src SearchSource
	var manifest, by sql.NullString
	var at sql.NullInt64
	err := s.Scan(&src.VersionID, &src.Repo, &src.Format, &src.Namespace, &src.Name, &src.DisplayName, &src.Version, &manifest, &by, &at)
	if err != nil {
		return SearchSource{}, notFound(err)
	}
	if manifest.Valid {
		src.Manifest = []byte(manifest.String)
	}
	src.PublishedBy, src.PublishedAt = by.String, FromMicros(at.Int64)
	return src, nil
}

// searchRowColumns are the columns of SearchRow, in its order.
const searchRowColumns = "version_id, repo_key, format, namespace, name, package, version, published_at, published_by, description, words"

// searchUpsertChunk is how many rows one upsert statement writes.
const searchUpsertChunk = 100

// UpsertSearchRows writes rows into the index, replacing rows of the same
// versions: writing a row twice leaves the same index. Each row is stamped
// with the current generation (search_state), never lowered, so that a
// rebuild's final sweep keeps rows that events wrote while it ran.
func (q Q) UpsertSearchRows(ctx context.Context, rows []SearchRow) error {
	for len(rows) > 0 {
		n := min(len(rows), searchUpsertChunk)
		if err := q.upsertSearchChunk(ctx, rows[:n]); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

func (q Q) upsertSearchChunk(ctx context.Context, rows []SearchRow) error {
	var b strings.Builder
	b.WriteString("INSERT INTO search_index (" + searchRowColumns + ", package_key, name_key, generation")
	value := "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT generation FROM search_state WHERE id = 1)"
	if q.d == SQLite {
		// The row's id, also its full-text rowid, orders rows by publication:
		// published_at * searchSlots + the next free slot of that
		// microsecond. The statement does not see its own rows, hence the
		// slot offset k of rows of the same microsecond before it. Past the
		// last slot, ids count down from -1 (found, but ordered oldest).
		b.WriteString(", id")
		value += ", (SELECT CASE WHEN COALESCE(m + 1, ?) + ? < ? THEN COALESCE(m + 1, ?) + ?" +
			" ELSE COALESCE((SELECT MIN(id) FROM search_index WHERE id < 0), 0) - 1 - ? END" +
			" FROM (SELECT MAX(id) AS m FROM search_index WHERE id >= ? AND id < ?))"
	}
	b.WriteString(") VALUES ")
	args := make([]any, 0, len(rows)*17)
	sameMicro := map[int64]int{}
	for i, r := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(value + ")")
		at := Micros(r.PublishedAt)
		args = append(args, r.VersionID, r.Repo, r.Format, r.Namespace, r.Name, r.Package, r.Version, at,
			r.PublishedBy, r.Description, r.Words, strings.ToLower(r.Package), strings.ToLower(r.Name))
		if q.d == SQLite {
			base, k := at*searchSlots, sameMicro[at]
			args = append(args, base, k, base+searchSlots, base, k, i, base, base+searchSlots)
			sameMicro[at]++
		}
	}
	greatest := "max"
	if q.d == Postgres {
		greatest = "GREATEST"
	}
	b.WriteString(" ON CONFLICT (version_id) DO UPDATE SET repo_key = excluded.repo_key, format = excluded.format," +
		" namespace = excluded.namespace, name = excluded.name, package = excluded.package, version = excluded.version," +
		" published_at = excluded.published_at, published_by = excluded.published_by, description = excluded.description," +
		" words = excluded.words, package_key = excluded.package_key, name_key = excluded.name_key," +
		" generation = " + greatest + "(search_index.generation, excluded.generation)")
	query := b.String()
	if len(rows) == 1 || len(rows) == searchUpsertChunk {
		_, err := q.exec(ctx, query, args...)
		return err
	}
	// Other sizes run unprepared: one statement per size would fill the
	// statement cache that the rest of the product relies on.
	_, err := q.c.ExecContext(q.ctx(ctx), q.d.rebind(query), args...)
	return err
}

// searchSlots is how many versions published in the same microsecond get
// order keys (search_index.id) in publication order on SQLite: ids stay
// below 2^63 until the year 2255.
const searchSlots = 1024

// DeleteSearchRow removes a version's row; removing a missing row is not an error.
func (q Q) DeleteSearchRow(ctx context.Context, versionID string) error {
	_, err := q.exec(ctx, "DELETE FROM search_index WHERE version_id = ?", versionID)
	return err
}

// SweepSearchRows removes the rows written before generation (rows of
// versions a rebuild no longer found) and returns how many.
func (q Q) SweepSearchRows(ctx context.Context, generation int64) (int64, error) {
	res, err := q.exec(ctx, "DELETE FROM search_index WHERE generation < ?", generation)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// ListSearchRows returns up to limit index rows with version ids after
// afterVersionID, ordered by version id.
func (q Q) ListSearchRows(ctx context.Context, afterVersionID string, limit int) ([]SearchRow, error) {
	rows, err := q.query(ctx, "SELECT "+searchRowColumns+" FROM search_index WHERE version_id > ? ORDER BY version_id LIMIT ?", afterVersionID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SearchRow
	for rows.Next() {
		r, err := scanSearchRow(rows, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// CountSearchRows counts the index rows.
func (q Q) CountSearchRows(ctx context.Context) (int64, error) {
	var n int64
	err := q.queryRow(ctx, "SELECT COUNT(*) FROM search_index").Scan(&n)
	return n, err
}

func scanSearchRow(s scanner, extra ...any) (SearchRow, error) {
	var r SearchRow
	var at int64
	dest := []any{&r.VersionID, &r.Repo, &r.Format, &r.Namespace, &r.Name, &r.Package, &r.Version, &at, &r.PublishedBy, &r.Description, &r.Words}
	for _, e := range extra {
		if e != nil {
			dest = append(dest, e)
		}
	}
	if err := s.Scan(dest...); err != nil {
		return SearchRow{}, err
	}
	r.PublishedAt = FromMicros(at)
	return r, nil
}
