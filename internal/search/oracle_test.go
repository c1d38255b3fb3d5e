package search_test

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/search"
)

// TestAgainstOracle pages through searches over an index larger than the
// window prefix queries look through first, and compares every result with
// the ranking computed in Go from the index rows.
func TestAgainstOracle(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *stack) {
		bulkCatalog(t, s, 2400, 1000)
		s.rebuild(t)
		rows := s.rows(t)
		if len(rows) != 2400 {
			t.Fatalf("index holds %d rows, want 2400", len(rows))
		}
		tests := []struct {
			text   string
			repos  []string // nil: an administrator
			format string
			limit  int
		}{
			{text: "alpha", limit: 7},         // common name prefix: the newest rows hold a page
			{text: "alpha-alpha", limit: 3},   // rare, old name prefix: through the key indexes
			{text: "alpha-alpha-0", limit: 2}, // exact
			{text: "cobalt", limit: 9},        // a word, and a name prefix
			{text: "library", limit: 97},      // every row
			{text: "amber crim", limit: 5},    // two words, the second a prefix
			{text: "alpha", repos: []string{"b1", "b2"}, limit: 4},
			{text: "cobalt", repos: []string{"b3"}, limit: 6},
			{text: "", repos: []string{"b4"}, limit: 50},
			{text: "", repos: []string{"b4", "b7"}, limit: 61},
			{text: "bravo", format: "generic", limit: 11},
			{text: "bravo", format: "npm", limit: 11},
		}
		for _, tt := range tests {
			t.Run(tt.text+"/"+strings.Join(tt.repos, ","), func(t *testing.T) {
				caller := s.admin
				if tt.repos != nil {
					caller = reader(tt.repos...)
				}
				want := oracle(rows, tt.text, tt.repos, tt.format)
				var got []string
				q := search.Query{Text: tt.text, Format: tt.format, Limit: tt.limit}
				for pages := 0; ; pages++ {
					res := s.find(t, caller, q)
					for _, h := range res.Hits {
						got = append(got, h.VersionID)
					}
					if res.NextCursor == "" {
						break
					}
					if len(res.Hits) != tt.limit || pages > len(rows) {
						t.Fatalf("page %d: %d hits and a next cursor", pages, len(res.Hits))
					}
					q.Cursor = res.NextCursor
				}
				if !slices.Equal(got, want) {
					t.Fatalf("got %d hits %v\nwant %d %v", len(got), head(got), len(want), head(want))
				}
			})
		}
	})
}

func head(ids []string) []string { return ids[:min(len(ids), 12)] }

// oracle ranks rows for text as the search documents it: a package name or
// full name equal to the text first, then those starting with it, then rows
// where every word of the text starts a word of the row; newest first.
func oracle(rows []meta.SearchRow, text string, repos []string, format string) []string {
	rank := strings.ToLower(strings.TrimSpace(text))
	terms := strings.FieldsFunc(rank, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	type hit struct {
		row  meta.SearchRow
		tier int
	}
	var hits []hit
	for _, r := range rows {
		if (repos != nil && !slices.Contains(repos, r.Repo)) || (format != "" && r.Format != format) {
			continue
		}
		pkg, name := strings.ToLower(r.Package), strings.ToLower(r.Name)
		tier := 0
		switch {
		case rank != "" && (pkg == rank || name == rank):
			tier = 3
		case rank != "" && (strings.HasPrefix(pkg, rank) || strings.HasPrefix(name, rank)):
			tier = 2
		case matchesAll(strings.Fields(r.Words), terms):
			tier = 1
		}
		if tier > 0 {
			hits = append(hits, hit{r, tier})
		}
	}
	slices.SortFunc(hits, func(a, b hit) int {
		if c := cmp.Compare(b.tier, a.tier); c != 0 {
			return c
		}
		return b.row.PublishedAt.Compare(a.row.PublishedAt)
	})
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.row.VersionID
	}
	return out
}

func matchesAll(words, terms []string) bool {
	for _, t := range terms {
		if !slices.ContainsFunc(words, func(w string) bool { return strings.HasPrefix(w, t) }) {
			return false
		}
	}
	return true
}

// TestSameMicrosecond indexes versions published in the same microsecond,
// more than SQLite has order keys for: all are found, and pages neither
// skip nor repeat one.
func TestSameMicrosecond(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		const n = 1100
		bulkCatalog(t, s, n, 0)
		// Index some one by one, the rest by a rebuild.
		sources, err := s.db.SearchSources(ctx, "", 20)
		if err != nil || len(sources) != 20 {
			t.Fatalf("sources: %d, %v", len(sources), err)
		}
		for _, src := range sources {
			if err := s.indexer.Reindex(ctx, src.VersionID); err != nil {
				t.Fatal(err)
			}
		}
		s.rebuild(t)
		want := s.rows(t)
		if len(want) != n {
			t.Fatalf("index holds %d rows, want %d", len(want), n)
		}
		for _, q := range []search.Query{{Text: "library", Limit: 97}, {Limit: 100}, {Repo: "b1", Limit: 9}, {Text: "alpha", Limit: 2}} {
			seen := map[string]bool{}
			total := 0
			for {
				res := s.find(t, s.admin, q)
				for _, h := range res.Hits {
					if seen[h.VersionID] {
						t.Fatalf("%+v: %s on two pages", q, h.VersionID)
					}
					seen[h.VersionID] = true
				}
				total += len(res.Hits)
				if res.NextCursor == "" {
					break
				}
				q.Cursor = res.NextCursor
			}
			if want := len(oracle(want, q.Text, repoList(q.Repo), "")); total != want {
				t.Fatalf("%+v: pages hold %d hits, want %d", q, total, want)
			}
		}
	})
}

func repoList(key string) []string {
	if key == "" {
		return nil
	}
	return []string{key}
}
