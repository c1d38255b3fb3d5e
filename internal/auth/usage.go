package auth

import (
	"context"
	"sync"
	"time"

	"github.com/artifortress/artifortress/internal/meta"
)

// UsageTracker remembers when each token was last used, in memory, so that
// authentication never costs a database write. Flush writes the batch.
type UsageTracker struct {
	mu      sync.Mutex
	pending map[string]time.Time
}

// NewUsageTracker returns an empty tracker.
func NewUsageTracker() *UsageTracker {
	return &UsageTracker{pending: map[string]time.Time{}}
}

// Touch records a use of token id at t.
func (u *UsageTracker) Touch(id string, t time.Time) {
	u.mu.Lock()
	if t.After(u.pending[id]) {
		u.pending[id] = t
	}
	u.mu.Unlock()
}

// Flush writes the recorded uses in one transaction. On failure the uses are
// kept for the next flush.
func (u *UsageTracker) Flush(ctx context.Context, db *meta.DB) error {
	u.mu.Lock()
	batch := u.pending
	u.pending = map[string]time.Time{}
	u.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := db.Tx(ctx, func(tx *meta.Tx) error { return tx.TouchTokens(ctx, batch) })
	if err != nil {
		for id, t := range batch {
			u.Touch(id, t)
		}
	}
	return err
}

// Run flushes every interval until ctx ends, then flushes once more with a
// fresh short deadline so a graceful shutdown loses nothing.
func (u *UsageTracker) Run(ctx context.Context, db *meta.DB, interval time.Duration, onErr func(error)) {
	if onErr == nil {
		onErr = func(error) {}
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := u.Flush(fctx, db); err != nil {
				onErr(err)
			}
			cancel()
			return
		case <-t.C:
			if err := u.Flush(ctx, db); err != nil {
				onErr(err)
			}
		}
	}
}
