package auth

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/telemetry"
)

func TestIssueRefusesEscalation(t *testing.T) {
	s, db, _ := newService(t, Options{})
	ctx := context.Background()
	// alice's token carries write on a; a binding gives her admin on team.
	alice := NewPrincipal("alice", SourcePAT, "tok", mustScopes(t, "repo:a:write"), mustScopes(t, "repo:team:admin"))
	for _, c := range []struct {
		name    string
		subject string
		scopes  []string
	}{
		{"repo_admin", "alice", []string{"repo:a:admin"}},
		{"repo_promote", "alice", []string{"repo:a:promote"}},
		{"wildcard_read", "alice", []string{"repo:*:read"}},
		{"global_admin", "alice", []string{"admin"}},
		{"other_repo", "alice", []string{"repo:b:read"}},
		{"one_bad_among_good", "alice", []string{"repo:a:read", "repo:a:admin"}},
		{"another_subject", "bob", []string{"repo:a:read"}},
		{"another_subject_bound_scope", "bob", []string{"repo:team:read"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Issue(ctx, alice, IssueRequest{Subject: c.subject, Scopes: c.scopes, TTL: time.Hour})
			wantKind(t, err, fault.KindForbidden, "Issue")
		})
	}
	if n := countTokens(t, db); n != 0 {
		t.Errorf("refused issues stored %d tokens", n)
	}
	if rs := auditRecords(t, db); len(rs) != 0 {
		t.Errorf("refused issues wrote audit records: %+v", rs)
	}

	// What alice holds she may pass on, including scopes from her bindings.
	for _, scopes := range [][]string{{"repo:a:write"}, {"repo:a:read"}, {"repo:team:admin", "repo:team:promote"}} {
		is, err := s.Issue(ctx, alice, IssueRequest{Subject: "alice", Scopes: scopes, TTL: time.Hour})
		if err != nil {
			t.Errorf("Issue(%q) by a holder: %v", scopes, err)
			continue
		}
		if !slices.Equal(is.Scopes, scopes) || is.Subject != "alice" {
			t.Errorf("Issued = %+v", is)
		}
	}
	if n := countTokens(t, db); n != 3 {
		t.Errorf("%d tokens after 3 allowed issues", n)
	}
}

func TestIssueAdminForOtherSubject(t *testing.T) {
	s, db, _ := newService(t, Options{})
	ctx := context.Background()
	is, err := s.Issue(ctx, rootPrincipal(), IssueRequest{Subject: "ci-bot", Scopes: []string{"admin", "repo:*:write"}})
	if err != nil {
		t.Fatalf("admin issuing for another subject: %v", err)
	}
	tok, err := db.GetToken(ctx, is.TokenID)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Subject != "ci-bot" || tok.CreatedBy != "root" {
		t.Errorf("stored token subject %q created by %q, want ci-bot by root", tok.Subject, tok.CreatedBy)
	}
}

func TestIssueBadRequests(t *testing.T) {
	s, db, _ := newService(t, Options{MaxTTL: 24 * time.Hour})
	ctx := context.Background()
	many := make([]string, MaxScopes+1)
	for i := range many {
		many[i] = "repo:a:read"
	}
	for _, c := range []struct {
		name      string
		req       IssueRequest
		wantField string
	}{
		{"bad_subject", IssueRequest{Subject: "a b", Scopes: []string{"admin"}}, "subject"},
		{"empty_subject", IssueRequest{Subject: "", Scopes: []string{"admin"}}, "subject"},
		{"no_scopes", IssueRequest{Subject: "root"}, "scopes"},
		{"too_many_scopes", IssueRequest{Subject: "root", Scopes: many}, "scopes"},
		{"bad_scope", IssueRequest{Subject: "root", Scopes: []string{"admin", "repo:A:read"}}, "scopes[1]"},
		{"negative_ttl", IssueRequest{Subject: "root", Scopes: []string{"admin"}, TTL: -time.Minute}, "ttlMinutes"},
		{"ttl_over_max", IssueRequest{Subject: "root", Scopes: []string{"admin"}, TTL: 24*time.Hour + time.Nanosecond}, "ttlMinutes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Issue(ctx, rootPrincipal(), c.req)
			wantKind(t, err, fault.KindBadRequest, "Issue")
			if got := fault.As(err).Details["field"]; got != c.wantField {
				t.Errorf("field = %v, want %q", got, c.wantField)
			}
		})
	}
	if n := countTokens(t, db); n != 0 {
		t.Errorf("bad requests stored %d tokens", n)
	}
	if n := len(auditRecords(t, db)); n != 0 {
		t.Errorf("bad requests wrote %d audit records", n)
	}
}

