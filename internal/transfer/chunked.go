package transfer

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/repo"
)

// ChunkedSession is a chunked upload session (OCI's POST, PATCH ..., PUT):
// the client appends chunks in order without announcing the total size or
// the digest, and names the digest only when it finishes. Every chunk is
// hashed as it streams in and the running SHA-256 state is saved with the
// session, so finishing with a sha256: digest compares it without reading
// the bytes back; a sha512: digest, rare, reads them back once at the
// finish (ADR 0010 §3).
type ChunkedSession struct {
	ID    string
	Repo  string
	State string // StateOpen until finished; StateAssembling or StateCompleted while a finish runs
	// Received is the number of bytes accepted so far: the offset the next
	// chunk starts at (OCI's Range: 0-<Received-1>).
	Received  int64
	Chunks    int
	ExpiresAt time.Time
}

func chunkedView(u meta.Upload) ChunkedSession {
	return ChunkedSession{ID: u.ID, Repo: u.Repo, State: u.State, Received: u.Received, Chunks: u.Parts, ExpiresAt: u.ExpiresAt}
}

// chunkName is where chunk n of a session is staged. tag is random per
// append, so that two appends racing for the same n never write the same
// object: the one whose row update loses deletes its own, and the winner's
// is untouched. Which tag won is recorded in upload_chunks.
func chunkName(id string, n int, tag string) string {
	return sessionPrefix(id) + "chunk-" + pad5(n) + "-" + tag
}

// CreateChunked opens a chunked session in a local repository (role write),
// counted against the repository's unfinished sessions like Create.
func (s *Service) CreateChunked(ctx context.Context, caller *auth.Principal, repoKey string) (ChunkedSession, error) {
	r, err := s.writable(ctx, caller, repoKey)
	if err != nil {
		return ChunkedSession{}, err
	}
	u := s.newUpload(caller, repoKey)
	if u.HashState, err = freshHashState(); err != nil {
		return ChunkedSession{}, err
	}
	if err := s.insertSession(ctx, r, u); err != nil {
		return ChunkedSession{}, err
	}
	return chunkedView(u), nil
}

// ChunkedStatus returns an unfinished chunked session (role write): how
// many bytes it has, so a client can resume. A finished or expired session
// is 409 upload_state_conflict or upload_expired, an unknown one 404
// upload_not_found (OCI answers all three 404 BLOB_UPLOAD_UNKNOWN).
func (s *Service) ChunkedStatus(ctx context.Context, caller *auth.Principal, repoKey, id string) (ChunkedSession, error) {
	_, u, err := s.chunked(ctx, caller, repoKey, id)
	if err != nil {
		return ChunkedSession{}, err
	}
	switch u.State {
	case StateOpen, StateCompleted:
		if err := s.notExpired(u, "resume"); err != nil {
			return ChunkedSession{}, err
		}
		fallthrough
	case StateAssembling:
		return chunkedView(u), nil
	}
	return ChunkedSession{}, stateConflict(u, "resume")
}

// AppendChunk streams body into chunked session id as its next chunk (role
// write) and returns the bytes the session has received in all.
//
// start is the offset the client says the chunk begins at (OCI's
// Content-Range), or -1 when it said nothing. Any other offset than the
// bytes received so far is 416 upload_range_invalid, with details.received,
// and changes nothing: the client may resume from there.
//
// The chunk is staged as it streams (never held in memory) while the
// session's saved SHA-256 state is resumed and fed; then the session row
// takes the new state with a compare-and-set on the bytes
// received, in the transaction that records the chunk. Of two appends to
// one session that started from the same state, exactly one lands; the
// other gets 409 upload_append_conflict and its staged bytes are deleted.
// An empty body adds nothing. The session may hold at most the
// repository's blob limit (413 blob_too_large, the chunk discarded) in at
// most MaxParts chunks (400 upload_too_many_chunks).
func (s *Service) AppendChunk(ctx context.Context, caller *auth.Principal, repoKey, id string, start int64, body io.Reader) (int64, error) {
	r, u, err := s.chunked(ctx, caller, repoKey, id)
	if err != nil {
		return 0, err
	}
	if err := s.openNow(u, "append a chunk"); err != nil {
		return 0, err
	}
	if start >= 0 && start != u.Received {
		return 0, rangeInvalid(u, start)
	}
	u, err = s.appendChunk(ctx, r, u, body)
	return u.Received, err
}

// chunked loads a chunked session of repoKey the caller may write to.
func (s *Service) chunked(ctx context.Context, caller *auth.Principal, repoKey, id string) (repo.Repo, meta.Upload, error) {
	r, u, err := s.sessionIn(ctx, caller, repoKey, id)
	if err == nil && !u.Chunked() {
		return repo.Repo{}, meta.Upload{}, modeConflict(u)
	}
	return r, u, err
}

