package metatest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/artifortress/artifortress/internal/meta"
)

// Concurrent writers in the transactions test.
const (
	writers         = 16
	writesPerWriter = 25
)

func testTransactions(t *testing.T, open Opener) {
	ctx := context.Background()

	// change writes a repository and its audit record, as every service does.
	change := func(tx *meta.Tx, key string) error {
		if err := tx.InsertRepo(ctx, repo(key)); err != nil {
			return err
		}
		return tx.InsertAudit(ctx, meta.AuditRecord{At: base, Actor: "metatest", Action: "repo.create", Resource: "repo/" + key, Repo: key})
	}
	// wantAbsent asserts neither the repository nor its audit record exists.
	wantAbsent := func(t *testing.T, db *meta.DB, key string) {
		t.Helper()
		wantNoRepo(t, db, key)
		if rs := listAudit(t, db, meta.AuditFilter{Repo: key}); len(rs) != 0 {
			t.Errorf("audit records of rolled-back change are visible: %+v", rs)
		}
	}
	wantPresent := func(t *testing.T, db *meta.DB, key string) {
		t.Helper()
		checkRepo(t, getRepo(t, db, key), repo(key))
		if rs := listAudit(t, db, meta.AuditFilter{Repo: key}); len(rs) != 1 {
			t.Errorf("%d audit records for %s, want 1", len(rs), key)
		}
	}

	t.Run("commit_on_nil", func(t *testing.T) {
		db := open(t)
		err := db.Tx(ctx, func(tx *meta.Tx) error {
			if err := change(tx, "committed"); err != nil {
				return err
			}
			// The transaction reads its own writes ...
			if _, err := tx.GetRepo(ctx, "committed"); err != nil {
				return fmt.Errorf("read own write: %w", err)
			}
			// ... which nobody else sees before commit.
			if _, err := db.GetRepo(ctx, "committed"); !errors.Is(err, meta.ErrNotFound) {
				return fmt.Errorf("uncommitted repo visible outside the transaction (err %v)", err)
			}
			return nil
		})
		must(t, err, "Tx")
		wantPresent(t, db, "committed")
	})

	t.Run("rollback_on_error", func(t *testing.T) {
		db := open(t)
		boom := errors.New("boom")
		err := db.Tx(ctx, func(tx *meta.Tx) error {
			if err := change(tx, "doomed"); err != nil {
				return err
			}
			return fmt.Errorf("later step: %w", boom)
		})
		wantErr(t, err, boom, "Tx whose fn failed")
		wantAbsent(t, db, "doomed")
		// The store stays writable (the lock was released).
		must(t, db.Tx(ctx, func(tx *meta.Tx) error { return change(tx, "after") }), "Tx after rollback")
		wantPresent(t, db, "after")
	})

	t.Run("after_commit_runs_only_after_a_commit", func(t *testing.T) {
		db := open(t)
		var ran []string
		must(t, db.Tx(ctx, func(tx *meta.Tx) error {
			tx.AfterCommit(func() {
				// The commit is visible to whoever the hook tells.
				if _, err := db.GetRepo(ctx, "hooked"); err != nil {
					t.Errorf("AfterCommit ran before the commit was visible: %v", err)
				}
				ran = append(ran, "committed")
			})
			return change(tx, "hooked")
		}), "Tx with a hook")
		_ = db.Tx(ctx, func(tx *meta.Tx) error {
			tx.AfterCommit(func() { ran = append(ran, "rolled back") })
			return errors.New("boom")
		})
		if len(ran) != 1 || ran[0] != "committed" {
			t.Errorf("hooks that ran: %v, want only the committed one", ran)
		}
	})

	t.Run("concurrent_failures_roll_back_only_their_own_writes", func(t *testing.T) {
		// On SQLite concurrent transactions share one commit (group
		// commit): one that fails or panics must take only its own writes
		// with it, and every caller returns with its outcome durable.
		db := open(t)
		boom := errors.New("boom")
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, writers*2)
		for i := range errs {
			wg.Go(func() {
				<-start
				defer func() {
					if p := recover(); p != nil && i%4 != 3 {
						t.Errorf("writer %d: unexpected panic %v", i, p)
					}
				}()
				errs[i] = db.Tx(ctx, func(tx *meta.Tx) error {
					if err := change(tx, fmt.Sprintf("w%02d", i)); err != nil {
						return err
					}
					switch i % 4 {
					case 1:
						return boom
					case 3:
						panic("kaboom")
					}
					return nil
				})
				if errs[i] == nil {
					// Durable on return: visible outside any transaction.
					if _, err := db.GetRepo(ctx, fmt.Sprintf("w%02d", i)); err != nil {
						t.Errorf("writer %d: committed but not visible: %v", i, err)
					}
				}
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			key := fmt.Sprintf("w%02d", i)
			switch i % 4 {
			case 1:
				wantErr(t, err, boom, "failing writer %s", key)
				wantAbsent(t, db, key)
			case 3:
				wantAbsent(t, db, key)
			default:
				must(t, err, "writer %s", key)
				wantPresent(t, db, key)
			}
		}
	})

	t.Run("rollback_on_panic", func(t *testing.T) {
		db := open(t)
		var recovered any
		func() {
			defer func() { recovered = recover() }()
			_ = db.Tx(ctx, func(tx *meta.Tx) error {
				if err := change(tx, "panicked"); err != nil {
					return err
				}
				panic("kaboom")
			})
		}()
		if recovered != "kaboom" {
			t.Fatalf("Tx did not re-raise the panic: recovered %v", recovered)
		}
		wantAbsent(t, db, "panicked")
		must(t, db.Tx(ctx, func(tx *meta.Tx) error { return change(tx, "after") }), "Tx after panic")
		wantPresent(t, db, "after")
	})

	t.Run("store_error_rolls_back_earlier_writes", func(t *testing.T) {
		db := open(t)
		insertRepos(t, db, repo("taken"))
		err := db.Tx(ctx, func(tx *meta.Tx) error {
			if err := change(tx, "first"); err != nil {
				return err
			}
			return tx.InsertRepo(ctx, repo("taken"))
		})
		wantErr(t, err, meta.ErrExists, "Tx with a duplicate insert")
		wantAbsent(t, db, "first")
	})

	t.Run("concurrent_writers_no_lost_writes", func(t *testing.T) {
		db := open(t)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for w := range writers {
			wg.Go(func() {
				<-start
				for i := range writesPerWriter {
					key := fmt.Sprintf("w%02d-%02d", w, i)
					if err := db.Tx(ctx, func(tx *meta.Tx) error { return change(tx, key) }); err != nil {
						t.Errorf("writer %d, write %d: %v", w, i, err)
						return
					}
				}
			})
		}
		close(start)
		wg.Wait()
		repos, err := db.ListRepos(ctx)
		must(t, err, "ListRepos")
		got := map[string]bool{}
		for _, r := range repos {
			got[r.Key] = true
		}
		if len(repos) != writers*writesPerWriter {
			t.Errorf("%d repositories after %d committed writes", len(repos), writers*writesPerWriter)
		}
		for w := range writers {
			for i := range writesPerWriter {
				if key := fmt.Sprintf("w%02d-%02d", w, i); !got[key] {
					t.Errorf("committed repository %s is missing", key)
				}
			}
		}
		if rs := listAudit(t, db, meta.AuditFilter{Action: "repo.create"}); len(rs) != writers*writesPerWriter {
			t.Errorf("%d audit records after %d committed writes", len(rs), writers*writesPerWriter)
		}
	})
}

// testOnEvents: the OnEvents hook fires once after a committed transaction
// that wrote an outbox event, and never for a rollback or a transaction
// without events (so a worker is woken for work that exists).
func testOnEvents(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t)
	var mu sync.Mutex
	calls := 0
	db.OnEvents(func() { mu.Lock(); calls++; mu.Unlock() })
	count := func() int { mu.Lock(); defer mu.Unlock(); return calls }
	event := meta.Event{Type: "test.event", Aggregate: "test/1", Payload: map[string]any{}, CreatedAt: base}

	if err := db.Tx(ctx, func(tx *meta.Tx) error { return tx.InsertRepo(ctx, repo("quiet")) }); err != nil {
		t.Fatal(err)
	}
	if count() != 0 {
		t.Fatal("woken by a transaction without events")
	}
	boom := errors.New("roll back")
	if err := db.Tx(ctx, func(tx *meta.Tx) error {
		if err := tx.InsertEvent(ctx, event); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if count() != 0 {
		t.Fatal("woken by a rolled-back event")
	}
	if err := db.Tx(ctx, func(tx *meta.Tx) error { return tx.InsertEvent(ctx, event) }); err != nil {
		t.Fatal(err)
	}
	if count() != 1 {
		t.Fatalf("woken %d times by one committed event, want 1", count())
	}
}
