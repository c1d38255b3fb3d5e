package search_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/search"
)

// benchVersions is the size of the benchmark catalog.
const benchVersions = 100_000

// fillCatalog writes benchVersions published versions into the truth
// tables in bulk, then indexes them with a rebuild, and returns how long the
// rebuild took.
func fillCatalog(b *testing.B, s *stack) time.Duration {
	bulkCatalog(b, s, benchVersions, 1000)
	svc := newServiceLike(s, search.Options{BatchSize: 1000})
	ctx := context.Background()
	t0 := time.Now()
	if _, err := svc.StartRebuild(ctx); err != nil {
		b.Fatal(err)
	}
	for {
		more, err := svc.Step(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if !more {
			break
		}
	}
	took := time.Since(t0)
	if s.db.Dialect() == meta.Postgres {
		// As autovacuum soon would: the planner needs statistics.
		if _, err := s.db.RawExec(ctx, "ANALYZE"); err != nil {
			b.Fatal(err)
		}
	}
	return took
}

// BenchmarkSearch measures search queries over a catalog of 100,000
// published versions on each backend, one query kind per sub-benchmark,
// at concurrency 1 and 4, with p50/p99 latency. The peer is a primary-key
// read of one version (meta.GetVersion) on the same store in the same run:
// the floor of any query through this stack.
func BenchmarkSearch(b *testing.B) {
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			s := newStack(b, be.url(b), search.Options{})
			took := fillCatalog(b, s)
			rows, err := s.db.CountSearchRows(context.Background())
			if err != nil || rows != benchVersions {
				b.Fatalf("index holds %d rows (%v), want %d", rows, err, benchVersions)
			}
			b.Logf("%s: rebuilt the index of %d versions in %v (%.0f versions/s)", be.name, rows, took.Round(time.Millisecond), float64(rows)/took.Seconds())
			twoRepos := reader("b1", "b2")
			first := s.find(b, s.admin, search.Query{Text: "cobalt"})
			kinds := []struct {
				name   string
				caller *auth.Principal
				q      func(i int) search.Query
			}{
				{"exact", s.admin, func(i int) search.Query { return search.Query{Text: bulkName(i * 7919 % (benchVersions / 4))} }},
				{"prefix", s.admin, func(i int) search.Query {
					return search.Query{Text: bulkWords[i%len(bulkWords)] + "-" + bulkWords[(i/3)%len(bulkWords)]}
				}},
				{"word", s.admin, func(i int) search.Query { return search.Query{Text: bulkWords[i%len(bulkWords)]} }},
				{"two_words", s.admin, func(i int) search.Query {
					return search.Query{Text: bulkWords[i%len(bulkWords)] + " " + bulkWords[(i/5)%len(bulkWords)]}
				}},
				{"broad_100k_hits", s.admin, func(int) search.Query { return search.Query{Text: "library"} }},
				{"recent_no_text", s.admin, func(int) search.Query { return search.Query{} }},
				{"reader_of_2_repos", twoRepos, func(i int) search.Query { return search.Query{Text: bulkWords[i%len(bulkWords)]} }},
				{"page_2", s.admin, func(int) search.Query { return search.Query{Text: "cobalt", Cursor: first.NextCursor} }},
			}
			for _, conc := range []int{1, 4} {
				for _, k := range kinds {
					b.Run(fmt.Sprintf("%s/c%d", k.name, conc), func(b *testing.B) {
						runQueries(b, conc, func(i int) error {
							_, err := s.search.Search(context.Background(), k.caller, k.q(i))
							return err
						})
					})
				}
				b.Run(fmt.Sprintf("peer_get_version/c%d", conc), func(b *testing.B) {
					runQueries(b, conc, func(i int) error {
						_, err := s.db.GetVersion(context.Background(), fmt.Sprintf("ver_b%07d", i*7919%benchVersions))
						return err
					})
				})
			}
		})
	}
}

// runQueries runs b.N operations across conc goroutines and reports
// queries/s and p50/p99 latency.
func runQueries(b *testing.B, conc int, op func(i int) error) {
	var next atomic.Int64
	var mu sync.Mutex
	lat := make([]time.Duration, 0, b.N)
	var wg sync.WaitGroup
	b.ResetTimer()
	for range conc {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				t0 := time.Now()
				if err := op(i); err != nil {
					b.Error(err)
					return
				}
				d := time.Since(t0)
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(lat))/b.Elapsed().Seconds(), "queries/s")
	b.ReportMetric(pct(.5), "p50-ms")
	b.ReportMetric(pct(.99), "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkIndexEvents measures Indexer.Handle on version.published events
// of versions not yet indexed, one after the other (the worker's path,
// without the worker). The peer is the floor of any handler that records
// its progress: one write transaction updating one row, on the same store.
func BenchmarkIndexEvents(b *testing.B) {
	for _, be := range backends() {
		b.Run(be.name+"/handle", func(b *testing.B) {
			s := newStack(b, be.url(b), search.Options{})
			ctx := context.Background()
			bulkCatalog(b, s, (b.N+3)/4*4, 1000)
			b.ResetTimer()
			for i := range b.N {
				e := meta.Event{ID: int64(i + 1), Type: search.EventPublished, Aggregate: fmt.Sprintf("version/ver_b%07d", i), CreatedAt: time.Now()}
				if err := s.indexer.Handle(ctx, e); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
		b.Run(be.name+"/peer_one_row_tx", func(b *testing.B) {
			s := newStack(b, be.url(b), search.Options{})
			ctx := context.Background()
			b.ResetTimer()
			for i := range b.N {
				if err := s.db.Tx(ctx, func(tx *meta.Tx) error { return tx.NoteSearchEvent(ctx, int64(i+1), time.Now()) }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
		})
	}
}