// appendChunk adds body to open session u of repository r as its next
// chunk and returns the session as it is then (see AppendChunk).
func (s *Service) appendChunk(ctx context.Context, r repo.Repo, u meta.Upload, body io.Reader) (meta.Upload, error) {
	n := u.Parts + 1
	if n > s.opt.MaxParts {
		return u, fault.Coded(fault.KindBadRequest, "upload_too_many_chunks",
			"upload session %s has %d chunks, the most it may have; finish it, or send fewer, larger chunks", u.ID, u.Parts).With("limit", s.opt.MaxParts)
	}
	limit, overLimit := s.chunkLimit(r, u.Received)
	h256, err := resumeHash(u)
	if err != nil {
		return u, err
	}
	tag := randomHex(8)
	name := chunkName(u.ID, n, tag)
	w, err := s.store.NewWriter(ctx, name)
	if err != nil {
		return u, err
	}
	size, err := blob.HashCopy(ctx, w, body, h256, limit)
	if err != nil || size == 0 {
		_ = w.Cancel(context.WithoutCancel(ctx))
		if errors.Is(err, blob.ErrTooLarge) {
			err = overLimit
		}
		return u, err // size 0: an empty chunk adds nothing
	}
	if _, err := w.Commit(ctx); err != nil {
		_ = w.Cancel(context.WithoutCancel(ctx))
		return u, err
	}
	next := u
	next.Received, next.Parts = u.Received+size, n
	next.HashState, err = marshalHash(h256)
	if err == nil {
		next.UpdatedAt = s.opt.Now().UTC()
		err = s.db.Tx(ctx, func(tx *meta.Tx) error {
			ok, err := tx.AppendUpload(ctx, meta.UploadAppend{ID: u.ID, From: u.Received, Received: next.Received, Parts: n,
				HashState: next.HashState, At: next.UpdatedAt})
			if err != nil {
				return err
			}
			if !ok {
				return errLostRace
			}
			return tx.InsertUploadChunk(ctx, meta.UploadChunk{Upload: u.ID, N: n, Tag: tag, Start: u.Received, Size: size})
		})
	}
	if errors.Is(err, errLostRace) {
		// The row names another chunk n: nobody will use this object.
		s.dropStaged(ctx, name)
		return u, s.changedUnder(ctx, u, "append a chunk")
	}
	if err != nil {
		// Whether the row took the chunk is unknown (a commit can fail
		// after it landed), so the object stays: unrecorded, it is debris
		// that goes with the session, like that of a crash before here.
		return u, err
	}
	return next, nil
}

// chunkLimit is how many bytes the next chunk of a session that has
// received bytes may hold (-1: any number), and the error for a chunk that
// goes past it. Only the repository's blob limit applies, not MaxPartSize:
// docker sends a whole layer as one PATCH, and a staged object of any size
// can be promoted (s3store copies one over 5 GiB in parts).
func (s *Service) chunkLimit(r repo.Repo, received int64) (int64, error) {
	limit := s.maxBlobBytes(r)
	if limit <= 0 {
		return -1, nil
	}
	return max(limit-received, 0), tooLarge(limit)
}

// changedUnder answers action on session u whose compare-and-set found
// the session changed: finished meanwhile (409 by its state), or grown by
// an append that landed first (409 upload_append_conflict).
func (s *Service) changedUnder(ctx context.Context, u meta.Upload, action string) error {
	now, err := s.db.GetUpload(ctx, u.ID)
	if err != nil {
		return err
	}
	if now.State != StateOpen {
		return stateConflict(now, action)
	}
	return fault.Coded(fault.KindConflict, "upload_append_conflict",
		"another request changed upload session %s first (it now has %d bytes); resume from its current length", u.ID, now.Received).
		With("received", now.Received)
}

// rangeInvalid refuses a chunk that does not start where the session ends.
func rangeInvalid(u meta.Upload, start int64) error {
	return fault.Coded(fault.KindRangeNotSatisfiable, "upload_range_invalid",
		"the chunk starts at byte %d but upload session %s has %d bytes; send the bytes from %d on", start, u.ID, u.Received, u.Received).
		With("received", u.Received)
}

// dropStaged deletes one staged object; a failure is left to the sweeper.
func (s *Service) dropStaged(ctx context.Context, name string) {
	if err := s.store.DeleteStaged(context.WithoutCancel(ctx), name); err != nil {
		s.opt.Log.WarnContext(ctx, "delete staged object", slog.String("name", name), slog.String("error", err.Error()))
	}
}
