package auth

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
)

// clock is a settable Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// start has nanoseconds so that microsecond truncation is exercised.
var start = time.Date(2025, 6, 1, 12, 0, 0, 123456789, time.UTC)

// newStore opens a migrated SQLite store in a fresh directory.
func newStore(t *testing.T) *meta.DB {
	t.Helper()
	ctx := context.Background()
	db, err := meta.Open(ctx, "", t.TempDir())
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// newService returns a service over a fresh store with a settable clock.
// opt.Now is replaced by the clock; a zero MaxTTL becomes 90 days.
func newService(t *testing.T, opt Options) (*Service, *meta.DB, *clock) {
	t.Helper()
	c := &clock{t: start}
	opt.Now = c.Now
	if opt.MaxTTL == 0 {
		opt.MaxTTL = 90 * 24 * time.Hour
	}
	db := newStore(t)
	return NewService(db, opt), db, c
}

func rootPrincipal() *Principal {
	return NewPrincipal("root", SourceBootstrap, "", []Scope{{Admin: true}}, nil)
}

func mustScopes(t *testing.T, ss ...string) []Scope {
	t.Helper()
	out, _, err := ParseScopes(ss)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// issue mints a token as the global administrator.
func issue(t *testing.T, s *Service, subject string, ttl time.Duration, scopes ...string) Issued {
	t.Helper()
	is, err := s.Issue(context.Background(), rootPrincipal(), IssueRequest{Subject: subject, Scopes: scopes, TTL: ttl})
	if err != nil {
		t.Fatalf("Issue(%s, %q): %v", subject, scopes, err)
	}
	return is
}

// wantKind fails unless err is a domain error of the given kind.
func wantKind(t *testing.T, err error, kind fault.Kind, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want kind %d", what, kind)
	}
	if got := fault.KindOf(err); got != kind {
		t.Fatalf("%s: error %v has kind %d, want %d", what, err, got, kind)
	}
}

func TestAuthenticateIssuedToken(t *testing.T) {
	s, db, _ := newService(t, Options{})
	ctx := context.Background()
	is := issue(t, s, "alice", time.Hour, "repo:a:write", "repo:*:read")

	p, err := s.Authenticate(ctx, is.Token)
	if err != nil {
		t.Fatalf("Authenticate(fresh token): %v", err)
	}
	if p.Subject != "alice" || p.Source != SourcePAT || p.TokenID != is.TokenID {
		t.Errorf("principal = %+v, want alice/pat/%s", p, is.TokenID)
	}
	if len(p.Scopes) != 2 || p.Scopes[0] != (Scope{Repo: "a", Role: RoleWrite}) || p.Scopes[1] != (Scope{Repo: AnyRepo, Role: RoleRead}) {
		t.Errorf("Scopes = %v", p.Scopes)
	}
	if !p.Can("a", RoleWrite) || !p.Can("zzz", RoleRead) || p.Can("b", RoleWrite) || p.IsAdmin() {
		t.Error("principal grants do not match the token's scopes")
	}

	// Role bindings of the subject join the token's scopes.
	tx := func(fn func(tx *meta.Tx) error) {
		t.Helper()
		if err := db.Tx(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	tx(func(tx *meta.Tx) error {
		if err := tx.InsertRepo(ctx, meta.Repo{Key: "b", Type: "local", Format: "generic", Settings: "{}"}); err != nil {
			return err
		}
		return tx.PutBinding(ctx, meta.Binding{Repo: "b", Subject: "alice", Roles: []string{"promote"}}, start)
	})
	p, err = s.Authenticate(ctx, is.Token)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Can("b", RolePromote) || p.Can("b", RoleWrite) {
		t.Error("role binding (promote on b) not reflected in the principal")
	}
	if len(p.Scopes) != 2 {
		t.Errorf("bindings leaked into the token's Scopes: %v", p.Scopes)
	}
}

func TestAuthenticateRejects(t *testing.T) {
	s, _, clk := newService(t, Options{})
	ctx := context.Background()
	live := issue(t, s, "alice", time.Hour, "repo:a:read")
	revoked := issue(t, s, "alice", time.Hour, "repo:a:read")
	if n, err := s.Revoke(ctx, rootPrincipal(), revoked.TokenID); err != nil || n != 1 {
		t.Fatalf("Revoke = %d, %v", n, err)
	}
	_, otherToken, _ := newToken()
	_, otherSecret, _ := splitToken(otherToken)
	liveID, _, _ := splitToken(live.Token)
	for _, c := range []struct{ name, token string }{
		{"revoked", revoked.Token},
		{"wrong_secret_right_id", TokenPrefix + liveID + "_" + otherSecret},
		{"unknown_id", otherToken},
		{"empty", ""},
		{"malformed", "not-a-token"},
		{"trailing_garbage", live.Token + "x"},
		{"with_scheme", "Bearer " + live.Token},
		{"uppercase", strings.ToUpper(live.Token)},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := s.Authenticate(ctx, c.token)
			wantKind(t, err, fault.KindUnauthorized, "Authenticate")
			if p != nil {
				t.Errorf("rejected token returned principal %+v", p)
			}
			if _, secret, ok := splitToken(c.token); ok && strings.Contains(err.Error(), secret) {
				t.Errorf("error %q contains the secret", err)
			}
		})
	}

	t.Run("expiry_boundary", func(t *testing.T) {
		// Expiry is exclusive: valid until one microsecond before ExpiresAt.
		if _, err := s.Authenticate(ctx, live.Token); err != nil {
			t.Fatalf("fresh token rejected: %v", err)
		}
		clk.Advance(live.ExpiresAt.Sub(clk.Now()) - time.Microsecond)
		if _, err := s.Authenticate(ctx, live.Token); err != nil {
			t.Fatalf("token rejected one microsecond before expiry: %v", err)
		}
		clk.Advance(time.Microsecond)
		_, err := s.Authenticate(ctx, live.Token)
		wantKind(t, err, fault.KindUnauthorized, "Authenticate at ExpiresAt")
		clk.Advance(24 * time.Hour)
		_, err = s.Authenticate(ctx, live.Token)
		wantKind(t, err, fault.KindUnauthorized, "Authenticate a day after expiry")
	})
}

func TestAuthenticateBootstrapSecret(t *testing.T) {
	const secret = "bootstrap-Secret-0123456789"
	s, _, _ := newService(t, Options{BootstrapToken: secret})
	ctx := context.Background()
	p, err := s.Authenticate(ctx, secret)
	if err != nil {
		t.Fatalf("bootstrap secret rejected: %v", err)
	}
	if p.Subject != BootstrapSubject || p.Source != SourceBootstrap || !p.IsAdmin() {
		t.Errorf("bootstrap principal = %+v, want admin/bootstrap with the admin scope", p)
	}
	for _, near := range []string{
		secret + "x", secret[:len(secret)-1], strings.ToLower(secret), secret + "\n", " " + secret, "", "Bearer " + secret,
	} {
		if p, err := s.Authenticate(ctx, near); fault.KindOf(err) != fault.KindUnauthorized || p != nil {
			t.Errorf("near-miss %q: principal %+v, error %v; want Unauthorized", near, p, err)
		}
	}
	// Issued tokens still work next to the bootstrap secret.
	is := issue(t, s, "alice", time.Hour, "repo:a:read")
	if _, err := s.Authenticate(ctx, is.Token); err != nil {
		t.Errorf("issued token rejected when a bootstrap secret is configured: %v", err)
	}
}

func TestAuthenticateEmptyWithoutBootstrapSecret(t *testing.T) {
	s, _, _ := newService(t, Options{})
	_, err := s.Authenticate(context.Background(), "")
	wantKind(t, err, fault.KindUnauthorized, `Authenticate("") without a bootstrap secret`)
}

func TestValidSubject(t *testing.T) {
	for _, c := range []struct {
		s  string
		ok bool
	}{
		{"alice", true}, {"ci-bot@example.com", true}, {"oidc:sub+1", true}, {"A.b_c", true},
		{strings.Repeat("x", 128), true}, {strings.Repeat("x", 129), false},
		{"", false}, {"a b", false}, {"a/b", false}, {"é", false}, {"a\n", false},
	} {
		if got := ValidSubject(c.s); got != c.ok {
			t.Errorf("ValidSubject(%q) = %v, want %v", c.s, got, c.ok)
		}
	}
}
