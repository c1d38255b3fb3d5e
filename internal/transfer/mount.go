package transfer

import (
	"context"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/meta"
)

// Mount links a stored blob into repository repoKey without its bytes
// (role write there), when the caller may read it at the source: in
// repository fromRepoKey when given (role read, the blob linked there and
// not held back by quarantine there), else in any repository the caller
// holds read on. digest is sha256:<hex> or sha512:<hex>; the returned
// Blob.Digest is the SHA-256 it is stored under.
//
// mounted is false, with no error, whenever the blob may not be mounted:
// unknown, not linked in the source, or in a source the caller cannot read
// or that does not exist. The caller then uploads the bytes as usual. The
// answer is the same in all these cases, so a mount never reveals whether
// the digest exists where the caller cannot read (invariant 6), and never
// turns into a 401 or 404 for the source (Harbor issue #17097). Errors
// concern the target (no write access, not local), a malformed digest, a
// blob over the target's size limit, or the metadata store.
func (s *Service) Mount(ctx context.Context, caller *auth.Principal, repoKey, digest, fromRepoKey string) (b meta.Blob, mounted bool, err error) {
	r, err := s.writable(ctx, caller, repoKey)
	if err != nil {
		return meta.Blob{}, false, err
	}
	want, err := parseClientDigest(digest)
	if err != nil {
		return meta.Blob{}, false, err
	}
	d, known, err := s.resolve(ctx, want)
	if err != nil || !known {
		return meta.Blob{}, false, err
	}
	if fromRepoKey == "" {
		b, mounted, err = s.readableSomewhere(ctx, caller, d)
	} else {
		b, mounted, err = s.readableIn(ctx, caller, fromRepoKey, d)
	}
	if err != nil || !mounted {
		return meta.Blob{}, false, err
	}
	if max := s.maxBlobBytes(r); max > 0 && b.Size > max {
		return meta.Blob{}, false, tooLarge(max)
	}
	details := map[string]any{"mounted": true}
	if fromRepoKey != "" {
		details["from"] = fromRepoKey
	}
	if _, err := s.linkBlob(ctx, caller, r, linkSpec{blob: meta.Blob{Digest: b.Digest, Size: b.Size}, details: details}); err != nil {
		return meta.Blob{}, false, err
	}
	return b, true, nil
}
