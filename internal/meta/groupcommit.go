package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// maxBatch bounds how many transactions one SQLite commit carries, so that
// the first of a batch does not wait on an endless stream of others.
const maxBatch = 32

// writeBatch is the SQLite transaction that concurrent Tx calls share: each
// runs in a savepoint of it, and the last of them commits it (group
// commit). SQLite takes one writer at a time and makes each commit durable
// with an fsync of its log; a batch pays that once for every transaction
// queued behind the one running, instead of once each.
type writeBatch struct {
	stx     *sql.Tx
	members int           // transactions released into the batch
	done    chan struct{} // closed when the batch is committed or rolled back
	err     error         // the commit's error, set before done closes
}

// groupTx is Tx on SQLite. The caller queues on writeMu; with it held, fn
// runs in a savepoint of the open batch (begun if none is open): an error
// or a panic rolls back to the savepoint, undoing only this caller's
// writes. Then, if nobody else is queued or the batch is full, this caller
// commits the batch; otherwise the next one in the queue carries it on.
// Every caller returns only once the batch has committed: a commit error
// is every member's error, and nothing of the batch is durable then.
// Statements run detached from the caller's cancellation (Q.detached): an
// interrupted statement would roll back the whole shared transaction.
func (db *DB) groupTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	db.waiting.Add(1)
	db.writeMu.Lock()
	db.waiting.Add(-1)
	b := db.batch
	if b == nil {
		stx, err := db.writer.BeginTx(context.WithoutCancel(ctx), nil)
		if err != nil {
			db.writeMu.Unlock()
			return fmt.Errorf("begin transaction: %w", err)
		}
		b = &writeBatch{stx: stx, done: make(chan struct{})}
		db.batch = b
	}
	wroteEvents := false
	tx := &Tx{Q: Q{c: b.stx, d: db.d, stmts: db.writerStmts, tx: b.stx, wroteEvents: &wroteEvents, detached: true}}
	ferr := db.inSavepoint(ctx, tx, fn)
	if ferr == nil {
		b.members++
	}
	if db.waiting.Load() == 0 || b.members >= maxBatch || isBatchError(ferr) {
		db.batch = nil
		b.finish(isBatchError(ferr))
		db.writeMu.Unlock()
	} else {
		db.writeMu.Unlock()
		<-b.done
	}
	if p, ok := ferr.(panicked); ok {
		panic(p.value)
	}
	if sp, ok := ferr.(errSavepoint); ok && sp.panic != nil {
		panic(sp.panic.value)
	}
	if ferr != nil {
		return ferr
	}
	if b.err != nil {
		return fmt.Errorf("commit transaction: %w", b.err)
	}
	db.committed(tx)
	return nil
}

// finish commits the batch and wakes its members. It rolls the batch back
// instead when no transaction was released into it, or when abort is set
// (a savepoint failed: what the transaction holds is not known), which is
// then every member's error.
func (b *writeBatch) finish(abort bool) {
	switch {
	case abort:
		_ = b.stx.Rollback()
		b.err = errBatchAborted
	case b.members == 0:
		b.err = b.stx.Rollback()
	default:
		b.err = b.stx.Commit()
	}
	close(b.done)
}

// errBatchAborted is the error of every member of a batch rolled back
// because a savepoint failed.
var errBatchAborted = errors.New("a savepoint failed; the shared transaction was rolled back")

// panicked carries a panic of fn out of its savepoint, to be re-raised once
// the batch is settled.
type panicked struct{ value any }

func (p panicked) Error() string { return fmt.Sprint("panic: ", p.value) }

// errSavepoint marks a failure of the savepoint statements themselves: the
// shared transaction is in an unknown state, so the batch ends with it.
// panic is set when fn had panicked first: it is re-raised all the same.
type errSavepoint struct {
	err   error
	panic *panicked
}

func (e errSavepoint) Error() string { return "savepoint: " + e.err.Error() }
func (e errSavepoint) Unwrap() error { return e.err }

func isBatchError(err error) bool {
	_, ok := err.(errSavepoint)
	return ok
}

// inSavepoint runs fn inside a savepoint of tx's batch: released when fn
// returns nil, rolled back to otherwise (an error, or a panic, returned as
// panicked).
func (db *DB) inSavepoint(ctx context.Context, tx *Tx, fn func(tx *Tx) error) (err error) {
	bg := context.WithoutCancel(ctx)
	if _, err := tx.tx.ExecContext(bg, "SAVEPOINT tx"); err != nil {
		return errSavepoint{err: err}
	}
	defer func() {
		if p := recover(); p != nil {
			err = panicked{p}
		}
		if err != nil {
			if _, rerr := tx.tx.ExecContext(bg, "ROLLBACK TO tx"); rerr != nil {
				fail := errSavepoint{err: fmt.Errorf("%w (after %v)", rerr, err)}
				if p, ok := err.(panicked); ok {
					fail.panic = &p
				}
				err = fail
				return
			}
		}
		if _, rerr := tx.tx.ExecContext(bg, "RELEASE tx"); rerr != nil && err == nil {
			err = errSavepoint{err: rerr}
		}
	}()
	if err := ctx.Err(); err != nil {
		return err // gone while queued: nothing to run
	}
	return fn(tx)
}
