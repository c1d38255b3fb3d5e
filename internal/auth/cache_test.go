package auth

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
)

// TestCacheHonoursExpiryRevocationAndBindings: a remembered token still
// expires on time, and revocations and binding changes made through this
// node apply at once; a stale entry never outlives the TTL.
func TestCacheHonoursExpiryRevocationAndBindings(t *testing.T) {
	ctx := context.Background()
	s, db, clk := newService(t, Options{CacheTTL: time.Minute})
	tok := issue(t, s, "ci", 10*time.Minute, "repo:libs:read")
	if _, err := s.Authenticate(ctx, tok.Token); err != nil {
		t.Fatal(err)
	}

	// A different secret with the same id misses the cache and fails.
	forged := tok.Token[:len(tok.Token)-1] + map[bool]string{true: "b", false: "a"}[tok.Token[len(tok.Token)-1] == 'a']
	_, err := s.Authenticate(ctx, forged)
	wantKind(t, err, fault.KindUnauthorized, "forged secret, cached id")

	// Expiry is checked on every hit.
	clk.Advance(10 * time.Minute)
	_, err = s.Authenticate(ctx, tok.Token)
	wantKind(t, err, fault.KindUnauthorized, "expired while cached")

	// Revocation drops the entry at once.
	tok2 := issue(t, s, "ci", time.Hour, "repo:libs:read")
	if _, err := s.Authenticate(ctx, tok2.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Revoke(ctx, rootPrincipal(), tok2.TokenID); err != nil {
		t.Fatal(err)
	}
	_, err = s.Authenticate(ctx, tok2.Token)
	wantKind(t, err, fault.KindUnauthorized, "revoked while cached")

	// A binding change (reported by the repository service) drops the subject.
	tok3 := issue(t, s, "dev", time.Hour, "repo:libs:read")
	p, err := s.Authenticate(ctx, tok3.Token)
	if err != nil || p.Can("apps", RoleWrite) {
		t.Fatalf("before binding: %v %v", p, err)
	}
	if err := db.Tx(ctx, func(tx *meta.Tx) error {
		if err := tx.InsertRepo(ctx, meta.Repo{Key: "apps", Type: "local", Format: "npm", Settings: "{}", CreatedAt: clk.Now(), UpdatedAt: clk.Now()}); err != nil {
			return err
		}
		return tx.PutBinding(ctx, meta.Binding{Repo: "apps", Subject: "dev", Roles: []string{"write"}}, clk.Now())
	}); err != nil {
		t.Fatal(err)
	}
	s.SubjectChanged("dev")
	if p, err := s.Authenticate(ctx, tok3.Token); err != nil || !p.Can("apps", RoleWrite) {
		t.Fatalf("after binding change: %v %v", p, err)
	}

	// A change made behind the node's back shows once the TTL passes.
	if _, err := db.RawExec(ctx, "UPDATE tokens SET revoked_at = 1 WHERE id = ?", tok3.TokenID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, tok3.Token); err != nil {
		t.Fatalf("within the TTL the entry serves: %v", err)
	}
	clk.Advance(time.Minute)
	_, err = s.Authenticate(ctx, tok3.Token)
	wantKind(t, err, fault.KindUnauthorized, "revoked elsewhere, after the TTL")
}

// TestRevocationRacingVerification: however a verification interleaves with
// a revocation, once Revoke returns the token fails on this node.
func TestRevocationRacingVerification(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t, Options{CacheTTL: time.Hour})
	for i := range 50 {
		tok := issue(t, s, "racer", time.Hour, "repo:libs:read")
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() { _, _ = s.Authenticate(ctx, tok.Token) })
		}
		if _, err := s.Revoke(ctx, rootPrincipal(), tok.TokenID); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if _, err := s.Authenticate(ctx, tok.Token); fault.KindOf(err) != fault.KindUnauthorized {
			t.Fatalf("round %d: revoked token still authenticates (%v)", i, err)
		}
	}
}
