package search_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/search"
)

// catalogFixture publishes, in this order, a small catalog over every
// test repository and indexes it from the outbox.
func catalogFixture(t *testing.T, s *stack) {
	t.Helper()
	s.publish(t, "gen-a", "left-pad", "1.0.0", map[string]any{"description": "Pads strings on the left", "keywords": []string{"string", "padding"}, "license": "MIT"})
	s.publish(t, "gen-a", "left-pad", "1.1.0", map[string]any{"description": "Pads strings on the left", "license": "MIT"})
	s.publish(t, "gen-a", "left-pad-extra", "2.0.0", map[string]any{"description": "More padding"})
	s.publish(t, "gen-a", "right-pad", "1.0.0", map[string]any{"description": "Pads on the right, not the left"})
	s.publish(t, "gen-b", "secret-tool", "0.1.0", map[string]any{"description": "Internal zebra tooling", "license": "Proprietary"})
	s.publish(t, "npm-a", "@acme/left-pad", "3.0.0", map[string]any{"description": "Scoped pad", "license": "Apache-2.0"})
	s.publish(t, "anon", "public-lib", "1.0", map[string]any{"summary": "Open zebra library"})
	s.drain(t)
}

func TestSearch(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *stack) {
		catalogFixture(t, s)
		if n := len(s.rows(t)); n != 7 {
			t.Fatalf("index holds %d rows, want 7", n)
		}
		tests := []struct {
			name string
			q    search.Query
			want []string
		}{
			{"exact name ranks first, then prefix, then words; newest first within a rank",
				search.Query{Text: "left-pad"},
				[]string{"npm-a:@acme/left-pad@3.0.0", "gen-a:left-pad@1.1.0", "gen-a:left-pad@1.0.0", "gen-a:left-pad-extra@2.0.0", "gen-a:right-pad@1.0.0"}},
			{"full name exact", search.Query{Text: "@acme/left-pad"}, []string{"npm-a:@acme/left-pad@3.0.0"}},
			{"case does not matter", search.Query{Text: "LEFT-PAD-EXTRA"}, []string{"gen-a:left-pad-extra@2.0.0"}},
			{"prefix of a word", search.Query{Text: "secr"}, []string{"gen-b:secret-tool@0.1.0"}},
			{"joined name", search.Query{Text: "leftpadextra"}, []string{"gen-a:left-pad-extra@2.0.0"}},
			{"description word", search.Query{Text: "zebra"}, []string{"anon:public-lib@1.0", "gen-b:secret-tool@0.1.0"}},
			{"keyword", search.Query{Text: "padding"}, []string{"gen-a:left-pad-extra@2.0.0", "gen-a:left-pad@1.0.0"}},
			{"licence", search.Query{Text: "apache"}, []string{"npm-a:@acme/left-pad@3.0.0"}},
			{"version", search.Query{Text: "left 1.1"}, []string{"gen-a:left-pad@1.1.0"}},
			{"namespace", search.Query{Text: "acme"}, []string{"npm-a:@acme/left-pad@3.0.0"}},
			{"all words must match", search.Query{Text: "zebra tooling"}, []string{"gen-b:secret-tool@0.1.0"}},
			{"no match", search.Query{Text: "nothing-like-this"}, []string{}},
			{"repository filter", search.Query{Text: "pad", Repo: "gen-a"},
				[]string{"gen-a:right-pad@1.0.0", "gen-a:left-pad-extra@2.0.0", "gen-a:left-pad@1.1.0", "gen-a:left-pad@1.0.0"}},
			{"format filter", search.Query{Text: "pad", Format: "npm"}, []string{"npm-a:@acme/left-pad@3.0.0"}},
			{"repository and another format", search.Query{Text: "pad", Repo: "gen-a", Format: "npm"}, []string{}},
			{"virtual repository searches its members", search.Query{Text: "t", Repo: "virt"},
				[]string{"gen-b:secret-tool@0.1.0", "gen-a:right-pad@1.0.0", "gen-a:left-pad@1.1.0", "gen-a:left-pad@1.0.0"}},
			{"no text lists newest first", search.Query{Repo: "gen-a", Limit: 2}, []string{"gen-a:right-pad@1.0.0", "gen-a:left-pad-extra@2.0.0"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := s.find(t, s.admin, tt.q)
				if !slices.Equal(ids(got.Hits), tt.want) {
					t.Fatalf("got %q, want %q", ids(got.Hits), tt.want)
				}
			})
		}
		t.Run("scores and fields", func(t *testing.T) {
			got := s.find(t, s.admin, search.Query{Text: "left-pad"}).Hits
			var scores []int
			for _, h := range got {
				scores = append(scores, h.Score)
			}
			if want := []int{3, 3, 3, 2, 1}; !slices.Equal(scores, want) {
				t.Fatalf("scores %v, want %v", scores, want)
			}
			h := got[0]
			if h.Format != "npm" || h.Namespace != "acme" || h.Name != "left-pad" || h.Description != "Scoped pad" || h.PublishedBy != "admin" || h.VersionID == "" || h.PublishedAt.IsZero() {
				t.Fatalf("hit %+v", h)
			}
		})
	})
}

