package transfer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
)

// PutPart streams part n of a session through the node (role write).
// Sending a part again replaces it.
func (s *Service) PutPart(ctx context.Context, caller *auth.Principal, repoKey, id string, n int, body io.Reader) (Part, error) {
	u, err := s.session(ctx, caller, repoKey, id)
	if err != nil {
		return Part{}, err
	}
	return s.writePart(ctx, u, n, body)
}

// PutPartDirect stores a part sent to a node-served pre-signed URL: the
// signature, not a token, proves the sender was allowed.
func (s *Service) PutPartDirect(ctx context.Context, id string, n int, exp, sig string, body io.Reader) (Part, error) {
	if err := s.signer.Check(id, n, exp, sig, s.opt.Now()); err != nil {
		return Part{}, fault.Coded(fault.KindForbidden, "invalid_signature", "direct upload URL refused: %v", err)
	}
	u, err := s.db.GetUpload(ctx, id)
	if errors.Is(err, meta.ErrNotFound) {
		return Part{}, fault.Coded(fault.KindNotFound, "upload_not_found", "upload session %q not found", id)
	}
	if err != nil {
		return Part{}, err
	}
	return s.writePart(ctx, u, n, body)
}

func (s *Service) writePart(ctx context.Context, u meta.Upload, n int, body io.Reader) (Part, error) {
	if n < 1 || n > s.opt.MaxParts {
		return Part{}, fault.BadRequest("part", "part numbers run from 1 to %d", s.opt.MaxParts)
	}
	if u.Chunked() {
		return Part{}, modeConflict(u) // a pre-signed URL is never issued for one; PutPartDirect checks the row itself
	}
	if err := s.openNow(u, "add a part"); err != nil {
		return Part{}, err
	}
	limit := s.opt.MaxPartSize
	info, err := blob.Stage(ctx, s.store, partName(u.ID, n), body, limit)
	if errors.Is(err, blob.ErrTooLarge) {
		return Part{}, fault.Coded(fault.KindTooLarge, "part_too_large", "a part may hold at most %d bytes", limit).With("limit", limit)
	}
	if err != nil {
		return Part{}, err
	}
	return Part{Number: n, Size: info.Size, ETag: info.ETag}, nil
}

// PartURL is where a client sends one part directly.
type PartURL struct {
	URL       string
	Method    string
	ExpiresAt time.Time
}

// PartURL returns a pre-signed URL for part n (role write): the object
// store's own when it has one (S3), else one served by this service and
// signed with the deployment's key.
func (s *Service) PartURL(ctx context.Context, caller *auth.Principal, repoKey, id string, n int) (PartURL, error) {
	u, err := s.session(ctx, caller, repoKey, id)
	if err != nil {
		return PartURL{}, err
	}
	if n < 1 || n > s.opt.MaxParts {
		return PartURL{}, fault.BadRequest("part", "part numbers run from 1 to %d", s.opt.MaxParts)
	}
	if u.State != StateOpen {
		return PartURL{}, stateConflict(u, "add a part")
	}
	expires := s.opt.Now().Add(s.opt.PresignTTL)
	if expires.After(u.ExpiresAt) {
		expires = u.ExpiresAt
	}
	if p, ok := s.store.(blob.Presigner); ok {
		raw, err := p.PresignPut(ctx, partName(u.ID, n), time.Until(expires))
		if err != nil {
			return PartURL{}, fmt.Errorf("pre-sign part: %w", err)
		}
		return PartURL{URL: raw, Method: "PUT", ExpiresAt: expires.UTC().Truncate(time.Second)}, nil
	}
	exp, sig := s.signer.Sign(u.ID, n, expires)
	q := url.Values{"expires": {exp}, "signature": {sig}}
	raw := fmt.Sprintf("%s/v1/uploads/%s/parts/%d/direct?%s", s.opt.DirectURLBase(ctx), u.ID, n, q.Encode())
	return PartURL{URL: raw, Method: "PUT", ExpiresAt: expires.UTC().Truncate(time.Second)}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
