package transfer

import (
	"context"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
)

// DeleteBlob deletes blob digest from repository repoKey (role admin): its
// link is tombstoned and audited ("blob.delete"), so the repository no
// longer serves it; the bytes stay (other repositories, published entries,
// a later upload of the same digest, which makes it visible again). This
// node's link cache forgets it at once; other nodes within the link
// cache's TTL.
func (s *Service) DeleteBlob(ctx context.Context, caller *auth.Principal, repoKey, digest string) error {
	r, err := s.repos.Access(ctx, caller, repoKey, auth.RoleAdmin)
	if err != nil {
		return err
	}
	if _, err := blob.ParseDigest(digest); err != nil {
		return fault.BadRequest("digest", "%v", err)
	}
	now := s.opt.Now().UTC()
	err = s.db.Tx(ctx, func(tx *meta.Tx) error {
		deleted, err := tx.UnlinkBlob(ctx, r.Key, digest, caller.Name(), now)
		if err != nil {
			return err
		}
		if !deleted {
			return fault.Coded(fault.KindNotFound, "blob_not_found", "blob %s not found in repository %q", digest, repoKey)
		}
		return tx.InsertAudit(ctx, meta.AuditRecord{
			At: now, Actor: caller.Name(), ActorVia: caller.Via(), Action: "blob.delete", Resource: "repo/" + r.Key + "/blobs/" + digest,
			Repo: r.Key, RequestID: requestID(ctx), Details: map[string]any{"digest": digest},
		})
	})
	s.links.Drop(linkKey{r.Key, r.CreatedAt.UnixMicro(), digest})
	return err
}
