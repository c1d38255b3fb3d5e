package metatest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/artifortress/artifortress/internal/meta"
)

func testState(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("insert_once", func(t *testing.T) {
		db := open(t)
		_, err := db.GetState(ctx, "k")
		wantErr(t, err, meta.ErrNotFound, "GetState of an unset key")
		must(t, db.InsertState(ctx, "k", "first"), "InsertState")
		wantErr(t, db.InsertState(ctx, "k", "second"), meta.ErrExists, "second InsertState")
		must(t, db.InsertState(ctx, "other", ""), "InsertState of an empty value")
		for key, want := range map[string]string{"k": "first", "other": ""} {
			got, err := db.GetState(ctx, key)
			must(t, err, "GetState(%q)", key)
			if got != want {
				t.Errorf("GetState(%q) = %q, want %q", key, got, want)
			}
		}
	})

	// Two nodes racing to bootstrap must not both succeed.
	t.Run("concurrent_insert_one_wins", func(t *testing.T) {
		db := open(t)
		const n = 8
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			results = make([]error, n)
		)
		for i := range n {
			wg.Go(func() {
				<-start
				results[i] = db.Tx(ctx, func(tx *meta.Tx) error {
					return tx.InsertState(ctx, "race", fmt.Sprint("node-", i))
				})
			})
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range results {
			switch {
			case err == nil && winner >= 0:
				t.Errorf("InsertState succeeded for node %d and node %d", winner, i)
			case err == nil:
				winner = i
			case !errors.Is(err, meta.ErrExists):
				t.Errorf("node %d: error %v, want nil or ErrExists", i, err)
			}
		}
		if winner < 0 {
			t.Fatal("no InsertState succeeded")
		}
		got, err := db.GetState(ctx, "race")
		must(t, err, "GetState")
		if want := fmt.Sprint("node-", winner); got != want {
			t.Errorf("GetState = %q, want the winner's %q", got, want)
		}
	})
}
