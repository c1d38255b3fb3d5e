package transfer

import (
	"context"
	"errors"
	"io"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/repo"
	"github.com/artifortress/artifortress/internal/telemetry"
)

// PutBlob stores a whole blob from one request body (role write): hashed
// while it streams, verified against expect, promoted (dedupe: an existing
// blob is kept and the duplicate dropped) and linked into the repository.
func (s *Service) PutBlob(ctx context.Context, caller *auth.Principal, repoKey string, body io.Reader, expect blob.Expect) (meta.Blob, error) {
	return s.PutBlobChecked(ctx, caller, repoKey, body, expect, nil)
}

// PutBlobChecked is PutBlob with one more verification: check, when not
// nil, runs after the bytes are stored and before they become visible; an
// error discards them (a format's own digests, such as npm's SHA-512
// integrity, computed by the caller while the body streamed).
func (s *Service) PutBlobChecked(ctx context.Context, caller *auth.Principal, repoKey string, body io.Reader, expect blob.Expect, check func(blob.Sums) error) (meta.Blob, error) {
	r, err := s.writable(ctx, caller, repoKey)
	if err != nil {
		return meta.Blob{}, err
	}
	return s.ingest(ctx, caller, r, body, expect, check)
}

// CacheBlob stores bytes a remote repository fetched from its upstream,
// exactly as PutBlobChecked stores an upload (hashed while they stream,
// verified, deduplicated, linked into the repository). The caller needs
// only to read the remote repository: the node caches on its behalf.
func (s *Service) CacheBlob(ctx context.Context, caller *auth.Principal, repoKey string, body io.Reader, expect blob.Expect, check func(blob.Sums) error) (meta.Blob, error) {
	r, err := s.repos.Access(ctx, caller, repoKey, auth.RoleRead)
	if err != nil {
		return meta.Blob{}, err
	}
	if r.Type != repo.TypeRemote {
		return meta.Blob{}, fault.Coded(fault.KindConflict, "repository_not_remote", "repository %q is %s; only remote repositories cache", repoKey, r.Type)
	}
	return s.ingest(ctx, caller, r, body, expect, check)
}

// ingest stores body in repository r: see PutBlobChecked.
func (s *Service) ingest(ctx context.Context, caller *auth.Principal, r repo.Repo, body io.Reader, expect blob.Expect, check func(blob.Sums) error) (meta.Blob, error) {
	staged, err := s.stage(ctx, caller, r, body, expect, check)
	if err != nil {
		return meta.Blob{}, err
	}
	if err := staged.Link(ctx); err != nil {
		return meta.Blob{}, err
	}
	return s.db.GetBlob(ctx, staged.Digest)
}

// StagedBlob is a blob stored by StageBlob whose link into its repository
// is not committed yet: LinkIn commits it inside the transaction of the
// operation the blob belongs to.
type StagedBlob struct {
	Digest string
	Size   int64

	s      *Service
	caller *auth.Principal
	r      repo.Repo
}

// StageBlob stores a whole blob from one request body as PutBlob does
// (role write: hashed, verified, promoted) but leaves it unlinked, so that
// the link commits with what uses the blob: a registry's manifest push
// links the manifest's own bytes in the transaction that publishes the
// version holding them (ADR 0010), one commit instead of two, and a push
// that is refused leaves no link behind. Until then the bytes are in the
// store with no row, as after a crash between promote and link
// (docs/storage.md): readable nowhere, reused by the next upload of them.
// check, when not nil, runs as in PutBlobChecked.
func (s *Service) StageBlob(ctx context.Context, caller *auth.Principal, repoKey string, body io.Reader, expect blob.Expect, check func(blob.Sums) error) (StagedBlob, error) {
	r, err := s.writable(ctx, caller, repoKey)
	if err != nil {
		return StagedBlob{}, err
	}
	return s.stage(ctx, caller, r, body, expect, check)
}

// LinkIn records the blob and links it into its repository inside tx,
// with the audit record "blob.commit" (as PutBlob does in a transaction of
// its own).
func (b StagedBlob) LinkIn(ctx context.Context, tx *meta.Tx) error {
	created, err := b.s.linkIn(ctx, tx, b.caller, b.r, linkSpec{blob: meta.Blob{Digest: b.Digest, Size: b.Size}})
	if created && err == nil && b.s.opt.OnBlobCommited != nil {
		tx.AfterCommit(func() { b.s.opt.OnBlobCommited(blob.Digest(b.Digest)) })
	}
	return err
}

// Link is LinkIn in a transaction of its own.
func (b StagedBlob) Link(ctx context.Context) error {
	return b.s.db.Tx(ctx, func(tx *meta.Tx) error { return b.LinkIn(ctx, tx) })
}

// stage stores body in the blob store for repository r (blob.Put), hashed
// while it streams, verified against expect and then by check before it is
// stored under its digest; the caller links it.
func (s *Service) stage(ctx context.Context, caller *auth.Principal, r repo.Repo, body io.Reader, expect blob.Expect, check func(blob.Sums) error) (StagedBlob, error) {
	expect.MaxSize = s.maxBlobBytes(r)
	if expect.MaxSize > 0 && expect.Size > expect.MaxSize {
		return StagedBlob{}, tooLarge(expect.MaxSize)
	}
	sums, err := blob.Put(ctx, s.store, "oneshot/"+randomHex(16), body, expect, check)
	if err != nil {
		var verr *blob.VerificationError
		switch {
		case errors.As(err, &verr):
			return StagedBlob{}, fault.Coded(fault.KindConflict, "upload_verification_failed", "the uploaded bytes do not match: %s", verr.Error()).
				With("field", verr.Field).With("expected", verr.Expected).With("actual", verr.Actual)
		case errors.Is(err, blob.ErrTooLarge):
			return StagedBlob{}, tooLarge(expect.MaxSize)
		}
		return StagedBlob{}, err
	}
	return StagedBlob{Digest: string(sums.Digest), Size: sums.Size, s: s, caller: caller, r: r}, nil
}

func requestID(ctx context.Context) string { return telemetry.RequestID(ctx) }
