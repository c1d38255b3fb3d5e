package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/repo"
)

// FinishChunked ends chunked session id (role write). It first appends
// last as a final chunk when last has bytes (nil or empty: none; see
// AppendChunk for its limits), then compares digest, the sha256:<hex> or
// sha512:<hex> the client names the blob by, with the SHA-256 saved with
// the session, without reading a byte back (a sha512: digest reads the
// bytes back once, sha512Of).
//
//   - A malformed digest is 400 digest_invalid and changes nothing.
//   - A mismatch is 400 digest_invalid with details expected and actual;
//     the session is aborted and its staged bytes deleted.
//   - A match makes the bytes a blob: one chunk is promoted as it is (a
//     rename on the filesystem), several are assembled in order as Complete
//     does, none give the empty blob. The blob is linked into the
//     repository with the session's change and its audit record in one
//     transaction (dedupe: bytes already stored are kept, the copy dropped),
//     and its SHA-512 is recorded so that reads by sha512: find it (see
//     ResolveDigest). The blob stays addressed by its SHA-256: the returned
//     Blob.Digest is that, whatever algorithm the client used.
//   - A session without bytes may also finish with the digest of a blob the
//     caller can read in some repository (ADR 0010 §3): it is linked.
//
// Finishing a committed session with the same digest answers the blob again
// (a retry whose first answer was lost); a finish interrupted after its
// digest matched (state completed) is carried through by the retry.
func (s *Service) FinishChunked(ctx context.Context, caller *auth.Principal, repoKey, id, digest string, last io.Reader) (meta.Blob, error) {
	want, err := parseClientDigest(digest)
	if err != nil {
		return meta.Blob{}, err
	}
	r, u, err := s.chunked(ctx, caller, repoKey, id)
	if err != nil {
		return meta.Blob{}, err
	}
	switch {
	case u.State == StateOpen:
		if err := s.notExpired(u, "finish"); err != nil {
			return meta.Blob{}, err
		}
		if last != nil {
			if u, err = s.appendChunk(ctx, r, u, last); err != nil {
				return meta.Blob{}, err
			}
		}
		return s.finishOpen(ctx, caller, r, u, want)
	case (u.State == StateCompleted || u.State == StateCommitted) && u.ExpectedDigest == want.String():
		return s.finishCompleted(ctx, caller, r, u)
	}
	return meta.Blob{}, stateConflict(u, "finish")
}

// finishOpen checks want against open session u's saved hashes and, when
// they match, takes the session to completed with its bytes as one staged
// object, then on (finishCompleted).
func (s *Service) finishOpen(ctx context.Context, caller *auth.Principal, r repo.Repo, u meta.Upload, want clientDigest) (meta.Blob, error) {
	sum256, err := sessionSum(u)
	if err != nil {
		return meta.Blob{}, err
	}
	got := clientDigest{alg: want.alg, hex: sum256}
	if want.alg == algSHA512 {
		if got.hex, err = s.sha512Of(ctx, u); err != nil {
			return meta.Blob{}, err
		}
	}
	if got != want {
		if u.Received == 0 {
			b, ok, err := s.readableBlob(ctx, caller, want)
			if err != nil {
				return meta.Blob{}, err
			}
			if ok {
				return s.finishLinked(ctx, caller, r, u, want, b)
			}
		}
		return meta.Blob{}, s.rejectDigest(ctx, u, want, got)
	}
	digest, expected := blob.SHA256Prefix+sum256, want.String()
	change := meta.UploadChange{ID: u.ID, From: []string{StateOpen}, To: StateCompleted, AtReceived: &u.Received,
		ExpectedDigest: &expected, Error: new(string), Digest: &digest, Size: &u.Received}
	if u.Parts != 1 {
		// Zero or several chunks: the blob is written as one object first.
		change.To, change.Digest, change.Size = StateAssembling, nil, nil
	}
	if ok, err := s.transition(ctx, change); err != nil || !ok {
		return s.finishLost(ctx, u, want, err)
	}
	if u.Parts != 1 {
		if err := s.assembleChunks(ctx, u, blob.Digest(digest)); err != nil {
			// Back to open: the chunks are all there; the client may finish again.
			msg := err.Error()
			if _, terr := s.transition(context.WithoutCancel(ctx), meta.UploadChange{ID: u.ID, From: []string{StateAssembling}, To: StateOpen, Error: &msg}); terr != nil {
				s.opt.Log.ErrorContext(ctx, "reopen upload after failed assembly", slog.String("upload", u.ID), slog.String("error", terr.Error()))
			}
			return meta.Blob{}, err
		}
		ok, err := s.transition(ctx, meta.UploadChange{ID: u.ID, From: []string{StateAssembling}, To: StateCompleted, Digest: &digest, Size: &u.Received})
		if err != nil || !ok {
			return s.finishLost(ctx, u, want, err)
		}
	}
	if u, err = s.db.GetUpload(ctx, u.ID); err != nil {
		return meta.Blob{}, err
	}
	return s.finishCompleted(ctx, caller, r, u)
}

