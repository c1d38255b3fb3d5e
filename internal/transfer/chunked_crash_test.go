package transfer_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/config"
	"github.com/artifortress/artifortress/internal/repo"
	"github.com/artifortress/artifortress/internal/servertest"
	"github.com/artifortress/artifortress/internal/transfer"
)

// gate makes n readers block in their first Read until all n are there:
// n appends that have all read the session row, and checked its length,
// before any of them stages a byte.
type gate struct {
	wg      sync.WaitGroup
	release chan struct{}
}

func newGate(n int) *gate {
	g := &gate{release: make(chan struct{})}
	g.wg.Add(n)
	go func() { g.wg.Wait(); close(g.release) }()
	return g
}

type gatedReader struct {
	g      *gate
	r      io.Reader
	passed bool
}

func (r *gatedReader) Read(p []byte) (int, error) {
	if !r.passed {
		r.passed = true
		r.g.wg.Done()
		<-r.g.release
	}
	return r.r.Read(p)
}

func TestConcurrentAppendsOneWins(t *testing.T) {
	servertest.ForEachStack(t, func(t *testing.T, b servertest.Backend, opt func(*config.Config)) {
		s := newStack(t, b, opt)
		ctx := t.Context()
		const n = 8
		for round, start := range []int64{0, -1} {
			cs := s.create(t, admin, "images")
			head := randomBytes(9, 1000)
			s.append(t, cs.ID, 0, head)
			bodies := make([][]byte, n)
			results := make([]error, n)
			g := newGate(n)
			var wg sync.WaitGroup
			for i := range n {
				bodies[i] = randomBytes(uint64(100*round+i), 20_000+i)
				wg.Add(1)
				go func() {
					defer wg.Done()
					at := start
					if at >= 0 {
						at = int64(len(head))
					}
					_, results[i] = s.svc.AppendChunk(ctx, admin, "images", cs.ID, at, &gatedReader{g: g, r: bytes.NewReader(bodies[i])})
				}()
			}
			wg.Wait()
			winner := -1
			for i, err := range results {
				switch {
				case err == nil:
					if winner >= 0 {
						t.Fatalf("appends %d and %d both landed", winner, i)
					}
					winner = i
				case code(err) != "upload_append_conflict":
					t.Errorf("loser %d: %v, want upload_append_conflict", i, err)
				}
			}
			if winner < 0 {
				t.Fatal("no append landed")
			}
			whole := append(append([]byte{}, head...), bodies[winner]...)
			if st, err := s.svc.ChunkedStatus(ctx, admin, "images", cs.ID); err != nil || st.Received != int64(len(whole)) || st.Chunks != 2 {
				t.Fatalf("after the race: %+v %v", st, err)
			}
			if left := s.staged(t, cs.ID); len(left) != 2 {
				t.Errorf("staged after the race: %q (the losers' chunks must be gone)", left)
			}
			blb, err := s.svc.FinishChunked(ctx, admin, "images", cs.ID, sha256Of(whole), nil)
			if err != nil {
				t.Fatal(err)
			}
			s.checkBlob(t, cs.ID, blb, whole)
		}
	})
}

