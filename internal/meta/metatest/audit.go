package metatest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/meta"
)

func listAudit(t testing.TB, db *meta.DB, f meta.AuditFilter) []meta.AuditRecord {
	t.Helper()
	rs, err := db.ListAudit(context.Background(), f)
	must(t, err, "ListAudit(%+v)", f)
	return rs
}

// checkAudit compares a stored record with what was inserted; the id is
// assigned by the store and compared only when want.ID is set.
func checkAudit(t testing.TB, got, want meta.AuditRecord) {
	t.Helper()
	if want.ID != 0 && got.ID != want.ID {
		t.Errorf("audit id %d, want %d", got.ID, want.ID)
	}
	if got.Actor != want.Actor || got.Action != want.Action || got.Resource != want.Resource ||
		got.Repo != want.Repo || got.RequestID != want.RequestID {
		t.Errorf("audit %d:\n got %+v\nwant %+v", got.ID, got, want)
	}
	if !sameTime(got.At, want.At) {
		t.Errorf("audit %d: At %v, want %v", got.ID, got.At, micro(want.At))
	}
	wantDetails := want.Details
	if wantDetails == nil {
		wantDetails = map[string]any{}
	}
	if got.Details == nil || !reflect.DeepEqual(got.Details, wantDetails) {
		t.Errorf("audit %d: details %#v, want %#v", got.ID, got.Details, wantDetails)
	}
}