// finishLinked finishes open session u, which has no bytes, by linking
// blob b, which the caller can read elsewhere.
func (s *Service) finishLinked(ctx context.Context, caller *auth.Principal, r repo.Repo, u meta.Upload, want clientDigest, b meta.Blob) (meta.Blob, error) {
	if max := s.maxBlobBytes(r); max > 0 && b.Size > max {
		return meta.Blob{}, tooLarge(max)
	}
	expected, linked := want.String(), true
	ok, err := s.transition(ctx, meta.UploadChange{ID: u.ID, From: []string{StateOpen}, To: StateCompleted, AtReceived: &u.Received,
		ExpectedDigest: &expected, Error: new(string), Digest: &b.Digest, Size: &b.Size, Linked: &linked})
	if err != nil || !ok {
		return s.finishLost(ctx, u, want, err)
	}
	if u, err = s.db.GetUpload(ctx, u.ID); err != nil {
		return meta.Blob{}, err
	}
	return s.finishCompleted(ctx, caller, r, u)
}

// finishCompleted promotes the staged object of completed session u (none
// when it links a stored blob) and links the blob into repository r with
// the session's change to committed; for a committed session it answers
// the blob.
func (s *Service) finishCompleted(ctx context.Context, caller *auth.Principal, r repo.Repo, u meta.Upload) (meta.Blob, error) {
	if u.State == StateCommitted {
		return s.db.GetBlob(ctx, u.Digest)
	}
	if err := s.notExpired(u, "finish"); err != nil {
		return meta.Blob{}, err
	}
	spec := linkSpec{blob: meta.Blob{Digest: u.Digest, Size: *u.Size},
		change: &meta.UploadChange{ID: u.ID, From: []string{StateCompleted}, To: StateCommitted}}
	if !u.Linked {
		staged, err := s.wholeObject(ctx, u)
		if err != nil {
			return meta.Blob{}, err
		}
		if want, err := parseClientDigest(u.ExpectedDigest); err == nil && want.alg == algSHA512 {
			// Verified against the bytes when the session completed.
			spec.blob.SHA512 = want.hex
		}
		if err := s.store.Promote(ctx, staged, blob.Digest(u.Digest)); err != nil {
			// A concurrent abort discards the staged object: the session's
			// state, not the missing object, is the answer.
			if now, gerr := s.db.GetUpload(ctx, u.ID); gerr == nil && now.State != StateCompleted {
				return meta.Blob{}, stateConflict(now, "finish")
			}
			return meta.Blob{}, fmt.Errorf("promote upload %s: %w", u.ID, err)
		}
	}
	created, err := s.linkBlob(ctx, caller, r, spec)
	if errors.Is(err, errLostRace) {
		now, gerr := s.db.GetUpload(ctx, u.ID)
		if gerr != nil {
			return meta.Blob{}, gerr
		}
		if now.State == StateCommitted {
			return s.db.GetBlob(ctx, now.Digest) // a concurrent retry finished it
		}
		return meta.Blob{}, stateConflict(now, "finish")
	}
	if err != nil {
		return meta.Blob{}, err
	}
	s.discard(ctx, u.ID)
	if created && s.opt.OnBlobCommited != nil {
		s.opt.OnBlobCommited(blob.Digest(u.Digest))
	}
	return s.db.GetBlob(ctx, u.Digest)
}

