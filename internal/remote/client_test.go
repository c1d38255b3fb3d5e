package remote

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/netguard"
	"github.com/artifortress/artifortress/internal/repo"
)

// upstream is a registry that counts its requests, answers 304 to a
// matching If-None-Match, and can fail on demand.
type upstream struct {
	*httptest.Server
	gets, conditional atomic.Int32
	failing           atomic.Bool
	slow              chan struct{} // when set, artifact requests wait on it
}

func newUpstream(t *testing.T) *upstream {
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.gets.Add(1)
		if u.failing.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		switch r.URL.Path {
		case "/doc":
			if r.Header.Get("If-None-Match") == `"v1"` {
				u.conditional.Add(1)
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", `"v1"`)
			io.WriteString(w, `{"name":"doc"}`)
		case "/artifact":
			if u.slow != nil {
				<-u.slow
			}
			io.WriteString(w, "artifact bytes")
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(u.Close)
	return u
}

func newClient(t *testing.T, up *upstream) (*Client, repo.Repo, *time.Time) {
	t.Helper()
	ctx := context.Background()
	db, err := meta.Open(ctx, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := db.Tx(ctx, func(tx *meta.Tx) error {
		return tx.InsertRepo(ctx, meta.Repo{Key: "up", Type: repo.TypeRemote, Format: "npm", UpstreamURL: up.URL + "/", Settings: "{}", CreatedAt: now, UpdatedAt: now})
	}); err != nil {
		t.Fatal(err)
	}
	guard, err := netguard.New(netguard.Config{Allow: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	c := New(db, guard, slog.New(slog.DiscardHandler), nil)
	clock := now
	c.now = func() time.Time { return clock }
	r := repo.Repo{Key: "up", Type: repo.TypeRemote, Format: "npm", UpstreamURL: up.URL + "/", Settings: repo.Settings{MetadataTTLSeconds: 60}}
	return c, r, &clock
}

// TestMetadataCache: within the TTL the cached copy answers without asking
// the upstream; after it the upstream is asked with the ETag (a 304 keeps
// the copy); when the upstream fails the old copy is served as stale; an
// upstream 404 is a not-found.
func TestMetadataCache(t *testing.T) {
	up := newUpstream(t)
	c, r, clock := newClient(t, up)
	ctx := context.Background()
	get := func() Doc {
		t.Helper()
		d, err := c.Metadata(ctx, r, "doc", "application/json", "package_not_found")
		if err != nil {
			t.Fatal(err)
		}
		if string(d.Body) != `{"name":"doc"}` {
			t.Fatalf("body %q", d.Body)
		}
		return d
	}
	get()
	get()
	if n := up.gets.Load(); n != 1 {
		t.Errorf("%d upstream requests within the TTL, want 1", n)
	}
	*clock = clock.Add(61 * time.Second)
	if d := get(); d.Stale {
		t.Errorf("a revalidated copy is marked stale")
	}
	if n, m := up.gets.Load(), up.conditional.Load(); n != 2 || m != 1 {
		t.Errorf("after the TTL: %d requests, %d conditional; want 2 and 1", n, m)
	}
	get() // the 304 restarted the TTL
	if n := up.gets.Load(); n != 2 {
		t.Errorf("%d upstream requests after a revalidation, want 2", n)
	}
	*clock = clock.Add(61 * time.Second)
	up.failing.Store(true)
	if d := get(); !d.Stale {
		t.Errorf("the upstream is down but the copy is not marked stale")
	}
	up.failing.Store(false)
	_, err := c.Metadata(ctx, r, "missing", "application/json", "package_not_found")
	if fe := fault.As(err); fe == nil || fe.Code != "package_not_found" {
		t.Errorf("upstream 404: %v", err)
	}
	up.failing.Store(true)
	_, err = c.Metadata(ctx, r, "never-cached", "application/json", "package_not_found")
	if fe := fault.As(err); fe == nil || fe.Code != "upstream_unavailable" {
		t.Errorf("nothing cached and the upstream down: %v", err)
	}
}

// TestArtifactFetchedOnce: concurrent requests for one artifact make one
// upstream request and all see its outcome.
func TestArtifactFetchedOnce(t *testing.T) {
	up := newUpstream(t)
	up.slow = make(chan struct{})
	c, r, _ := newClient(t, up)
	var stored atomic.Int32
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			errs[i] = c.Artifact(context.Background(), r, "pkg@1.0.0", up.URL+"/artifact", func(body io.Reader, _ int64) error {
				b, err := io.ReadAll(body)
				if string(b) != "artifact bytes" {
					t.Errorf("body %q", b)
				}
				stored.Add(1)
				return err
			})
		})
	}
	time.Sleep(100 * time.Millisecond) // let them all queue behind the first
	close(up.slow)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Errorf("artifact: %v", err)
		}
	}
	// One fetch; two at most if a goroutine was scheduled only after the
	// first fetch ended (without the single flight it would be eight).
	if n := up.gets.Load(); n < 1 || n > 2 || stored.Load() != n {
		t.Errorf("%d upstream requests and %d stores for 8 concurrent requests", n, stored.Load())
	}
	if err := c.Artifact(context.Background(), r, "bad", "file:///etc/passwd", nil); fault.As(err) == nil || fault.As(err).Code != "upstream_invalid" {
		t.Errorf("a non-HTTP artifact URL: %v", err)
	}
}
