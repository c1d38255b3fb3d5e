package meta

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"
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
const searchableVersion = "v.state = 'published'"

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
	_, err := q.c.ExecContext(ctx, q.d.rebind(query), args...)
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

// Ranking tiers of a search hit.
const (
	SearchTierOther  = 1 // matched words only
	SearchTierPrefix = 2 // the package's name or full name starts with the query
	SearchTierExact  = 3 // the package's name or full name is the query
)

// SearchQuery selects index rows.
type SearchQuery struct {
	// Terms must all match words of a row as prefixes. Each is a non-empty
	// run of letters and digits, lowercase. None: every row matches.
	Terms []string
	// Rank is the lowercase query text: rows whose package name or full
	// name is Rank (SearchTierExact) or starts with it (SearchTierPrefix)
	// match whatever their words, and come first. "": no ranking (every hit
	// is SearchTierOther).
	Rank string
	// AllRepos searches every repository; otherwise only Repos.
	AllRepos bool
	Repos    []string
	// Format, when set, keeps rows of that format only.
	Format string
	// After, when set, continues after that hit of a previous page.
	After *SearchPosition
	Limit int
}

// SearchPosition is a hit's place in the result order: tier descending,
// then newest published first, then an order among versions published in
// the same microsecond that depends on the engine.
type SearchPosition struct {
	Tier        int
	PublishedAt time.Time
	VersionID   string
	// Key is the row's order key on SQLite (search_index.id); 0 on PostgreSQL.
	Key int64
}

// SearchHit is a matching row with its place in the result order.
type SearchHit struct {
	SearchRow
	Tier int
	Key  int64
}

// Position returns the hit's place, for paging after it.
func (h SearchHit) Position() SearchPosition {
	return SearchPosition{Tier: h.Tier, PublishedAt: h.PublishedAt, VersionID: h.VersionID, Key: h.Key}
}

// Search returns up to sq.Limit rows matching sq in result order. Only
// versions still searchable in the truth tables are returned, whatever the
// index holds: each batch read from the index is checked against them.
//
// Tiers are read one after the other. Exact matches come through the key
// indexes. Prefix matches are first looked for among the newest rows, then
// through the key indexes (see searchTier). Word matches are read in result
// order and stop at the page's end: on SQLite the full-text table yields
// them newest first itself (search_index.id follows the publication time),
// on PostgreSQL the planner walks the publication index or the GIN index,
// whichever its statistics make cheaper; so a word matching every row costs
// about as much as one matching a page.
func (q Q) Search(ctx context.Context, sq SearchQuery) ([]SearchHit, error) {
	tiers := []int{SearchTierOther}
	if sq.Rank != "" {
		tiers = []int{SearchTierExact, SearchTierPrefix, SearchTierOther}
	}
	var out []SearchHit
	for _, tier := range tiers {
		pos := sq.After
		switch {
		case pos != nil && tier > pos.Tier:
			continue // before the position
		case pos != nil && tier < pos.Tier:
			pos = nil // after it: from the start of the tier
		}
		for len(out) < sq.Limit {
			need := sq.Limit - len(out)
			batch, err := q.searchTier(ctx, sq, tier, pos, need)
			if err != nil {
				return nil, err
			}
			visible, err := q.searchable(ctx, batch)
			if err != nil {
				return nil, err
			}
			for _, h := range batch {
				if visible[h.VersionID] {
					out = append(out, h)
				}
			}
			if len(batch) < need {
				break // the tier is exhausted
			}
			p := batch[len(batch)-1].Position()
			pos = &p
		}
		if len(out) >= sq.Limit {
			break
		}
	}
	return out, nil
}

// searchWindow is how many of the newest rows a prefix-tier query first
// looks through (see searchTier).
const searchWindow = 1024