func testAudit(t *testing.T, open Opener) {
	ctx := context.Background()

	// The fixture: five records, r4 and r5 at the same instant.
	records := []meta.AuditRecord{
		{At: at(0), Actor: "alice", Action: "repo.create", Resource: "repo/a", Repo: "a", RequestID: "req-1",
			Details: map[string]any{"type": "local", "n": 1.5, "nested": map[string]any{"list": []any{"x", true, nil}}}},
		{At: at(time.Second), Actor: "bob", Action: "repo.delete", Resource: "repo/a", Repo: "a"},
		{At: at(2 * time.Second), Actor: "alice", Action: "token.issue", Resource: "token/t1", Details: map[string]any{}},
		{At: at(3 * time.Second), Actor: "alice", Action: "repo.create", Resource: "repo/b", Repo: "b"},
		{At: at(3 * time.Second), Actor: "carol", Action: "repo.create", Resource: "repo/b", Repo: "b", RequestID: "req-5"},
	}
	// seed inserts the fixture, one transaction per record, and returns the
	// stored records (ids assigned) in insertion order.
	seed := func(t *testing.T, db *meta.DB) []meta.AuditRecord {
		t.Helper()
		for _, r := range records {
			tx(t, db, func(tx *meta.Tx) error { return tx.InsertAudit(ctx, r) })
		}
		got := listAudit(t, db, meta.AuditFilter{OldestFirst: true})
		if len(got) != len(records) {
			t.Fatalf("ListAudit returned %d records after %d inserts", len(got), len(records))
		}
		for i := range got {
			checkAudit(t, got[i], records[i])
			if i > 0 && got[i].ID <= got[i-1].ID {
				t.Fatalf("audit ids not increasing in insertion order: %d after %d", got[i].ID, got[i-1].ID)
			}
		}
		return got
	}
	ids := func(rs []meta.AuditRecord) []int64 {
		var out []int64
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}

	t.Run("round_trip", func(t *testing.T) {
		seed(t, open(t))
	})

	t.Run("filters", func(t *testing.T) {
		db := open(t)
		s := seed(t, db)
		// pick returns the stored records with the given 1-based fixture numbers.
		pick := func(ns ...int) []meta.AuditRecord {
			out := []meta.AuditRecord{}
			for _, n := range ns {
				out = append(out, s[n-1])
			}
			return out
		}
		for _, c := range []struct {
			name   string
			filter meta.AuditFilter
			want   []meta.AuditRecord
		}{
			{"none_newest_first", meta.AuditFilter{}, pick(5, 4, 3, 2, 1)},
			{"oldest_first", meta.AuditFilter{OldestFirst: true}, pick(1, 2, 3, 4, 5)},
			{"actor", meta.AuditFilter{Actor: "alice"}, pick(4, 3, 1)},
			{"action", meta.AuditFilter{Action: "repo.create"}, pick(5, 4, 1)},
			{"repo", meta.AuditFilter{Repo: "b"}, pick(5, 4)},
			{"repo_and_actor", meta.AuditFilter{Repo: "a", Actor: "bob"}, pick(2)},
			{"actor_unknown", meta.AuditFilter{Actor: "nobody"}, nil},
			{"since_inclusive", meta.AuditFilter{Since: at(time.Second)}, pick(5, 4, 3, 2)},
			{"since_one_microsecond_later", meta.AuditFilter{Since: micro(at(time.Second)).Add(time.Microsecond)}, pick(5, 4, 3)},
			{"until_exclusive", meta.AuditFilter{Until: at(2 * time.Second)}, pick(2, 1)},
			{"since_until", meta.AuditFilter{Since: at(time.Second), Until: at(3 * time.Second)}, pick(3, 2)},
			{"since_until_same_instant", meta.AuditFilter{Since: at(3 * time.Second), Until: at(3 * time.Second)}, nil},
			{"before_id", meta.AuditFilter{BeforeID: s[3].ID}, pick(3, 2, 1)},
			{"after_id_oldest_first", meta.AuditFilter{AfterID: s[1].ID, OldestFirst: true}, pick(3, 4, 5)},
			{"limit", meta.AuditFilter{Limit: 2}, pick(5, 4)},
			{"limit_oldest_first", meta.AuditFilter{Limit: 2, OldestFirst: true}, pick(1, 2)},
			{"limit_before_id", meta.AuditFilter{Limit: 2, BeforeID: s[3].ID}, pick(3, 2)},
			{"limit_larger_than_result", meta.AuditFilter{Limit: 100, Actor: "bob"}, pick(2)},
			{"all_filters", meta.AuditFilter{Actor: "alice", Action: "repo.create", Repo: "b", Since: at(0), Until: at(time.Hour), BeforeID: s[4].ID, Limit: 5}, pick(4)},
		} {
			t.Run(c.name, func(t *testing.T) {
				got := listAudit(t, db, c.filter)
				if !reflect.DeepEqual(ids(got), ids(c.want)) {
					t.Fatalf("ListAudit(%+v) ids = %v, want %v", c.filter, ids(got), ids(c.want))
				}
				for i := range got {
					checkAudit(t, got[i], c.want[i])
				}
			})
		}
	})

	t.Run("paginate_newest_first", func(t *testing.T) {
		db := open(t)
		s := seed(t, db)
		var pages [][]int64
		var all []int64
		f := meta.AuditFilter{Limit: 2}
		for range 10 {
			page := listAudit(t, db, f)
			if len(page) == 0 {
				break
			}
			pages = append(pages, ids(page))
			all = append(all, ids(page)...)
			f.BeforeID = page[len(page)-1].ID
		}
		want := []int64{s[4].ID, s[3].ID, s[2].ID, s[1].ID, s[0].ID}
		if !reflect.DeepEqual(all, want) || len(pages) != 3 {
			t.Errorf("pages of 2 = %v, want ids %v in 3 pages", pages, want)
		}
	})

	t.Run("each_streams_and_stops_on_error", func(t *testing.T) {
		db := open(t)
		s := seed(t, db)
		stop := errors.New("stop here")
		var seen []int64
		err := db.EachAudit(ctx, meta.AuditFilter{OldestFirst: true}, func(r meta.AuditRecord) error {
			seen = append(seen, r.ID)
			if len(seen) == 2 {
				return stop
			}
			return nil
		})
		wantErr(t, err, stop, "EachAudit with a failing callback")
		if want := []int64{s[0].ID, s[1].ID}; !reflect.DeepEqual(seen, want) {
			t.Errorf("EachAudit called back with %v, want %v then stop", seen, want)
		}
		seen = nil
		must(t, db.EachAudit(ctx, meta.AuditFilter{Actor: "alice"}, func(r meta.AuditRecord) error {
			seen = append(seen, r.ID)
			return nil
		}), "EachAudit")
		if want := []int64{s[3].ID, s[2].ID, s[0].ID}; !reflect.DeepEqual(seen, want) {
			t.Errorf("EachAudit(actor alice) = %v, want %v", seen, want)
		}
		// The store is still usable after an aborted stream (no leaked rows or locks).
		tx(t, db, func(tx *meta.Tx) error { return tx.InsertAudit(ctx, records[0]) })
	})

	t.Run("append_only_enforced_by_database", func(t *testing.T) {
		db := open(t)
		s := seed(t, db)
		for _, c := range []struct {
			name, stmt string
			args       []any
		}{
			{"update_all", "UPDATE audit SET actor = 'x'", nil},
			{"update_one", "UPDATE audit SET details = ? WHERE id = ?", []any{`{"forged":true}`, s[0].ID}},
			{"delete_all", "DELETE FROM audit", nil},
			{"delete_one", "DELETE FROM audit WHERE id = ?", []any{s[4].ID}},
			{"truncate", "TRUNCATE audit", nil},
		} {
			t.Run(c.name, func(t *testing.T) {
				if n, err := db.RawExec(ctx, c.stmt, c.args...); err == nil {
					t.Errorf("%s: the database accepted it (%d rows affected)", c.stmt, n)
				}
				// Inside a transaction too, and the failed statement rolls it back.
				err := db.Tx(ctx, func(tx *meta.Tx) error {
					_, err := tx.RawExec(ctx, c.stmt, c.args...)
					return err
				})
				if err == nil {
					t.Errorf("%s in a transaction: the database accepted it", c.stmt)
				}
				got := listAudit(t, db, meta.AuditFilter{OldestFirst: true})
				if len(got) != len(s) {
					t.Fatalf("after %s: %d records, want %d", c.stmt, len(got), len(s))
				}
				for i := range got {
					checkAudit(t, got[i], s[i])
				}
			})
		}
		// Appending still works.
		tx(t, db, func(tx *meta.Tx) error { return tx.InsertAudit(ctx, records[1]) })
		if got := listAudit(t, db, meta.AuditFilter{}); len(got) != len(s)+1 {
			t.Errorf("append after refused changes: %d records, want %d", len(got), len(s)+1)
		}
	})
}