func TestIssueTTL(t *testing.T) {
	for _, c := range []struct {
		name   string
		maxTTL time.Duration
		ttl    time.Duration
		want   time.Duration
	}{
		{"default", 90 * 24 * time.Hour, 0, DefaultTTL},
		{"default_capped_by_max", time.Hour, 0, time.Hour},
		{"explicit", 90 * 24 * time.Hour, 90 * time.Minute, 90 * time.Minute},
		{"exactly_max", 2 * time.Hour, 2 * time.Hour, 2 * time.Hour},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, db, clk := newService(t, Options{MaxTTL: c.maxTTL})
			is, err := s.Issue(context.Background(), rootPrincipal(), IssueRequest{Subject: "root", Scopes: []string{"admin"}, TTL: c.ttl})
			if err != nil {
				t.Fatal(err)
			}
			want := clk.Now().Add(c.want).Truncate(time.Microsecond)
			if !is.ExpiresAt.Equal(want) {
				t.Errorf("ExpiresAt = %v, want %v", is.ExpiresAt, want)
			}
			tok, err := db.GetToken(context.Background(), is.TokenID)
			if err != nil {
				t.Fatal(err)
			}
			if tok.ExpiresAt == nil || !tok.ExpiresAt.Equal(want) {
				t.Errorf("stored ExpiresAt = %v, want %v", tok.ExpiresAt, want)
			}
		})
	}
}

func TestIssueAuditsExactlyOnce(t *testing.T) {
	s, db, clk := newService(t, Options{})
	ctx := telemetry.WithRequestID(context.Background(), "req-issue-1")
	var issued []Issued
	for i, scopes := range [][]string{{"admin"}, {"repo:a:read", "repo:*:write"}} {
		is, err := s.Issue(ctx, rootPrincipal(), IssueRequest{Subject: "alice", Scopes: scopes, TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		issued = append(issued, is)
		rs := auditRecords(t, db)
		if len(rs) != i+1 {
			t.Fatalf("%d audit records after %d issues", len(rs), i+1)
		}
		r := rs[i]
		if r.Action != "token.issue" || r.Actor != "root" || r.Resource != "token/"+is.TokenID || r.RequestID != "req-issue-1" {
			t.Errorf("audit record = %+v", r)
		}
		if !r.At.Equal(clk.Now().Truncate(time.Microsecond)) {
			t.Errorf("audit At = %v, want %v", r.At, clk.Now())
		}
		if r.Details["subject"] != "alice" {
			t.Errorf("audit details = %v, want subject alice", r.Details)
		}
		if _, secret, _ := splitToken(is.Token); strings.Contains(fmt.Sprintf("%+v", r), secret) {
			t.Error("audit record carries the secret")
		}
	}
	// Every issued token authenticates.
	for _, is := range issued {
		if _, err := s.Authenticate(context.Background(), is.Token); err != nil {
			t.Errorf("issued token %s rejected: %v", is.TokenID, err)
		}
	}
}

func TestRevoke(t *testing.T) {
	s, db, _ := newService(t, Options{})
	ctx := context.Background()
	aliceTok := issue(t, s, "alice", time.Hour, "repo:a:read")
	bobTok := issue(t, s, "bob", time.Hour, "repo:a:read")
	alice := NewPrincipal("alice", SourcePAT, aliceTok.TokenID, mustScopes(t, "repo:a:read"), nil)
	auditsBefore := len(auditRecords(t, db))

	_, err := s.Revoke(ctx, alice, bobTok.TokenID)
	wantKind(t, err, fault.KindNotFound, "Revoke of another subject's token")
	_, err = s.Revoke(ctx, alice, "unknownid")
	wantKind(t, err, fault.KindNotFound, "Revoke of an unknown token")
	if n, err := s.Revoke(ctx, alice, aliceTok.TokenID); err != nil || n != 1 {
		t.Errorf("Revoke own token = %d, %v; want 1", n, err)
	}
	if n, err := s.Revoke(ctx, alice, aliceTok.TokenID); err != nil || n != 0 {
		t.Errorf("second Revoke = %d, %v; want 0", n, err)
	}
	if got := len(auditRecords(t, db)) - auditsBefore; got != 1 {
		t.Errorf("%d audit records for one effective revocation", got)
	}
	if _, err := s.Authenticate(ctx, bobTok.Token); err != nil {
		t.Errorf("bob's token was affected: %v", err)
	}
	_, err = s.RevokeSubject(ctx, alice, "bob")
	wantKind(t, err, fault.KindForbidden, "RevokeSubject of another subject")
	if n, err := s.RevokeSubject(ctx, rootPrincipal(), "bob"); err != nil || n != 1 {
		t.Errorf("admin RevokeSubject(bob) = %d, %v; want 1", n, err)
	}
	_, err = s.Authenticate(ctx, bobTok.Token)
	wantKind(t, err, fault.KindUnauthorized, "Authenticate after RevokeSubject")
	_, err = s.List(ctx, alice, meta.TokenFilter{})
	wantKind(t, err, fault.KindForbidden, "List by a non-admin")
}