// rejectDigest aborts open session u, whose bytes are got and not want,
// and deletes its staged bytes.
func (s *Service) rejectDigest(ctx context.Context, u meta.Upload, want, got clientDigest) error {
	msg, expected := fmt.Sprintf("digest mismatch: expected %s, got %s", want, got), want.String()
	ok, err := s.transition(ctx, meta.UploadChange{ID: u.ID, From: []string{StateOpen}, To: StateAborted, AtReceived: &u.Received,
		ExpectedDigest: &expected, Error: &msg})
	if err != nil {
		return err
	}
	if !ok {
		return s.changedUnder(ctx, u, "finish")
	}
	s.discard(ctx, u.ID)
	return digestInvalid("the uploaded bytes are %s, not %s; the upload session is aborted, start a new one", got, want).
		With("expected", want.String()).With("actual", got.String())
}

// finishLost answers a finish whose compare-and-set on session u lost: to a
// concurrent finish of the same digest that committed (the blob), or to
// another change (see changedUnder).
func (s *Service) finishLost(ctx context.Context, u meta.Upload, want clientDigest, err error) (meta.Blob, error) {
	if err != nil {
		return meta.Blob{}, err
	}
	now, err := s.db.GetUpload(ctx, u.ID)
	if err != nil {
		return meta.Blob{}, err
	}
	if now.State == StateCommitted && now.ExpectedDigest == want.String() {
		return s.db.GetBlob(ctx, now.Digest)
	}
	return meta.Blob{}, s.changedUnder(ctx, u, "finish")
}

// wholeObject names the staged object that holds all of completed session
// u's bytes: its only chunk, else what assembleChunks wrote.
func (s *Service) wholeObject(ctx context.Context, u meta.Upload) (string, error) {
	if u.Parts != 1 {
		return assembledName(u.ID), nil
	}
	names, err := s.chunkNames(ctx, u)
	if err != nil {
		return "", err
	}
	return names[0], nil
}

// assembleChunks writes session u's chunks, in order, as the staged object
// "assembled" (an empty one for no chunks). The bytes were hashed when
// they arrived; blob.Ingest hashes them again as they pass, which costs
// nothing more, and refuses them if the store changed them meanwhile.
func (s *Service) assembleChunks(ctx context.Context, u meta.Upload, d blob.Digest) error {
	names, err := s.chunkNames(ctx, u)
	if err != nil {
		return err
	}
	pr := &partsReader{ctx: ctx, store: s.store, names: names}
	defer pr.Close()
	if _, err := blob.Ingest(ctx, s.store, assembledName(u.ID), pr, blob.Expect{Digest: d, Size: u.Received}); err != nil {
		return fmt.Errorf("assemble upload %s: %w", u.ID, err)
	}
	return nil
}

// chunkNames lists the staged objects of session u's chunks in order, as
// upload_chunks records them, checking that they are numbered 1..Parts and
// cover bytes 0..Received without a gap.
func (s *Service) chunkNames(ctx context.Context, u meta.Upload) ([]string, error) {
	chunks, err := s.db.UploadChunks(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	if len(chunks) != u.Parts {
		return nil, fmt.Errorf("upload %s: %d chunks recorded, the session counts %d", u.ID, len(chunks), u.Parts)
	}
	names := make([]string, len(chunks))
	var at int64
	for i, c := range chunks {
		if c.N != i+1 || c.Start != at {
			return nil, fmt.Errorf("upload %s: chunk %d is recorded as number %d from byte %d, want byte %d", u.ID, i+1, c.N, c.Start, at)
		}
		names[i], at = chunkName(u.ID, c.N, c.Tag), at+c.Size
	}
	if at != u.Received {
		return nil, fmt.Errorf("upload %s: chunks hold %d bytes, the session counts %d", u.ID, at, u.Received)
	}
	return names, nil
}