func TestReadableRepositoriesOnly(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *stack) {
		catalogFixture(t, s)
		ctx := context.Background()
		readerA := reader("gen-a")
		for _, q := range []string{"", "secret", "zebra", "pad", "left-pad", "t"} {
			for _, h := range s.find(t, readerA, search.Query{Text: q, Limit: 100}).Hits {
				if h.Repo != "gen-a" {
					t.Fatalf("a reader of gen-a searching %q sees %s:%s", q, h.Repo, h.Package)
				}
			}
		}
		if _, err := s.search.Search(ctx, readerA, search.Query{Repo: "virt"}); fault.KindOf(err) != fault.KindNotFound {
			t.Fatalf("a reader of gen-a searching in virt: %v, want not found (virt needs its own grant)", err)
		}
		if _, err := s.search.Search(ctx, readerA, search.Query{Text: "secret", Repo: "gen-b"}); fault.KindOf(err) != fault.KindNotFound {
			t.Fatalf("a reader of gen-a searching in gen-b: %v, want not found", err)
		}
		both := auth.NewPrincipal("both", auth.SourcePAT, "", []auth.Scope{{Repo: "gen-a", Role: auth.RoleRead}, {Repo: "virt", Role: auth.RoleRead}}, nil)
		for _, h := range s.find(t, both, search.Query{Text: "t", Repo: "virt"}).Hits {
			if h.Repo != "gen-a" {
				t.Fatalf("a virtual repository widened what its reader sees: %s:%s", h.Repo, h.Package)
			}
		}
		writerB := auth.NewPrincipal("w", auth.SourcePAT, "", []auth.Scope{{Repo: "gen-b", Role: auth.RoleWrite}}, nil)
		if got := ids(s.find(t, writerB, search.Query{Text: "zebra"}).Hits); !slices.Equal(got, []string{"gen-b:secret-tool@0.1.0"}) {
			t.Fatalf("writer of gen-b: %v", got)
		}
		all := auth.NewPrincipal("all", auth.SourcePAT, "", []auth.Scope{{Repo: auth.AnyRepo, Role: auth.RoleRead}}, nil)
		if got := s.find(t, all, search.Query{Limit: 100}).Hits; len(got) != 7 {
			t.Fatalf("repo:*:read sees %d versions, want 7", len(got))
		}
		if got := ids(s.find(t, nil, search.Query{Text: "zebra"}).Hits); !slices.Equal(got, []string{"anon:public-lib@1.0"}) {
			t.Fatalf("anonymous: %v, want the anonymous-read repository only", got)
		}
		if _, err := s.search.Search(ctx, nil, search.Query{Repo: "gen-a"}); fault.KindOf(err) != fault.KindUnauthorized {
			t.Fatalf("anonymous in gen-a: %v, want unauthorized", err)
		}
		nobody := auth.NewPrincipal("nobody", auth.SourcePAT, "", nil, nil)
		if got := s.find(t, nobody, search.Query{}).Hits; len(got) != 0 {
			t.Fatalf("a caller without grants sees %v", ids(got))
		}
	})
}

func TestPagination(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *stack) {
		catalogFixture(t, s)
		for i := range 7 {
			s.publish(t, "gen-a", "pager", "1."+string(rune('0'+i)), nil)
		}
		s.drain(t)
		for _, q := range []search.Query{{Text: "pager"}, {Text: "pa"}, {Text: "left-pad"}, {}, {Repo: "gen-a"}, {Text: "1"}} {
			full := s.find(t, s.admin, search.Query{Text: q.Text, Repo: q.Repo, Limit: 100})
			if full.NextCursor != "" {
				t.Fatalf("%+v: a complete page has a next cursor", q)
			}
			for _, size := range []int{1, 2, 3} {
				var paged []search.Hit
				q := q
				q.Limit = size
				for pages := 0; ; pages++ {
					res := s.find(t, s.admin, q)
					paged = append(paged, res.Hits...)
					if res.NextCursor == "" {
						break
					}
					if len(res.Hits) != size || pages > 100 {
						t.Fatalf("%+v: page %d has %d hits and a next cursor", q, pages, len(res.Hits))
					}
					q.Cursor = res.NextCursor
				}
				if !slices.Equal(ids(paged), ids(full.Hits)) {
					t.Fatalf("%+v pages of %d: %q, want %q", q, size, ids(paged), ids(full.Hits))
				}
			}
		}
		first := s.find(t, s.admin, search.Query{Text: "pager", Limit: 2})
		_, err := s.search.Search(context.Background(), s.admin, search.Query{Text: "left", Limit: 2, Cursor: first.NextCursor})
		wantFault(t, err, "bad_request", "cursor")
	})
}

