package servertest

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// UpstreamProxy sits in front of an upstream (another node, a registry):
// it counts the requests that reach it by escaped path and can be switched
// off, after which every request fails as a dead upstream's would. Tests
// of remote repositories use it to prove one fetch per artifact and
// serving from the cache.
type UpstreamProxy struct {
	*httptest.Server
	mu    sync.Mutex
	hits  map[string]int
	alive atomic.Bool
}

// NewUpstreamProxy proxies to target until the test ends.
func NewUpstreamProxy(t testing.TB, target string) *UpstreamProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &UpstreamProxy{hits: map[string]int{}}
	p.alive.Store(true)
	rp := httputil.NewSingleHostReverseProxy(u)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !p.alive.Load() {
			http.Error(w, "upstream down", http.StatusBadGateway)
			return
		}
		p.mu.Lock()
		p.hits[r.URL.EscapedPath()]++
		p.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

// Count is how many requests for path reached the upstream.
func (p *UpstreamProxy) Count(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits[path]
}

// SetAlive switches the upstream on or off.
func (p *UpstreamProxy) SetAlive(alive bool) { p.alive.Store(alive) }
