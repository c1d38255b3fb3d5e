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
	expect.MaxSize = s.maxBlobBytes(r)
	if expect.MaxSize > 0 && expect.Size > expect.MaxSize {
		return meta.Blob{}, tooLarge(expect.MaxSize)
	}
	name := "oneshot/" + randomHex(16)
	sums, err := blob.Ingest(ctx, s.store, name, body, expect)
	if err != nil {
		var verr *blob.VerificationError
		switch {
		case errors.As(err, &verr):
			return meta.Blob{}, fault.Coded(fault.KindConflict, "upload_verification_failed", "the uploaded bytes do not match: %s", verr.Error()).
				With("field", verr.Field).With("expected", verr.Expected).With("actual", verr.Actual)
		case errors.Is(err, blob.ErrTooLarge):
			return meta.Blob{}, tooLarge(expect.MaxSize)
		}
		return meta.Blob{}, err
	}
	if check != nil {
		if err := check(sums); err != nil {
			_ = s.store.DeleteStaged(context.WithoutCancel(ctx), name)
			return meta.Blob{}, err
		}
	}
	if err := s.store.Promote(ctx, name, sums.Digest); err != nil {
		_ = s.store.DeleteStaged(context.WithoutCancel(ctx), name)
		return meta.Blob{}, err
	}
	created, err := s.link(ctx, caller, r, string(sums.Digest), sums.Size, nil)
	if err != nil {
		return meta.Blob{}, err
	}
	if created && s.opt.OnBlobCommited != nil {
		s.opt.OnBlobCommited(sums.Digest)
	}
	return s.db.GetBlob(ctx, string(sums.Digest))
}

func requestID(ctx context.Context) string { return telemetry.RequestID(ctx) }