// TestChunkedCrashLeavesOnlyAnOrphan: a node that dies after staging a
// chunk and before its row update leaves an object the row does not name.
// It changes neither the session's length nor the blob, and goes with the
// session.
func TestChunkedCrashLeavesOnlyAnOrphan(t *testing.T) {
	servertest.ForEachStack(t, func(t *testing.T, b servertest.Backend, opt func(*config.Config)) {
		s := newStack(t, b, opt)
		ctx := t.Context()
		store := s.env.Server.Store()
		stageOrphan := func(id string) {
			t.Helper()
			if _, err := blob.Stage(ctx, store, "uploads/"+id+"/chunk-00002-0123456789abcdef", strings.NewReader("debris"), 0); err != nil {
				t.Fatal(err)
			}
		}

		data := randomBytes(10, 5000)
		cs := s.create(t, admin, "images")
		s.append(t, cs.ID, 0, data[:2000])
		stageOrphan(cs.ID)
		if st, _ := s.svc.ChunkedStatus(ctx, admin, "images", cs.ID); st.Received != 2000 {
			t.Fatalf("an orphan changed the length: %+v", st)
		}
		s.append(t, cs.ID, 2000, data[2000:])
		blb, err := s.svc.FinishChunked(ctx, admin, "images", cs.ID, sha256Of(data), nil)
		if err != nil {
			t.Fatal(err)
		}
		s.checkBlob(t, cs.ID, blb, data) // also: the orphan went with the session

		// An orphan of a session that ended without it: the sweeper's.
		cs = s.create(t, admin, "images")
		s.append(t, cs.ID, 0, data)
		if _, err := s.svc.Abort(ctx, admin, "images", cs.ID); err != nil {
			t.Fatal(err)
		}
		stageOrphan(cs.ID)
		opts := transfer.DefaultOptions()
		opts.Now = func() time.Time { return time.Now().Add(transfer.OrphanAge + time.Minute) }
		later := transfer.New(s.env.Server.DB(), store, repo.NewService(s.env.Server.DB(), nil, 0), nil, opts)
		st, err := later.Sweep(ctx)
		if err != nil || st.OrphansRemoved < 1 {
			t.Fatalf("sweep: %+v %v", st, err)
		}
		if left := s.staged(t, cs.ID); len(left) != 0 {
			t.Errorf("staged after the sweep: %q", left)
		}
	})
}

// TestChunkedFinishSurvivesItsNode: a finish cut off after the digest
// matched (state completed) is carried through by the client's retry, and
// one cut off while assembling is reopened by the sweeper and finished
// again; both end with the right blob and nothing staged.
func TestChunkedFinishSurvivesItsNode(t *testing.T) {
	servertest.ForEachStack(t, func(t *testing.T, b servertest.Backend, opt func(*config.Config)) {
		s := newStack(t, b, opt)
		ctx := t.Context()
		db := s.env.Server.DB()
		data := randomBytes(15, 9000)

		// Cut off between completed and committed: one chunk still staged.
		cs := s.create(t, admin, "images")
		s.append(t, cs.ID, 0, data)
		if _, err := db.RawExec(ctx, "UPDATE uploads SET state = 'completed', digest = ?, size = ?, expected_digest = ? WHERE id = ?",
			sha256Of(data), len(data), sha512Of(data), cs.ID); err != nil {
			t.Fatal(err)
		}
		_, err := s.svc.FinishChunked(ctx, admin, "images", cs.ID, sha256Of(data), nil)
		wantCode(t, err, "upload_state_conflict", http.StatusConflict, "another digest than the interrupted finish's")
		blb, err := s.svc.FinishChunked(ctx, admin, "images", cs.ID, sha512Of(data), nil)
		if err != nil {
			t.Fatalf("retry of a completed finish: %v", err)
		}
		s.checkBlob(t, cs.ID, blb, data)

		// Cut off while assembling two chunks.
		cs = s.create(t, admin, "images")
		s.append(t, cs.ID, 0, data[:4000])
		s.append(t, cs.ID, 4000, data[4000:])
		if _, err := db.RawExec(ctx, "UPDATE uploads SET state = 'assembling', updated_at = 0 WHERE id = ?", cs.ID); err != nil {
			t.Fatal(err)
		}
		if st, err := s.svc.Sweep(ctx); err != nil || st.Reopened != 1 {
			t.Fatalf("sweep: %+v %v", st, err)
		}
		if blb, err = s.svc.FinishChunked(ctx, admin, "images", cs.ID, sha256Of(data), nil); err != nil {
			t.Fatalf("finish after the sweeper reopened it: %v", err)
		}
		s.checkBlob(t, cs.ID, blb, data)
	})
}
