package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/config"
	"github.com/artifortress/artifortress/internal/servertest"
)

// BenchmarkAuthenticate measures verifying a PAT on each metadata backend:
// uncached (parse, primary-key lookup, constant-time hash compare, role
// bindings) and through the --auth-cache-ttl cache (parse and hash compare).
// Compare with BenchmarkAuthorizedGetRepo to see what HTTP and JSON add.
func BenchmarkAuthenticate(b *testing.B) {
	forEachAuthCache(b, func(b *testing.B, env *servertest.Env, tok string) {
		svc := env.Server.Auth()
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := svc.Authenticate(b.Context(), tok); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
}

// BenchmarkAuthorizedGetRepo measures a whole authorized request over
// loopback HTTP: GET /v1/repos/{key} with a Bearer token. Uncached, each
// request reads the token, its subject's bindings and the repository from
// the metadata store; cached, none of them.
func BenchmarkAuthorizedGetRepo(b *testing.B) {
	forEachAuthCache(b, func(b *testing.B, env *servertest.Env, tok string) {
		benchRequests(b, env.HTTP.Client(), "GET", env.URL+"/v1/repos/libs", tok)
	})
}

// forEachAuthCache runs fn as a sub-benchmark per metadata backend, with
// --auth-cache-ttl 0 ("uncached": tokens and repositories are read from the
// store on every request) and at its default ("cached"), on a node holding
// the repository libs and a token that may read it.
func forEachAuthCache(b *testing.B, fn func(b *testing.B, env *servertest.Env, tok string)) {
	caches := []struct {
		name string
		ttl  time.Duration
	}{{"uncached", 0}, {"cached", config.Defaults().AuthCacheTTL}}
	for _, be := range servertest.Backends() {
		for _, c := range caches {
			b.Run(be.Name+"/"+c.name, func(b *testing.B) {
				env := servertest.Start(b, be, func(cfg *config.Config) { cfg.AuthCacheTTL = c.ttl })
				env.CreateRepo(b, "libs", nil)
				fn(b, env, env.Token(b, "bench", "repo:libs:read"))
			})
		}
	}
}

// BenchmarkHeadBlob measures HEAD of a blob (answered from metadata) over
// loopback HTTP; the target is 10,000 requests/s on the reference machine.
func BenchmarkHeadBlob(b *testing.B) {
	env := servertest.Start(b, servertest.Backends()[0])
	env.CreateRepo(b, "libs", nil)
	data := []byte("head me")
	env.Must(b, 201, "PUT", "/v1/repos/libs/blobs", env.AdminToken, data)
	benchRequests(b, env.HTTP.Client(), "HEAD", env.URL+"/v1/repos/libs/blobs/"+digestOf(data), env.AdminToken)
}

// BenchmarkGetBlob measures GET of a 4 KiB blob over loopback HTTP beside
// its peer, a bare http.ServeContent over an *os.File of the same bytes
// (the download target is 80% of the peer's rate).
func BenchmarkGetBlob(b *testing.B) {
	data := bytes.Repeat([]byte("artifortress"), 4096/12+1)[:4096]
	b.Run("artifortress", func(b *testing.B) {
		env := servertest.Start(b, servertest.Backends()[0])
		env.CreateRepo(b, "libs", nil)
		tok := env.Token(b, "bench", "repo:libs:read")
		env.Must(b, 201, "PUT", "/v1/repos/libs/blobs", env.AdminToken, data)
		benchRequests(b, env.HTTP.Client(), "GET", env.URL+"/v1/repos/libs/blobs/"+digestOf(data), tok)
	})
	b.Run("plain", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "blob")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f, err := os.Open(path)
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			defer f.Close()
			http.ServeContent(w, r, "", time.Time{}, f)
		}))
		defer srv.Close()
		benchRequests(b, srv.Client(), "GET", srv.URL, "")
	})
}

// benchRequests sends method url (with tok as Bearer when set) from
// parallel workers over keep-alive connections, reads each body to the
// end, and reports requests/s. Any status but 200 fails the benchmark.
func benchRequests(b *testing.B, client *http.Client, method, url, tok string) {
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(method, url, nil)
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkPublishToIndexed measures the event pipeline end to end on each
// metadata backend: versions published over HTTP become version.published
// events, which the worker delivers to the search indexer.
//
//   - drain: b.N versions are published with the worker stopped, then the
//     worker is started; events/s is b.N over the time until all are
//     searchable (the worker's throughput with a backlog).
//   - latency: with the worker running, versions are published one at a
//     time and each is timed from its publish response until it is in the
//     index (p50/p99 in ms), which includes the wake-up on commit.
func BenchmarkPublishToIndexed(b *testing.B) {
	for _, be := range servertest.Backends() {
		b.Run(be.Name+"/drain", func(b *testing.B) {
			env := servertest.Start(b, be)
			env.CreateRepo(b, "gen", nil)
			for i := range b.N {
				publishGeneric(b, env, "gen", env.AdminToken, fmt.Sprintf("drain-%d", i), "1.0.0", map[string]string{"f": fmt.Sprint("drain ", i)})
			}
			b.ResetTimer()
			stop := runWorker(b, env)
			waitIndexed(b, env, int64(b.N))
			b.StopTimer()
			stop()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
		b.Run(be.Name+"/latency", func(b *testing.B) {
			env := servertest.Start(b, be)
			env.CreateRepo(b, "gen", nil)
			stop := runWorker(b, env)
			defer stop()
			lat := make([]time.Duration, 0, b.N)
			for i := range b.N {
				publishGeneric(b, env, "gen", env.AdminToken, fmt.Sprintf("lat-%d", i), "1.0.0", map[string]string{"f": fmt.Sprint("latency ", i)})
				t0 := time.Now()
				waitIndexed(b, env, int64(i+1))
				lat = append(lat, time.Since(t0))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// runWorker runs env's event worker until the returned stop is called.
func runWorker(b *testing.B, env *servertest.Env) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = env.Server.Worker().Run(ctx)
	}()
	return func() { cancel(); <-done }
}

// waitIndexed polls the search index until it holds n rows.
func waitIndexed(b *testing.B, env *servertest.Env, n int64) {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		rows, err := env.Server.DB().CountSearchRows(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if rows >= n {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d versions indexed after 5 minutes", rows, n)
		}
		time.Sleep(200 * time.Microsecond)
	}
}
