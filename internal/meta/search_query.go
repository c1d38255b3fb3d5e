package meta

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

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