// searchTier reads up to limit rows of one tier after pos, in result order.
func (q Q) searchTier(ctx context.Context, sq SearchQuery, tier int, pos *SearchPosition, limit int) ([]SearchHit, error) {
	pg := q.d == Postgres
	conds, args, err := q.searchConds(sq, tier)
	if err != nil {
		return nil, err
	}
	// The order, and the position after which to read.
	order := " ORDER BY s.id DESC"
	after := " AND s.id < ?"
	var posArgs []any
	if pos != nil {
		posArgs = []any{pos.Key}
	}
	switch {
	case pg:
		order, after = " ORDER BY s.published_at DESC, s.version_id DESC", " AND (s.published_at, s.version_id) < (?, ?)"
		if pos != nil {
			posArgs = []any{Micros(pos.PublishedAt), pos.VersionID}
		}
	case strings.Contains(conds, "search_fts"):
		// The full-text table yields its matches in rowid order itself.
		order, after = " ORDER BY f.rowid DESC", " AND f.rowid < ?"
	}
	if pos == nil {
		after = ""
	}
	cols := "s.version_id, s.repo_key, s.format, s.namespace, s.name, s.package, s.version, s.published_at, s.published_by, s.description, s.words"
	if pg {
		cols += ", 0"
	} else {
		cols += ", s.id"
	}
	if tier != SearchTierPrefix {
		return q.searchRows(ctx, tier, "SELECT "+cols+conds+after+order+" LIMIT ?", append(append(args, posArgs...), limit)...)
	}
	// Prefix matches may be a few rows or most of the index. First look for
	// them among the newest rows after the position: when they are common
	// that fills the page at once. Otherwise find them all through the key
	// indexes and sort them (order by an expression, so that PostgreSQL
	// does not walk every row newest first instead).
	window := "SELECT " + searchRowColumns + ", package_key, name_key"
	if !pg {
		window += ", id"
	}
	window += " FROM search_index s WHERE 1 = 1" + after + order + " LIMIT " + strconv.Itoa(searchWindow)
	windowed := strings.Replace(conds, " FROM search_index s ", " FROM ("+window+") s ", 1)
	hits, err := q.searchRows(ctx, tier, "SELECT "+cols+windowed+order+" LIMIT ?", append(append(append([]any{}, posArgs...), args...), limit)...)
	if err != nil || len(hits) == limit {
		return hits, err
	}
	if pg {
		order = " ORDER BY s.published_at + 0 DESC, s.version_id DESC"
	} else {
		order = " ORDER BY s.id + 0 DESC"
	}
	return q.searchRows(ctx, tier, "SELECT "+cols+conds+after+order+" LIMIT ?", append(append(args, posArgs...), limit)...)
}

// searchConds returns the FROM and WHERE clauses of a tier's rows, without
// their position.
func (q Q) searchConds(sq SearchQuery, tier int) (string, []any, error) {
	pg := q.d == Postgres
	from := " FROM search_index s WHERE 1 = 1"
	var args []any
	lo, hi := sq.Rank, sq.Rank+"\U0010FFFF" // every key starting with Rank sorts in [lo, hi)
	ge, lt := " >= ", " < "
	if pg {
		ge, lt = " ~>=~ ", " ~<~ " // bytewise, whatever the collation
	}
	prefix := "((s.package_key" + ge + "? AND s.package_key" + lt + "?) OR (s.name_key" + ge + "? AND s.name_key" + lt + "?))"
	switch tier {
	case SearchTierExact:
		from += " AND (s.package_key = ? OR s.name_key = ?)"
		args = append(args, sq.Rank, sq.Rank)
	case SearchTierPrefix:
		from += " AND " + prefix + " AND s.package_key <> ? AND s.name_key <> ?"
		args = append(args, lo, hi, lo, hi, sq.Rank, sq.Rank)
	default:
		if len(sq.Terms) > 0 {
			match, err := q.d.matchExpr(sq.Terms)
			if err != nil {
				return "", nil, err
			}
			if pg {
				from += " AND s.tsv @@ to_tsquery('simple', ?)"
			} else {
				from = " FROM search_fts f JOIN search_index s ON s.id = f.rowid WHERE search_fts MATCH ?"
			}
			args = append(args, match)
		}
		if sq.Rank != "" {
			from += " AND NOT " + prefix
			args = append(args, lo, hi, lo, hi)
		}
	}
	switch {
	case sq.AllRepos:
	case len(sq.Repos) == 1 && tier == SearchTierOther && len(sq.Terms) == 0 && sq.Rank == "":
		// Listing one repository: its index holds the rows in order.
		from += " AND s.repo_key = ?"
		args = append(args, sq.Repos[0])
	case pg && tier == SearchTierOther:
		from += " AND s.repo_key = ANY (CAST(? AS text[]))"
		args = append(args, pgTextArray(sq.Repos))
	case pg:
		// An expression: for name matches the repository index would be
		// read whole (the planner cannot know how names correlate with
		// repositories).
		from += " AND s.repo_key || '' = ANY (CAST(? AS text[]))"
		args = append(args, pgTextArray(sq.Repos))
	default:
		// Unary plus: never through the repository index, which holds the
		// rows in no useful order for several repositories.
		js, _ := json.Marshal(sq.Repos)
		from += " AND +s.repo_key IN (SELECT value FROM json_each(?))"
		args = append(args, string(js))
	}
	if sq.Format != "" {
		from += " AND s.format = ?"
		args = append(args, sq.Format)
	}
	return from, args, nil
}

