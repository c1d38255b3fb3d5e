package api_test

import (
	"io"
	"net/http"
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
	for _, be := range servertest.Backends() {
		for _, ttl := range []time.Duration{0, 2 * time.Second} {
			name := be.Name + "/uncached"
			if ttl > 0 {
				name = be.Name + "/cached"
			}
			b.Run(name, func(b *testing.B) { benchAuthenticate(b, be, ttl) })
		}
	}
}

func benchAuthenticate(b *testing.B, be servertest.Backend, ttl time.Duration) {
	env := servertest.Start(b, be, func(c *config.Config) { c.AuthCacheTTL = ttl })
	env.CreateRepo(b, "libs", nil)
	tok := env.Token(b, "bench", "repo:libs:read")
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
}

// BenchmarkAuthorizedGetRepo measures a whole authorized request over
// loopback HTTP: GET /v1/repos/{key} with a Bearer token.
func BenchmarkAuthorizedGetRepo(b *testing.B) {
	for _, be := range servertest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			env := servertest.Start(b, be)
			env.CreateRepo(b, "libs", nil)
			tok := env.Token(b, "bench", "repo:libs:read")
			client := env.HTTP.Client()
			client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
			url := env.URL + "/v1/repos/libs"
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest("GET", url, nil)
					req.Header.Set("Authorization", "Bearer "+tok)
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
		})
	}
}

// BenchmarkHeadBlob measures HEAD of a blob (answered from metadata) over
// loopback HTTP; the target is 10,000 requests/s on the reference machine.
func BenchmarkHeadBlob(b *testing.B) {
	env := servertest.Start(b, servertest.Backends()[0])
	env.CreateRepo(b, "libs", nil)
	data := []byte("head me")
	env.Must(b, 201, "PUT", "/v1/repos/libs/blobs", env.AdminToken, data)
	url := env.URL + "/v1/repos/libs/blobs/" + digestOf(data)
	client := env.HTTP.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("HEAD", url, nil)
			req.Header.Set("Authorization", "Bearer "+env.AdminToken)
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
