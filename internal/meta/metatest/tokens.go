package metatest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/meta"
)

// token returns a token fixture created at base+created.
func token(id, subject string, created time.Duration) meta.Token {
	return meta.Token{
		ID: id, SecretHash: "hash-of-" + id, Subject: subject,
		Scopes: []string{"repo:a:read", "repo:*:write"}, CreatedBy: "creator-" + subject,
		CreatedAt: at(created),
	}
}

func insertTokens(t testing.TB, db *meta.DB, tokens ...meta.Token) {
	t.Helper()
	tx(t, db, func(tx *meta.Tx) error {
		for _, tk := range tokens {
			if err := tx.InsertToken(context.Background(), tk); err != nil {
				return err
			}
		}
		return nil
	})
}

func getToken(t testing.TB, db *meta.DB, id string) meta.Token {
	t.Helper()
	tk, err := db.GetToken(context.Background(), id)
	must(t, err, "GetToken(%q)", id)
	return tk
}

// checkToken compares a stored token with what was inserted (times at
// microsecond precision in UTC).
func checkToken(t testing.TB, got, want meta.Token) {
	t.Helper()
	if got.ID != want.ID || got.SecretHash != want.SecretHash || got.Subject != want.Subject || got.CreatedBy != want.CreatedBy {
		t.Errorf("token %s: got id=%q hash=%q subject=%q createdBy=%q, want %q %q %q %q", want.ID,
			got.ID, got.SecretHash, got.Subject, got.CreatedBy, want.ID, want.SecretHash, want.Subject, want.CreatedBy)
	}
	if !slices.Equal(got.Scopes, want.Scopes) {
		t.Errorf("token %s: scopes %q, want %q", want.ID, got.Scopes, want.Scopes)
	}
	if !sameTime(got.CreatedAt, want.CreatedAt) {
		t.Errorf("token %s: CreatedAt %v, want %v", want.ID, got.CreatedAt, micro(want.CreatedAt))
	}
	for _, f := range []struct {
		name      string
		got, want *time.Time
	}{
		{"ExpiresAt", got.ExpiresAt, want.ExpiresAt},
		{"LastUsedAt", got.LastUsedAt, want.LastUsedAt},
		{"RevokedAt", got.RevokedAt, want.RevokedAt},
	} {
		if !samePtrTime(f.got, f.want) {
			t.Errorf("token %s: %s %s, want %s", want.ID, f.name, fmtPtrTime(f.got), fmtPtrTime(f.want))
		}
	}
}

func ptr(t time.Time) *time.Time { return &t }

