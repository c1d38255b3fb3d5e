package catalog_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/catalog"
)

// latencies collects per-operation times for percentiles.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) report(b *testing.B) {
	slices.Sort(l.d)
	if len(l.d) == 0 {
		return
	}
	pct := func(p float64) float64 {
		return float64(l.d[min(len(l.d)-1, int(p*float64(len(l.d))))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(l.d))/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(pct(.5), "p50-ms")
	b.ReportMetric(pct(.99), "p99-ms")
}

// runConcurrently runs b.N operations across conc goroutines.
func runConcurrently(b *testing.B, conc int, op func(i int) error) {
	var next atomic.Int64
	var lat latencies
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
				lat.add(time.Since(t0))
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	lat.report(b)
}

// BenchmarkPublish measures whole publishes — draft, three entries, a
// manifest, publish — through the catalog service, at concurrency 1 and 16.
// The original design reported 12.9 publishes/s.
func BenchmarkPublish(b *testing.B) {
	for _, be := range backends() {
		for _, conc := range []int{1, 16} {
			b.Run(fmt.Sprintf("%s/c%d", be.name, conc), func(b *testing.B) {
				s := newStack(b, be.url(b))
				ctx := context.Background()
				runConcurrently(b, conc, func(i int) error {
					name, version := fmt.Sprintf("pkg-%d", i), "1.0.0"
					v, _, err := s.catalog.CreateDraft(ctx, s.admin, "gen", catalog.DraftRequest{Name: name, Version: version})
					if err != nil {
						return err
					}
					entries := []catalog.EntryRequest{{Path: "a", Digest: s.digests[0]}, {Path: "b", Digest: s.digests[1]}, {Path: "c", Digest: s.digests[2]}}
					if _, err := s.catalog.AddEntries(ctx, s.admin, "gen", v.Row.ID, entries); err != nil {
						return err
					}
					if _, err := s.catalog.PutManifest(ctx, s.admin, "gen", v.Row.ID, []byte(fmt.Sprintf(`{"name":%q,"version":%q}`, name, version))); err != nil {
						return err
					}
					_, err = s.catalog.Publish(ctx, s.admin, "gen", v.Row.ID)
					return err
				})
			})
		}
	}
}

// BenchmarkReads measures getting one version (with entries) and listing
// the versions of a package that has 1,000, at concurrency 1 and 16.
func BenchmarkReads(b *testing.B) {
	for _, be := range backends() {
		s := newStack(b, be.url(b))
		ctx := context.Background()
		for i := range 1000 {
			version := fmt.Sprintf("1.%d.%d", i/100, i%100)
			v, _, err := s.catalog.CreateDraft(ctx, s.admin, "gen", catalog.DraftRequest{Name: "big", Version: version})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.catalog.AddEntries(ctx, s.admin, "gen", v.Row.ID, []catalog.EntryRequest{{Path: "f", Digest: s.digests[0]}}); err != nil {
				b.Fatal(err)
			}
			if _, err := s.catalog.PutManifest(ctx, s.admin, "gen", v.Row.ID, []byte(fmt.Sprintf(`{"name":"big","version":%q}`, version))); err != nil {
				b.Fatal(err)
			}
			if _, err := s.catalog.Publish(ctx, s.admin, "gen", v.Row.ID); err != nil {
				b.Fatal(err)
			}
		}
		for _, conc := range []int{1, 16} {
			b.Run(fmt.Sprintf("get-version/%s/c%d", be.name, conc), func(b *testing.B) {
				runConcurrently(b, conc, func(i int) error {
					_, err := s.catalog.Get(ctx, s.admin, "gen", "big", fmt.Sprintf("1.%d.%d", i%1000/100, i%100))
					return err
				})
			})
			b.Run(fmt.Sprintf("list-1000-versions/%s/c%d", be.name, conc), func(b *testing.B) {
				runConcurrently(b, conc, func(int) error {
					_, _, vs, err := s.catalog.Versions(ctx, s.admin, "gen", "big")
					if err == nil && len(vs) != 1000 {
						err = fmt.Errorf("%d versions", len(vs))
					}
					return err
				})
			})
		}
	}
}
