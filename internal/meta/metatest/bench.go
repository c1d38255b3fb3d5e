package metatest

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/meta"
)

// Bench runs the store's benchmarks against the backend that open returns
// (a freshly migrated, empty store, closed by open's own b.Cleanup).
//
// Each read benchmark is measured next to "ping", a `SELECT 1` round trip on
// the same store in the same run: the floor any query pays, so the gap shows
// what the query itself costs. "insert_audit_tx" is the floor of every state
// change (one transaction, one audit row).
func Bench(b *testing.B, open func(b *testing.B) *meta.DB) {
	ctx := context.Background()

	b.Run("ping", func(b *testing.B) {
		db := open(b)
		warm(b, db)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := db.Ping(ctx); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})

	b.Run("get_token", func(b *testing.B) {
		db := open(b)
		const n = 1000
		ids := make([]string, n)
		benchTx(b, db, func(tx *meta.Tx) error {
			for i := range ids {
				ids[i] = fmt.Sprintf("tok-%06d", i)
				exp := at(time.Hour)
				tk := token(ids[i], fmt.Sprint("subject-", i%50), 0)
				tk.ExpiresAt = &exp
				if err := tx.InsertToken(ctx, tk); err != nil {
					return err
				}
			}
			return nil
		})
		var next atomic.Uint64
		warm(b, db)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				id := ids[next.Add(1)%n]
				if _, err := db.GetToken(ctx, id); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})

	b.Run("get_repo_virtual_10_members", func(b *testing.B) {
		db := open(b)
		var members []string
		benchTx(b, db, func(tx *meta.Tx) error {
			for i := range 10 {
				r := repo(fmt.Sprintf("member-%02d", i))
				members = append(members, r.Key)
				if err := tx.InsertRepo(ctx, r); err != nil {
					return err
				}
			}
			return tx.InsertRepo(ctx, repo("virtual", members...))
		})
		warm(b, db)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r, err := db.GetRepo(ctx, "virtual")
				if err != nil || len(r.Members) != 10 {
					b.Errorf("GetRepo: %d members, %v", len(r.Members), err)
					return
				}
			}
		})
	})

	b.Run("subject_bindings_20_repos", func(b *testing.B) {
		db := open(b)
		benchTx(b, db, func(tx *meta.Tx) error {
			for i := range 100 {
				key := fmt.Sprintf("repo-%03d", i)
				if err := tx.InsertRepo(ctx, repo(key)); err != nil {
					return err
				}
				// alice is bound on every fifth repository; others add noise.
				subject := fmt.Sprint("user-", i%7)
				if i%5 == 0 {
					subject = "alice"
				}
				if err := tx.PutBinding(ctx, meta.Binding{Repo: key, Subject: subject, Roles: []string{"read", "write"}}, base); err != nil {
					return err
				}
			}
			return nil
		})
		warm(b, db)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				bs, err := db.SubjectBindings(ctx, "alice")
				if err != nil || len(bs) != 20 {
					b.Errorf("SubjectBindings: %d bindings, %v", len(bs), err)
					return
				}
			}
		})
	})

	b.Run("insert_audit_tx", func(b *testing.B) {
		db := open(b)
		rec := meta.AuditRecord{At: base, Actor: "bench", Action: "bench.write", Resource: "bench/1",
			Details: map[string]any{"key": "value", "n": 1}}
		warm(b, db)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := db.Tx(ctx, func(tx *meta.Tx) error { return tx.InsertAudit(ctx, rec) }); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// warm opens as many pooled connections as RunParallel will use, so that
// connection set-up is not measured.
func warm(b *testing.B, db *meta.DB) {
	b.Helper()
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) * 2 {
		wg.Go(func() {
			if err := db.Ping(context.Background()); err != nil {
				b.Error(err)
			}
		})
	}
	wg.Wait()
}

func benchTx(b *testing.B, db *meta.DB, fn func(tx *meta.Tx) error) {
	b.Helper()
	if err := db.Tx(context.Background(), fn); err != nil {
		b.Fatalf("seed: %v", err)
	}
}
