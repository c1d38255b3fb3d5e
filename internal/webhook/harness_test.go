package webhook_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/netguard"
	"github.com/artifortress/artifortress/internal/testpg"
	"github.com/artifortress/artifortress/internal/webhook"
)

type backend struct {
	name string
	url  func(t testing.TB) string
}

func backends() []backend {
	return []backend{
		{"sqlite", func(testing.TB) string { return "" }},
		{"postgres", testpg.URL},
	}
}

// forEachBackend runs fn as a subtest on SQLite and on PostgreSQL.
func forEachBackend(t *testing.T, fn func(t *testing.T, databaseURL string)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { fn(t, b.url(t)) })
	}
}

// env is a webhook service over a real metadata store with repositories
// alpha, beta and gamma, and outbound calls allowed to 127.0.0.1.
type env struct {
	db         *meta.DB
	svc        *webhook.Service
	dispatcher *webhook.Dispatcher
	admin      *auth.Principal // global administrator
	alice      *auth.Principal // admin of alpha, reader of beta
	bob        *auth.Principal // reader of alpha
	carol      *auth.Principal // admin of alpha and beta
}

type envOptions struct {
	allow            []string // default: 127.0.0.1
	maxResponseBytes int64
	timeout          time.Duration // of a whole request; default 10s
}

func newEnv(t *testing.T, databaseURL string, opt envOptions) *env {
	t.Helper()
	ctx := context.Background()
	db, err := meta.Open(ctx, databaseURL, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	err = db.Tx(ctx, func(tx *meta.Tx) error {
		for _, key := range []string{"alpha", "beta", "gamma"} {
			if err := tx.InsertRepo(ctx, meta.Repo{Key: key, Type: "local", Format: "generic", Settings: "{}", CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if opt.allow == nil {
		opt.allow = []string{"127.0.0.1"}
	}
	if opt.timeout == 0 {
		opt.timeout = 10 * time.Second
	}
	guard, err := netguard.New(netguard.Config{Allow: opt.allow, Timeout: opt.timeout})
	if err != nil {
		t.Fatal(err)
	}
	d := webhook.NewDispatcher(db, guard, webhook.DispatcherOptions{MaxResponseBytes: opt.maxResponseBytes})
	role := func(repo string, r auth.Role) auth.Scope { return auth.Scope{Repo: repo, Role: r} }
	return &env{
		db: db, svc: webhook.NewService(db, d), dispatcher: d,
		admin: auth.NewPrincipal("root", auth.SourcePAT, "tok-root", []auth.Scope{{Admin: true}}, nil),
		alice: auth.NewPrincipal("alice", auth.SourcePAT, "tok-alice", nil, []auth.Scope{role("alpha", auth.RoleAdmin), role("beta", auth.RoleRead)}),
		bob:   auth.NewPrincipal("bob", auth.SourcePAT, "tok-bob", nil, []auth.Scope{role("alpha", auth.RoleRead)}),
		carol: auth.NewPrincipal("carol", auth.SourcePAT, "tok-carol", nil, []auth.Scope{role("alpha", auth.RoleAdmin), role("beta", auth.RoleAdmin)}),
	}
}

// event appends an outbox event about repo ("" for none) and returns it
// as the worker would hand it to a handler.
func (e *env) event(t *testing.T, typ, repo string) meta.Event {
	t.Helper()
	return e.eventWith(t, typ, repo, nil)
}

// eventWith is event with more payload fields.
func (e *env) eventWith(t *testing.T, typ, repo string, extra map[string]any) meta.Event {
	t.Helper()
	ctx := context.Background()
	payload := map[string]any{"name": "pkg", "version": "1.0.0", "versionId": "v-" + randomSuffix()}
	if repo != "" {
		payload["repo"] = repo
	}
	maps.Copy(payload, extra)
	ev := meta.Event{Type: typ, Aggregate: "version/" + payload["versionId"].(string), Payload: payload, RequestID: "req-1",
		CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	if err := e.db.Tx(ctx, func(tx *meta.Tx) error { return tx.InsertEvent(ctx, ev) }); err != nil {
		t.Fatal(err)
	}
	all, err := e.db.ListEvents(ctx, "", 0, 100000)
	if err != nil || len(all) == 0 {
		t.Fatalf("ListEvents: %v (%d events)", err, len(all))
	}
	return all[len(all)-1]
}

func randomSuffix() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (e *env) create(t *testing.T, caller *auth.Principal, req webhook.CreateRequest) webhook.Created {
	t.Helper()
	c, err := e.svc.Create(context.Background(), caller, req)
	if err != nil {
		t.Fatalf("Create(%+v): %v", req, err)
	}
	return c
}

func (e *env) deliveries(t *testing.T, id string) []webhook.Delivery {
	t.Helper()
	page, err := e.svc.Deliveries(context.Background(), e.admin, id, webhook.MaxDeliveryLimit, "")
	if err != nil {
		t.Fatal(err)
	}
	return page.Items // newest first
}

// receiver is a local HTTP endpoint that records what it receives and
// answers with the queued statuses (200 once they run out).
type receiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	got      []received
	statuses []int
	answer   []byte
}

type received struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{header: req.Header.Clone(), body: body})
		status := http.StatusOK
		if len(r.statuses) > 0 {
			status, r.statuses = r.statuses[0], r.statuses[1:]
		}
		answer := r.answer
		r.mu.Unlock()
		w.WriteHeader(status)
		w.Write(answer)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) URL() string { return r.srv.URL + "/hook" }

func (r *receiver) queue(statuses ...int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.statuses = append(r.statuses, statuses...)
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// decodeBody parses a delivery body.
func decodeBody(t *testing.T, b []byte) (typ, ts string, data map[string]any) {
	t.Helper()
	var v struct {
		Type      string         `json:"type"`
		Timestamp string         `json:"timestamp"`
		Data      map[string]any `json:"data"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("delivery body %q: %v", b, err)
	}
	return v.Type, v.Timestamp, v.Data
}