// searchRows runs a tier's query.
func (q Q) searchRows(ctx context.Context, tier int, query string, args ...any) ([]SearchHit, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SearchHit
	for rows.Next() {
		h := SearchHit{Tier: tier}
		if h.SearchRow, err = scanSearchRow(rows, &h.Key); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// searchable reports which of the hits' versions are searchable now.
func (q Q) searchable(ctx context.Context, hits []SearchHit) (map[string]bool, error) {
	if len(hits) == 0 {
		return nil, nil
	}
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.VersionID
	}
	// CROSS JOIN: look the ids up one by one (SQLite would otherwise scan
	// every published version by the state index).
	query := "SELECT v.id FROM json_each(?) j CROSS JOIN versions v ON v.id = j.value WHERE " + searchableVersion
	var arg any
	if q.d == Postgres {
		query = "SELECT v.id FROM versions v WHERE v.id = ANY (CAST(? AS text[])) AND " + searchableVersion
		arg = pgTextArray(ids)
	} else {
		js, _ := json.Marshal(ids)
		arg = string(js)
	}
	found, err := q.queryStrings(ctx, query, arg)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(found))
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}

// matchExpr builds the full-text query: every term as a prefix.
func (d Dialect) matchExpr(terms []string) (string, error) {
	parts := make([]string, len(terms))
	for i, t := range terms {
		if t == "" || strings.IndexFunc(t, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) >= 0 {
			return "", fmt.Errorf("search term %q: want letters and digits only", t)
		}
		if d == Postgres {
			parts[i] = "'" + t + "':*"
		} else {
			parts[i] = `"` + t + `"*`
		}
	}
	if d == Postgres {
		return strings.Join(parts, " & "), nil
	}
	return strings.Join(parts, " AND "), nil
}

