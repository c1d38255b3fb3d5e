package transfer

import (
	"context"
	"errors"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
)

// ResolveDigest turns a digest a client names a blob by into the SHA-256
// digest the blob is stored and linked under: a sha256: digest as it is, a
// sha512: one through the SHA-512 recorded on the blob's row. It checks no
// access: it names a blob, it does not read one; follow it with Lookup in
// the repository. A sha512: digest of no recorded blob is 404
// blob_not_found, as Lookup answers a blob not linked, so the pair tells a
// caller nothing Lookup alone would not. A SHA-512 is recorded when a
// chunked upload finishes, or for other blobs when the checksummer has
// reached them.
func (s *Service) ResolveDigest(ctx context.Context, digest string) (string, error) {
	want, err := parseClientDigest(digest)
	if err != nil {
		return "", err
	}
	d, ok, err := s.resolve(ctx, want)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fault.Coded(fault.KindNotFound, "blob_not_found", "blob %s not found", digest)
	}
	return d, nil
}

// resolve is ResolveDigest with "not recorded" as ok = false.
func (s *Service) resolve(ctx context.Context, want clientDigest) (string, bool, error) {
	if want.alg == algSHA256 {
		return want.String(), true, nil
	}
	b, err := s.db.BlobBySHA512(ctx, want.hex)
	if errors.Is(err, meta.ErrNotFound) {
		return "", false, nil
	}
	return b.Digest, err == nil, err
}

// readableBlob returns the blob want names if the caller can read it in
// some repository (see readableSomewhere).
func (s *Service) readableBlob(ctx context.Context, caller *auth.Principal, want clientDigest) (meta.Blob, bool, error) {
	d, known, err := s.resolve(ctx, want)
	if err != nil || !known {
		return meta.Blob{}, false, err
	}
	return s.readableSomewhere(ctx, caller, d)
}

// readableSomewhere returns blob digest if the caller can read it in some
// repository: one it holds read on, that links the blob and does not hold
// it back by quarantine. Unlike readableAnywhere it honours quarantine,
// because what it finds becomes readable in another repository, where
// nothing would hold it back. Repositories readable only through
// anonymousRead do not count (as for readableAnywhere).
func (s *Service) readableSomewhere(ctx context.Context, caller *auth.Principal, digest string) (meta.Blob, bool, error) {
	repos, err := s.db.ReposLinking(ctx, digest)
	if err != nil {
		return meta.Blob{}, false, err
	}
	for _, key := range repos {
		if !caller.Can(key, auth.RoleRead) {
			continue
		}
		if b, ok, err := s.readableIn(ctx, caller, key, digest); err != nil || ok {
			return b, ok, err
		}
	}
	return meta.Blob{}, false, nil
}

// readableIn returns blob digest if the caller can read it in repository
// repoKey (Lookup: role read, linked there, not quarantined). Every
// refusal Lookup can give is ok = false, not an error.
func (s *Service) readableIn(ctx context.Context, caller *auth.Principal, repoKey, digest string) (meta.Blob, bool, error) {
	dl, err := s.Lookup(ctx, caller, repoKey, digest)
	switch fault.KindOf(err) {
	case fault.KindNotFound, fault.KindForbidden, fault.KindUnauthorized, fault.KindLocked, fault.KindBadRequest:
		return meta.Blob{}, false, nil
	}
	if err != nil {
		return meta.Blob{}, false, err
	}
	return dl.Blob, true, nil
}