func testTokens(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("round_trip", func(t *testing.T) {
		db := open(t)
		cases := []struct {
			name string
			tok  meta.Token
		}{
			{"never_expires", token("tok-never", "alice", 0)},
			{"expires", func() meta.Token {
				tk := token("tok-expires", "bob", time.Minute)
				tk.ExpiresAt = ptr(at(30 * 24 * time.Hour))
				return tk
			}()},
			{"no_scopes_other_zone", meta.Token{
				ID: "tok-zone", SecretHash: "h", Subject: "carol", Scopes: []string{}, CreatedBy: "system",
				CreatedAt: base.In(time.FixedZone("UTC+5:30", 5*3600+1800)),
				ExpiresAt: ptr(at(time.Hour + 999*time.Nanosecond).In(time.FixedZone("UTC-7", -7*3600))),
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				must(t, db.InsertToken(ctx, c.tok), "InsertToken")
				checkToken(t, getToken(t, db, c.tok.ID), c.tok)
			})
		}
	})

	t.Run("duplicate_id", func(t *testing.T) {
		db := open(t)
		orig := token("tok-dup", "alice", 0)
		insertTokens(t, db, orig)
		dup := token("tok-dup", "mallory", time.Hour)
		dup.SecretHash = "other-hash"
		wantErr(t, db.InsertToken(ctx, dup), meta.ErrExists, "InsertToken with a taken id")
		checkToken(t, getToken(t, db, "tok-dup"), orig)
	})

	t.Run("get_unknown", func(t *testing.T) {
		db := open(t)
		insertTokens(t, db, token("tok-known", "alice", 0))
		_, err := db.GetToken(ctx, "tok-unknown")
		wantErr(t, err, meta.ErrNotFound, "GetToken of an unknown id")
	})

	t.Run("list", func(t *testing.T) {
		db := open(t)
		// tok-a0 and tok-a2 share created_at: ties are ordered by id.
		insertTokens(t, db,
			token("tok-a1", "alice", 0),
			token("tok-a2", "alice", time.Second),
			token("tok-b1", "bob", 2*time.Second),
			token("tok-a0", "alice", time.Second),
		)
		revoked, err := db.RevokeToken(ctx, "tok-a1", at(time.Hour))
		must(t, err, "RevokeToken")
		if !revoked {
			t.Fatal("RevokeToken(tok-a1) = false, want true")
		}
		for _, c := range []struct {
			name   string
			filter meta.TokenFilter
			want   []string
		}{
			{"all_live", meta.TokenFilter{}, []string{"tok-b1", "tok-a0", "tok-a2"}},
			{"all_with_revoked", meta.TokenFilter{IncludeRevoked: true}, []string{"tok-b1", "tok-a0", "tok-a2", "tok-a1"}},
			{"subject_live", meta.TokenFilter{Subject: "alice"}, []string{"tok-a0", "tok-a2"}},
			{"subject_with_revoked", meta.TokenFilter{Subject: "alice", IncludeRevoked: true}, []string{"tok-a0", "tok-a2", "tok-a1"}},
			{"other_subject", meta.TokenFilter{Subject: "bob", IncludeRevoked: true}, []string{"tok-b1"}},
			{"unknown_subject", meta.TokenFilter{Subject: "nobody", IncludeRevoked: true}, nil},
		} {
			t.Run(c.name, func(t *testing.T) {
				got, err := db.ListTokens(ctx, c.filter)
				must(t, err, "ListTokens(%+v)", c.filter)
				var ids []string
				for _, tk := range got {
					ids = append(ids, tk.ID)
					if (tk.ID == "tok-a1") != (tk.RevokedAt != nil) {
						t.Errorf("ListTokens: %s RevokedAt=%s", tk.ID, fmtPtrTime(tk.RevokedAt))
					}
					if tk.SecretHash != "hash-of-"+tk.ID || len(tk.Scopes) != 2 {
						t.Errorf("ListTokens: %s has hash %q scopes %q", tk.ID, tk.SecretHash, tk.Scopes)
					}
				}
				if !sameStrings(ids, c.want) {
					t.Errorf("ListTokens(%+v) = %q, want %q", c.filter, ids, c.want)
				}
			})
		}
	})

	t.Run("revoke", func(t *testing.T) {
		db := open(t)
		insertTokens(t, db, token("tok-r", "alice", 0), token("tok-other", "alice", 0))
		first := at(time.Hour + 123*time.Nanosecond)
		changed, err := db.RevokeToken(ctx, "tok-r", first)
		must(t, err, "RevokeToken")
		if !changed {
			t.Error("first RevokeToken = false, want true")
		}
		changed, err = db.RevokeToken(ctx, "tok-r", at(2*time.Hour))
		must(t, err, "second RevokeToken")
		if changed {
			t.Error("second RevokeToken = true, want false (already revoked)")
		}
		if got := getToken(t, db, "tok-r").RevokedAt; !samePtrTime(got, &first) {
			t.Errorf("RevokedAt = %s after revoking twice, want the first time %v", fmtPtrTime(got), micro(first))
		}
		if got := getToken(t, db, "tok-other").RevokedAt; got != nil {
			t.Errorf("revoking tok-r revoked tok-other too (RevokedAt %v)", *got)
		}
		changed, err = db.RevokeToken(ctx, "tok-unknown", first)
		wantErr(t, err, meta.ErrNotFound, "RevokeToken of an unknown id")
		if changed {
			t.Error("RevokeToken of an unknown id reported a change")
		}
	})

	t.Run("revoke_subject", func(t *testing.T) {
		db := open(t)
		insertTokens(t, db,
			token("tok-a1", "alice", 0), token("tok-a2", "alice", 0), token("tok-a3", "alice", 0),
			token("tok-b1", "bob", 0),
		)
		early := at(time.Minute)
		_, err := db.RevokeToken(ctx, "tok-a3", early)
		must(t, err, "RevokeToken")
		later := at(time.Hour)
		for _, c := range []struct {
			subject string
			want    int64
		}{
			{"alice", 2}, // tok-a3 was already revoked
			{"alice", 0},
			{"nobody", 0},
		} {
			n, err := db.RevokeSubjectTokens(ctx, c.subject, later)
			must(t, err, "RevokeSubjectTokens(%q)", c.subject)
			if n != c.want {
				t.Errorf("RevokeSubjectTokens(%q) = %d, want %d", c.subject, n, c.want)
			}
		}
		for id, want := range map[string]*time.Time{"tok-a1": &later, "tok-a2": &later, "tok-a3": &early, "tok-b1": nil} {
			if got := getToken(t, db, id).RevokedAt; !samePtrTime(got, want) {
				t.Errorf("%s RevokedAt = %s, want %s", id, fmtPtrTime(got), fmtPtrTime(want))
			}
		}
	})

	t.Run("touch_never_moves_back", func(t *testing.T) {
		db := open(t)
		insertTokens(t, db, token("tok-t", "alice", 0), token("tok-u", "alice", 0))
		steps := []struct {
			name  string
			touch map[string]time.Time
			want  map[string]*time.Time // expected last_used_at after the step
		}{
			{"first_use", map[string]time.Time{"tok-t": at(10 * time.Second)},
				map[string]*time.Time{"tok-t": ptr(at(10 * time.Second)), "tok-u": nil}},
			{"older_is_ignored", map[string]time.Time{"tok-t": at(5 * time.Second)},
				map[string]*time.Time{"tok-t": ptr(at(10 * time.Second)), "tok-u": nil}},
			{"same_is_kept", map[string]time.Time{"tok-t": at(10 * time.Second)},
				map[string]*time.Time{"tok-t": ptr(at(10 * time.Second)), "tok-u": nil}},
			{"newer_moves_forward_batch", map[string]time.Time{"tok-t": at(20*time.Second + 7*time.Microsecond), "tok-u": at(time.Second), "tok-unknown": at(time.Hour)},
				map[string]*time.Time{"tok-t": ptr(at(20*time.Second + 7*time.Microsecond)), "tok-u": ptr(at(time.Second))}},
			{"mixed_batch", map[string]time.Time{"tok-t": at(time.Second), "tok-u": at(time.Minute)},
				map[string]*time.Time{"tok-t": ptr(at(20*time.Second + 7*time.Microsecond)), "tok-u": ptr(at(time.Minute))}},
			{"empty_batch", map[string]time.Time{},
				map[string]*time.Time{"tok-t": ptr(at(20*time.Second + 7*time.Microsecond)), "tok-u": ptr(at(time.Minute))}},
		}
		for _, s := range steps {
			must(t, db.TouchTokens(ctx, s.touch), "TouchTokens step %s", s.name)
			for id, want := range s.want {
				if got := getToken(t, db, id).LastUsedAt; !samePtrTime(got, want) {
					t.Errorf("after %s: %s LastUsedAt = %s, want %s", s.name, id, fmtPtrTime(got), fmtPtrTime(want))
				}
			}
		}
		if _, err := db.GetToken(ctx, "tok-unknown"); err == nil {
			t.Error("TouchTokens created a token for an unknown id")
		}
	})
}
