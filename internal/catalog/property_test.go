package catalog_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"sync"
	"testing"

	"pgregory.net/rapid"

	"github.com/artifortress/artifortress/internal/catalog"
	"github.com/artifortress/artifortress/internal/meta"
)

func sha256Sum(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// op is one catalog call a property test makes.
type op struct {
	kind    string // draft, entry, manifest, publish, tag
	name    string
	version string
	path    string
	digest  int
}

func opGen() *rapid.Generator[op] {
	return rapid.Custom(func(t *rapid.T) op {
		return op{
			kind:    rapid.SampledFrom([]string{"draft", "draft", "entry", "entry", "entry", "manifest", "publish", "publish", "tag"}).Draw(t, "kind"),
			name:    rapid.SampledFrom([]string{"alpha", "beta"}).Draw(t, "name"),
			version: rapid.SampledFrom([]string{"1.0.0", "1.1.0"}).Draw(t, "version"),
			path:    rapid.SampledFrom([]string{"p1", "p2", "p3", "dir/p4"}).Draw(t, "path"),
			digest:  rapid.IntRange(0, 3).Draw(t, "digest"),
		}
	})
}

// outcome records what the callers were told.
type outcome struct {
	mu      sync.Mutex
	entries map[string]map[string]string // version id -> path -> digest, from successful AddEntries
}

func (s *stack) run(ctx context.Context, o op, out *outcome) {
	switch o.kind {
	case "draft":
		_, _, _ = s.catalog.CreateDraft(ctx, s.admin, "gen", catalog.DraftRequest{Name: o.name, Version: o.version})
		return
	case "tag":
		_, _, _ = s.catalog.PutTag(ctx, s.admin, "gen", o.name, "latest", o.version)
		return
	}
	v, err := s.catalog.Get(ctx, s.admin, "gen", o.name, o.version)
	if err != nil {
		return
	}
	id := v.Row.ID
	switch o.kind {
	case "entry":
		d := s.digests[o.digest]
		if _, err := s.catalog.AddEntries(ctx, s.admin, "gen", id, []catalog.EntryRequest{{Path: o.path, Digest: d}}); err == nil {
			out.mu.Lock()
			if out.entries[id] == nil {
				out.entries[id] = map[string]string{}
			}
			out.entries[id][o.path] = d
			out.mu.Unlock()
		}
	case "manifest":
		_, _ = s.catalog.PutManifest(ctx, s.admin, "gen", id, []byte(fmt.Sprintf(`{"name":%q,"version":%q}`, o.name, o.version)))
	case "publish":
		_, _ = s.catalog.Publish(ctx, s.admin, "gen", id)
	}
}

// checkInvariants holds after any interleaving of catalog calls:
//   - at most one version row per coordinate, and every published version
//     has entries and a manifest;
//   - exactly one version.published event per published version, none for
//     others, and one version.publish audit record each;
//   - the event's snapshot of entries equals the version's entries now: no
//     entry slipped in after publish;
//   - no acknowledged entry was lost.
func (s *stack) checkInvariants(t interface {
	Fatalf(string, ...any)
}, out *outcome) {
	ctx := context.Background()
	events, err := s.db.ListEvents(ctx, catalog.EventPublished, 0, 100000)
	if err != nil {
		t.Fatalf("events: %v", err)
	}
	byAggregate := map[string]meta.Event{}
	for _, e := range events {
		if _, dup := byAggregate[e.Aggregate]; dup {
			t.Fatalf("two events for %s", e.Aggregate)
		}
		byAggregate[e.Aggregate] = e
	}
	audits, err := s.db.ListAudit(ctx, meta.AuditFilter{Action: "version.publish"})
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	published := 0
	for _, name := range []string{"alpha", "beta"} {
		p, err := s.db.GetPackage(ctx, "gen", "", name)
		if err == meta.ErrNotFound {
			continue
		}
		if err != nil {
			t.Fatalf("package: %v", err)
		}
		vs, err := s.db.ListVersions(ctx, p.ID)
		if err != nil {
			t.Fatalf("versions: %v", err)
		}
		seen := map[string]bool{}
		for _, v := range vs {
			if seen[v.Version] {
				t.Fatalf("two rows for %s %s", name, v.Version)
			}
			seen[v.Version] = true
			entries, err := s.db.ListEntries(ctx, v.ID)
			if err != nil {
				t.Fatalf("entries: %v", err)
			}
			got := map[string]string{}
			for _, e := range entries {
				got[e.Path] = e.Digest
			}
			for path, d := range out.entries[v.ID] {
				if got[path] != d {
					t.Fatalf("acknowledged entry %s of %s %s is %q, want %s", path, name, v.Version, got[path], d)
				}
			}
			ev, hasEvent := byAggregate["version/"+v.ID]
			if v.State != meta.VersionPublished {
				if hasEvent {
					t.Fatalf("event for unpublished %s %s", name, v.Version)
				}
				continue
			}
			published++
			if !hasEvent {
				t.Fatalf("published %s %s has no event", name, v.Version)
			}
			if len(entries) == 0 || v.Manifest == nil {
				t.Fatalf("published %s %s lacks entries or manifest", name, v.Version)
			}
			var snap []string
			for _, e := range ev.Payload["entries"].([]any) {
				m := e.(map[string]any)
				snap = append(snap, m["path"].(string)+"="+m["digest"].(string))
			}
			var now []string
			for _, e := range entries {
				now = append(now, e.Path+"="+e.Digest)
			}
			slices.Sort(snap)
			slices.Sort(now)
			if !slices.Equal(snap, now) {
				t.Fatalf("entries of published %s %s changed after publish: event %v, now %v", name, v.Version, snap, now)
			}
		}
	}
	if len(events) != published || len(audits) != published {
		t.Fatalf("%d published versions, %d events, %d publish audit records", published, len(events), len(audits))
	}
}

// TestConcurrentCatalogProperties draws random sequences of catalog calls,
// splits them across concurrent goroutines, and checks the invariants after
// each run, on SQLite and PostgreSQL.
func TestConcurrentCatalogProperties(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			rapid.Check(t, func(rt *rapid.T) {
				s := newStack(t, b.url(t))
				defer s.db.Close() // do not hold connections until the whole property ends
				ops := rapid.SliceOfN(opGen(), 5, 40).Draw(rt, "ops")
				workers := rapid.IntRange(1, 6).Draw(rt, "workers")
				lanes := make([][]op, workers)
				for i, o := range ops {
					lane := rapid.IntRange(0, workers-1).Draw(rt, fmt.Sprintf("lane%d", i))
					lanes[lane] = append(lanes[lane], o)
				}
				out := &outcome{entries: map[string]map[string]string{}}
				var wg sync.WaitGroup
				for _, lane := range lanes {
					wg.Go(func() {
						for _, o := range lane {
							s.run(context.Background(), o, out)
						}
					})
				}
				wg.Wait()
				s.checkInvariants(rt, out)
			})
		})
	}
}

// TestOneWinnerPerCoordinate hammers one coordinate: many drafts, entry
// additions and publishes at once. Exactly one version is published, with
// one event, and every acknowledged entry is in it.
func TestOneWinnerPerCoordinate(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			s := newStack(t, b.url(t))
			ctx := context.Background()
			out := &outcome{entries: map[string]map[string]string{}}
			var wg sync.WaitGroup
			for i := range 16 {
				wg.Go(func() {
					s.run(ctx, op{kind: "draft", name: "alpha", version: "1.0.0"}, out)
					s.run(ctx, op{kind: "entry", name: "alpha", version: "1.0.0", path: fmt.Sprintf("f%d", i), digest: i % 4}, out)
					s.run(ctx, op{kind: "manifest", name: "alpha", version: "1.0.0"}, out)
					s.run(ctx, op{kind: "publish", name: "alpha", version: "1.0.0"}, out)
				})
			}
			wg.Wait()
			s.checkInvariants(t, out)
			v, err := s.catalog.Get(ctx, s.admin, "gen", "alpha", "1.0.0")
			if err != nil || v.Row.State != meta.VersionPublished {
				t.Fatalf("alpha 1.0.0: %v %v", v.Row.State, err)
			}
		})
	}
}
