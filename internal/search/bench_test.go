package search_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
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

// benchWords name and describe the benchmark packages.
var benchWords = strings.Fields(`alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike
	november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu amber cobalt crimson
	indigo jade olive ruby scarlet silver topaz umber violet wheat azure`)

// benchRepos are the repositories the catalog spreads over.
var benchRepos = []string{"b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8", "b9"}

// fillCatalog writes benchVersions published versions (4 per package) into
// the truth tables in bulk, then indexes them with a rebuild, and returns
// how long the rebuild took.
func fillCatalog(b *testing.B, s *stack) time.Duration { return fillCatalogT(b, s) }

func fillCatalogT(b testing.TB, s *stack) time.Duration {
	ctx := context.Background()
	now := time.Now()
	err := s.db.Tx(ctx, func(tx *meta.Tx) error {
		for _, r := range benchRepos {
			if err := tx.InsertRepo(ctx, meta.Repo{Key: r, Type: "local", Format: "generic", Settings: "{}", CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	const perStmt = 500
	var pkgs, vers []string
	var pargs, vargs []any
	flush := func() {
		if len(pkgs) > 0 {
			if _, err := s.db.RawExec(ctx, "INSERT INTO packages (id, repo_key, format, namespace, name, display_name, created_at) VALUES "+strings.Join(pkgs, ","), pargs...); err != nil {
				b.Fatal(err)
			}
		}
		if len(vers) > 0 {
			if _, err := s.db.RawExec(ctx, "INSERT INTO versions (id, package_id, version, state, manifest, created_by, created_at, updated_at, published_by, published_at) VALUES "+strings.Join(vers, ","), vargs...); err != nil {
				b.Fatal(err)
			}
		}
		pkgs, vers, pargs, vargs = nil, nil, nil, nil
	}
	base := meta.Micros(now) - benchVersions*1000
	for i := range benchVersions / 4 {
		name := benchName(i)
		pid := fmt.Sprintf("pkg_b%06d", i)
		repoKey := benchRepos[i%len(benchRepos)]
		pkgs = append(pkgs, "(?, ?, 'generic', '', ?, ?, ?)")
		pargs = append(pargs, pid, repoKey, name, name, base)
		for v := range 4 {
			n := i*4 + v
			version := fmt.Sprintf("%d.%d.0", v+1, i%10)
			manifest := fmt.Sprintf(`{"name":%q,"version":%q,"description":"A %s %s library","keywords":[%q]}`,
				name, version, benchWords[(i/7)%len(benchWords)], benchWords[(i/11)%len(benchWords)], benchWords[(i/13)%len(benchWords)])
			vers = append(vers, "(?, ?, ?, 'published', ?, 'bench', ?, ?, 'bench', ?)")
			at := base + int64(n)*1000
			vargs = append(vargs, fmt.Sprintf("ver_b%07d", n), pid, version, manifest, at, at, at)
		}
		if len(vers) >= perStmt {
			flush()
		}
	}
	flush()
	if s.db.Dialect() == meta.Postgres {
		// As autovacuum would soon: the planner needs statistics.
		if _, err := s.db.RawExec(ctx, "ANALYZE"); err != nil {
			b.Fatal(err)
		}
	}
	svc := newServiceLike(s, search.Options{BatchSize: 1000})
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
		if _, err := s.db.RawExec(ctx, "ANALYZE"); err != nil {
			b.Fatal(err)
		}
	}
	return took
}

// benchName is package i's name: two words and a number.
func benchName(i int) string {
	return fmt.Sprintf("%s-%s-%d", benchWords[i%len(benchWords)], benchWords[(i/len(benchWords))%len(benchWords)], i)
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
				{"exact", s.admin, func(i int) search.Query { return search.Query{Text: benchName(i * 7919 % (benchVersions / 4))} }},
				{"prefix", s.admin, func(i int) search.Query {
					return search.Query{Text: benchWords[i%len(benchWords)] + "-" + benchWords[(i/3)%len(benchWords)]}
				}},
				{"word", s.admin, func(i int) search.Query { return search.Query{Text: benchWords[i%len(benchWords)]} }},
				{"two_words", s.admin, func(i int) search.Query {
					return search.Query{Text: benchWords[i%len(benchWords)] + " " + benchWords[(i/5)%len(benchWords)]}
				}},
				{"broad_100k_hits", s.admin, func(int) search.Query { return search.Query{Text: "library"} }},
				{"recent_no_text", s.admin, func(int) search.Query { return search.Query{} }},
				{"reader_of_2_repos", twoRepos, func(i int) search.Query { return search.Query{Text: benchWords[i%len(benchWords)]} }},
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