// pgTextArray renders a PostgreSQL text[] literal.
func pgTextArray(ss []string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, s := range ss {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(pgArrayEscaper.Replace(s))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

var pgArrayEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// Rebuild states of the search index.
const (
	SearchIdle    = "idle"
	SearchRunning = "running"
	SearchPaused  = "paused"
)

// SearchState is the single row of search_state.
type SearchState struct {
	// Generation stamps index rows; a rebuild raises it and at its end
	// sweeps rows of older generations.
	Generation int64
	// LastEventID is the newest outbox event applied to the index (by the
	// indexer, or covered by a finished rebuild), LastEventAt its time.
	LastEventID int64
	LastEventAt *time.Time
	// The rebuild: its state, the last version id it indexed, how many
	// versions it indexed of how many, the newest indexable event when it
	// started, and when it started, last progressed and finished.
	Rebuild           string
	RebuildCursor     string
	RebuildIndexed    int64
	RebuildTotal      int64
	RebuildEventID    int64
	RebuildEventAt    *time.Time
	RebuildStartedAt  *time.Time
	RebuildUpdatedAt  *time.Time
	RebuildFinishedAt *time.Time
}

// GetSearchState reads the search state. With lock, on PostgreSQL, the row
// stays locked until the transaction ends (call it on a *Tx); SQLite
// serializes write transactions already.
func (q Q) GetSearchState(ctx context.Context, lock bool) (SearchState, error) {
	query := "SELECT generation, last_event_id, last_event_at, rebuild_state, rebuild_cursor, rebuild_indexed, rebuild_total," +
		" rebuild_event_id, rebuild_event_at, rebuild_started_at, rebuild_updated_at, rebuild_finished_at FROM search_state WHERE id = 1"
	if lock && q.d == Postgres {
		query += " FOR UPDATE"
	}
	var s SearchState
	var lastAt, evAt, started, updated, finished sql.NullInt64
	err := q.queryRow(ctx, query).Scan(&s.Generation, &s.LastEventID, &lastAt, &s.Rebuild, &s.RebuildCursor, &s.RebuildIndexed,
		&s.RebuildTotal, &s.RebuildEventID, &evAt, &started, &updated, &finished)
	if err != nil {
		return SearchState{}, notFound(err)
	}
	s.LastEventAt, s.RebuildEventAt = timeOrNil(lastAt), timeOrNil(evAt)
	s.RebuildStartedAt, s.RebuildUpdatedAt, s.RebuildFinishedAt = timeOrNil(started), timeOrNil(updated), timeOrNil(finished)
	return s, nil
}

// PutSearchRebuild stores the generation and the rebuild fields of s (not
// the event position: see NoteSearchEvent).
func (q Q) PutSearchRebuild(ctx context.Context, s SearchState) error {
	return affectedOne(q.exec(ctx, "UPDATE search_state SET generation = ?, rebuild_state = ?, rebuild_cursor = ?, rebuild_indexed = ?,"+
		" rebuild_total = ?, rebuild_event_id = ?, rebuild_event_at = ?, rebuild_started_at = ?, rebuild_updated_at = ?, rebuild_finished_at = ? WHERE id = 1",
		s.Generation, s.Rebuild, s.RebuildCursor, s.RebuildIndexed, s.RebuildTotal, s.RebuildEventID, microsOrNil(s.RebuildEventAt),
		microsOrNil(s.RebuildStartedAt), microsOrNil(s.RebuildUpdatedAt), microsOrNil(s.RebuildFinishedAt)))
}

// NoteSearchEvent records that outbox event id (created at at) is applied
// to the index. The position only moves forward.
func (q Q) NoteSearchEvent(ctx context.Context, id int64, at time.Time) error {
	_, err := q.exec(ctx, "UPDATE search_state SET last_event_id = ?, last_event_at = ? WHERE id = 1 AND last_event_id < ?", id, Micros(at), id)
	return err
}

// NewestEvent returns the newest outbox event of one of types (0 and nil
// when there is none).
func (q Q) NewestEvent(ctx context.Context, types []string) (int64, *time.Time, error) {
	args := make([]any, len(types))
	for i, t := range types {
		args[i] = t
	}
	var id, at int64
	err := q.queryRow(ctx, "SELECT id, created_at FROM outbox WHERE event_type IN ("+placeholders(len(types))+") ORDER BY id DESC LIMIT 1", args...).Scan(&id, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, err
	}
	t := FromMicros(at)
	return id, &t, nil
}

// CountEventsAfter counts the outbox events of one of types after afterID.
func (q Q) CountEventsAfter(ctx context.Context, types []string, afterID int64) (int64, error) {
	args := []any{afterID}
	for _, t := range types {
		args = append(args, t)
	}
	var n int64
	err := q.queryRow(ctx, "SELECT COUNT(*) FROM outbox WHERE id > ? AND event_type IN ("+placeholders(len(types))+")", args...).Scan(&n)
	return n, err
}

// ProbeSearch checks that the search tables answer: the index with its full
// text, and the state.
func (q Q) ProbeSearch(ctx context.Context) error {
	probe := "SELECT COUNT(*) FROM (SELECT s.version_id FROM search_index s WHERE s.id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH 'probe') LIMIT 1) t"
	if q.d == Postgres {
		probe = "SELECT COUNT(*) FROM (SELECT s.version_id FROM search_index s WHERE s.tsv @@ to_tsquery('simple', 'probe') LIMIT 1) t"
	}
	var n int64
	if err := q.queryRow(ctx, probe).Scan(&n); err != nil {
		return err
	}
	if _, err := q.ListSearchRows(ctx, "", 1); err != nil {
		return err
	}
	_, err := q.GetSearchState(ctx, false)
	return err
}

// RepairSearchSchema drops the search tables and creates them again, empty,
// from the dialect's search migration: the way back from a missing or
// broken index. The truth tables are not touched.
func (db *DB) RepairSearchSchema(ctx context.Context) error {
	dir := "migrations/" + string(db.d)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return err
	}
	var ddl []byte
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), "_search.sql") {
			if ddl, err = fs.ReadFile(migrationFS, path.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	if ddl == nil {
		return errors.New("meta: no search migration for " + string(db.d))
	}
	drop := "DROP TABLE IF EXISTS search_index; DROP TABLE IF EXISTS search_state"
	if db.d == SQLite {
		drop = "DROP TABLE IF EXISTS search_fts; " + drop
	}
	return db.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.c.ExecContext(ctx, drop); err != nil {
			return fmt.Errorf("drop search tables: %w", err)
		}
		if _, err := tx.c.ExecContext(ctx, string(ddl)); err != nil {
			return fmt.Errorf("create search tables: %w", err)
		}
		return nil
	})
}
