package transfer

import (
	"context"
	"strings"
	"time"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/meta"
)

// Sweeper timings.
const (
	// StaleAssembly: a session assembling for longer than this lost its node
	// (a crash mid-assembly) and is reopened so the client can complete again.
	StaleAssembly = 30 * time.Minute
	// FinishedRetention: finished sessions are kept this long for inspection.
	FinishedRetention = 7 * 24 * time.Hour
	// OrphanAge: staged objects without a live session, and temporary files,
	// older than this are debris from crashes.
	OrphanAge  = time.Hour
	sweepBatch = 500
)

// SweepStats counts what one sweep did.
type SweepStats struct {
	Expired, Reopened, Deleted, OrphansRemoved, TmpRemoved int
}

// TmpCleaner is implemented by stores that keep temporary files (filestore).
type TmpCleaner interface {
	CleanTmp(cutoff time.Time) (int, error)
}

// Sweep expires abandoned sessions and removes their bytes, reopens sessions
// whose assembly died with its node, forgets old finished sessions, and
// removes staged objects and temporary files that no live session owns.
func (s *Service) Sweep(ctx context.Context) (SweepStats, error) {
	var st SweepStats
	now := s.opt.Now().UTC()
	expired, err := s.db.UploadsToSweep(ctx, []string{StateOpen, StateCompleted}, now, false, sweepBatch)
	if err != nil {
		return st, err
	}
	for _, u := range expired {
		ok, err := s.transition(ctx, meta.UploadChange{ID: u.ID, From: []string{u.State}, To: StateExpired})
		if err != nil {
			return st, err
		}
		if ok {
			st.Expired++
			s.discard(ctx, u.ID)
		}
	}
	stale, err := s.db.UploadsToSweep(ctx, []string{StateAssembling}, now.Add(-StaleAssembly), true, sweepBatch)
	if err != nil {
		return st, err
	}
	for _, u := range stale {
		msg := "assembly interrupted; complete again"
		if ok, err := s.transition(ctx, meta.UploadChange{ID: u.ID, From: []string{StateAssembling}, To: StateOpen, Error: &msg}); err != nil {
			return st, err
		} else if ok {
			st.Reopened++
		}
	}
	n, err := s.db.DeleteUploads(ctx, []string{StateCommitted, StateAborted, StateExpired}, now.Add(-FinishedRetention))
	if err != nil {
		return st, err
	}
	st.Deleted = int(n)
	if st.OrphansRemoved, err = s.removeOrphans(ctx, now.Add(-OrphanAge)); err != nil {
		return st, err
	}
	if c, ok := s.store.(TmpCleaner); ok {
		if st.TmpRemoved, err = c.CleanTmp(now.Add(-OrphanAge)); err != nil {
			return st, err
		}
	}
	return st, nil
}

// removeOrphans deletes staged objects older than cutoff whose session is
// gone or finished, and one-shot leftovers.
func (s *Service) removeOrphans(ctx context.Context, cutoff time.Time) (int, error) {
	var doomed []string
	err := s.store.ListStaged(ctx, "", func(i blob.Info) error {
		if !i.ModTime.Before(cutoff) {
			return nil
		}
		if strings.HasPrefix(i.Name, "oneshot/") {
			doomed = append(doomed, i.Name)
			return nil
		}
		rest, ok := strings.CutPrefix(i.Name, "uploads/")
		if !ok {
			return nil
		}
		id, _, _ := strings.Cut(rest, "/")
		u, err := s.db.GetUpload(ctx, id)
		if err == meta.ErrNotFound || (err == nil && (u.State == StateCommitted || u.State == StateAborted || u.State == StateExpired)) {
			doomed = append(doomed, i.Name)
			return nil
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	for _, name := range doomed {
		if err := s.store.DeleteStaged(ctx, name); err != nil {
			return 0, err
		}
	}
	return len(doomed), nil
}
