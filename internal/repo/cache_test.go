package repo

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// node is one repository service over a shared store, as one server of
// several sees it.
func node(db *meta.DB, c *clock, ttl time.Duration) *Service {
	s := NewService(db, nil, ttl)
	s.now = c.Now
	return s
}

func wantKind(t *testing.T, err error, kind fault.Kind, what string) {
	t.Helper()
	var f *fault.Error
	if !errors.As(err, &f) || f.Kind != kind {
		t.Fatalf("%s: got %v, want kind %v", what, err, kind)
	}
}

// TestCacheScope: with the repository cache on, a change made through a
// node applies on that node at once (the next anonymous read is refused,
// a deleted repository is gone), and on another node no later than the
// TTL: stale reads are bounded, never permanent.
func TestCacheScope(t *testing.T) {
	ctx := context.Background()
	db, err := meta.Open(ctx, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	const ttl = time.Minute
	a, b := node(db, c, ttl), node(db, c, ttl)
	admin := auth.NewPrincipal("root", auth.SourceBootstrap, "", []auth.Scope{{Admin: true}}, nil)
	if _, err := a.Create(ctx, admin, CreateRequest{Key: "libs", Type: TypeLocal, Format: "generic", Settings: Settings{AnonymousRead: true}}); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*Service{"a": a, "b": b} {
		if _, err := s.Access(ctx, nil, "libs", auth.RoleRead); err != nil {
			t.Fatalf("node %s, anonymous read while allowed: %v", name, err)
		}
	}
	if _, err := a.Update(ctx, admin, "libs", UpdateRequest{Settings: json.RawMessage(`{"anonymousRead":false}`)}); err != nil {
		t.Fatal(err)
	}
	_, err = a.Access(ctx, nil, "libs", auth.RoleRead)
	wantKind(t, err, fault.KindUnauthorized, "the changing node, at once")
	if _, err := b.Access(ctx, nil, "libs", auth.RoleRead); err != nil {
		t.Fatalf("another node within the TTL still has the old definition (documented); got %v", err)
	}
	c.Advance(ttl)
	_, err = b.Access(ctx, nil, "libs", auth.RoleRead)
	wantKind(t, err, fault.KindUnauthorized, "another node after the TTL")

	// Deletion: gone at once on the deleting node.
	if _, err := a.Access(ctx, admin, "libs", auth.RoleRead); err != nil {
		t.Fatal(err)
	}
	if err := a.Delete(ctx, admin, "libs", false); err != nil {
		t.Fatal(err)
	}
	_, err = a.Access(ctx, admin, "libs", auth.RoleRead)
	wantKind(t, err, fault.KindNotFound, "deleted, the deleting node")

	// A caller's copy of the members is its own: changing it does not
	// change what the next caller sees.
	if _, err := a.Create(ctx, admin, CreateRequest{Key: "one", Type: TypeLocal, Format: "npm"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Create(ctx, admin, CreateRequest{Key: "all", Type: TypeVirtual, Format: "npm", Members: []string{"one"}}); err != nil {
		t.Fatal(err)
	}
	r, err := a.Access(ctx, admin, "all", auth.RoleRead)
	if err != nil {
		t.Fatal(err)
	}
	r.Members[0] = "changed"
	if r, _ = a.Access(ctx, admin, "all", auth.RoleRead); r.Members[0] != "one" {
		t.Fatalf("members changed through a returned copy: %v", r.Members)
	}
}
