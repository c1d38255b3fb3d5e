package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/meta"
)

func lastUsed(t *testing.T, db *meta.DB, id string) *time.Time {
	t.Helper()
	tok, err := db.GetToken(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return tok.LastUsedAt
}

func TestAuthenticateDefersUsageToFlush(t *testing.T) {
	s, db, clk := newService(t, Options{})
	ctx := context.Background()
	is := issue(t, s, "alice", 24*time.Hour, "repo:a:read")

	for range 3 {
		if _, err := s.Authenticate(ctx, is.Token); err != nil {
			t.Fatal(err)
		}
	}
	if got := lastUsed(t, db, is.TokenID); got != nil {
		t.Fatalf("Authenticate wrote last_used_at (%v) before any Flush", *got)
	}
	if err := s.Usage().Flush(ctx, db); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	first := clk.Now().Truncate(time.Microsecond)
	if got := lastUsed(t, db, is.TokenID); got == nil || !got.Equal(first) {
		t.Fatalf("last_used_at after Flush = %v, want %v", got, first)
	}

	clk.Advance(time.Minute)
	if _, err := s.Authenticate(ctx, is.Token); err != nil {
		t.Fatal(err)
	}
	if got := lastUsed(t, db, is.TokenID); !got.Equal(first) {
		t.Errorf("last_used_at moved to %v before Flush", got)
	}
	if err := s.Usage().Flush(ctx, db); err != nil {
		t.Fatal(err)
	}
	if got := lastUsed(t, db, is.TokenID); !got.Equal(first.Add(time.Minute)) {
		t.Errorf("last_used_at after second Flush = %v, want %v", got, first.Add(time.Minute))
	}
	// Nothing pending: Flush is a no-op.
	if err := s.Usage().Flush(ctx, db); err != nil {
		t.Errorf("empty Flush: %v", err)
	}
}

func TestUsageTrackerKeepsLatestAndRetries(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := meta.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	s := NewService(db, Options{MaxTTL: time.Hour, Now: func() time.Time { return start }})
	is := issue(t, s, "alice", time.Hour, "repo:a:read")

	u := NewUsageTracker()
	later, earlier := start.Add(time.Hour), start.Add(time.Minute)
	u.Touch(is.TokenID, later)
	u.Touch(is.TokenID, earlier) // older use must not win

	// A failed flush keeps the uses for the next one.
	closed, err := meta.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	if err := u.Flush(ctx, closed); err == nil {
		t.Fatal("Flush on a closed store succeeded")
	}
	if err := u.Flush(ctx, db); err != nil {
		t.Fatalf("Flush after a failed flush: %v", err)
	}
	if got := lastUsed(t, db, is.TokenID); got == nil || !got.Equal(later.Truncate(time.Microsecond)) {
		t.Errorf("last_used_at = %v, want the latest use %v", got, later)
	}
}

func TestUsageTrackerRunFlushesOnShutdown(t *testing.T) {
	s, db, _ := newService(t, Options{})
	is := issue(t, s, "alice", time.Hour, "repo:a:read")
	u := NewUsageTracker()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var runErr error
	go func() {
		defer close(done)
		u.Run(ctx, db, time.Hour, func(err error) { runErr = errors.Join(runErr, err) })
	}()
	used := start.Add(time.Second)
	u.Touch(is.TokenID, used)
	cancel()
	<-done
	if runErr != nil {
		t.Fatalf("Run reported %v", runErr)
	}
	if got := lastUsed(t, db, is.TokenID); got == nil || !got.Equal(used.Truncate(time.Microsecond)) {
		t.Errorf("last_used_at after shutdown = %v, want %v", got, used)
	}
}