func TestBadInput(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *stack) {
		tests := []struct {
			q     search.Query
			field string
		}{
			{search.Query{Limit: -1}, "limit"},
			{search.Query{Limit: 101}, "limit"},
			{search.Query{Text: strings.Repeat("a", 257)}, "q"},
			{search.Query{Text: "--- @@"}, "q"},
			{search.Query{Text: "a b c d e f g h i j k l m n o p q"}, "q"},
			{search.Query{Format: "nope"}, "format"},
			{search.Query{Repo: "Not A Key"}, "repo"},
			{search.Query{Cursor: "!!!"}, "cursor"},
			{search.Query{Cursor: "YWJj"}, "cursor"},
		}
		for _, tt := range tests {
			_, err := s.search.Search(context.Background(), s.admin, tt.q)
			wantFault(t, err, "bad_request", tt.field)
		}
		_, err := s.search.Search(context.Background(), s.admin, search.Query{Repo: "missing"})
		wantFault(t, err, "not_found", "")
	})
}

// TestIdempotentHandling delivers every event twice, then all of them again
// in reverse order, and expects the same index each time.
func TestIdempotentHandling(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		catalogFixture(t, s)
		once := s.rows(t)
		events := s.events(t, 0)
		for _, e := range events {
			for range 2 {
				if err := s.indexer.Handle(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
		}
		if twice := s.rows(t); !slices.Equal(twice, once) {
			t.Fatalf("handling every event twice changed the index:\n%+v\nwant\n%+v", twice, once)
		}
		for _, e := range slices.Backward(events) {
			if err := s.indexer.Handle(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		if again := s.rows(t); !slices.Equal(again, once) {
			t.Fatal("handling the events in reverse order changed the index")
		}
	})
}

func TestEvents(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *stack) {
		ctx := context.Background()
		v := s.publish(t, "gen-a", "doomed", "1.0.0", nil)
		s.drain(t)
		if got := s.find(t, s.admin, search.Query{Text: "doomed"}).Hits; len(got) != 1 {
			t.Fatalf("before tombstoning: %v", ids(got))
		}
		// No catalog call tombstones yet: change the truth as it will.
		if _, err := s.db.RawExec(ctx, "UPDATE versions SET state = 'tombstoned', tombstoned_at = 1 WHERE id = ?", v.Row.ID); err != nil {
			t.Fatal(err)
		}
		if got := s.find(t, s.admin, search.Query{Text: "doomed"}).Hits; len(got) != 0 {
			t.Fatalf("a tombstoned version shows before its event is indexed: %v", ids(got))
		}
		tomb := meta.Event{ID: 1000, Type: search.EventTombstoned, Aggregate: "version/" + v.Row.ID, Payload: map[string]any{}}
		if err := s.indexer.Handle(ctx, tomb); err != nil {
			t.Fatal(err)
		}
		if n := len(s.rows(t)); n != 0 {
			t.Fatalf("after version.tombstoned the index holds %d rows", n)
		}
		// Restored: the row comes back, from a payload's versionId.
		if _, err := s.db.RawExec(ctx, "UPDATE versions SET state = 'published', tombstoned_at = NULL WHERE id = ?", v.Row.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.indexer.Handle(ctx, meta.Event{ID: 1001, Type: search.EventRestored, Aggregate: "x", Payload: map[string]any{"versionId": v.Row.ID}}); err != nil {
			t.Fatal(err)
		}
		if got := s.find(t, s.admin, search.Query{Text: "doomed"}).Hits; len(got) != 1 {
			t.Fatalf("after restore: %v", ids(got))
		}
		if err := s.indexer.Handle(ctx, meta.Event{ID: 1002, Type: "tag.updated", Aggregate: "whatever"}); err != nil {
			t.Fatalf("an unknown event type: %v, want it ignored", err)
		}
		if err := s.indexer.Handle(ctx, meta.Event{ID: 1003, Type: search.EventQuarantined, Aggregate: "quarantine/1"}); err == nil {
			t.Fatal("an event that names no version was accepted")
		}
		if s.indexer.Name() != "search" {
			t.Fatalf("Name %q", s.indexer.Name())
		}
	})
}
