package catalog

import (
	"context"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/meta"
)

// EventPublished is the outbox event of a publish.
const EventPublished = "version.published"

// PublishResult is a publish's outcome.
type PublishResult struct {
	Version    Version
	Idempotent bool // it was already published: nothing changed, no event
}

// Publish makes a draft immutable and visible (role promote), in one
// transaction with its audit record and the version.published event.
// Preconditions: at least one entry, a manifest its format accepts, every
// entry's digest committed in the repository. A failed precondition changes
// nothing. Publishing a published version answers it again without a second
// event.
func (s *Service) Publish(ctx context.Context, caller *auth.Principal, repoKey, versionID string) (PublishResult, error) {
	r, f, err := s.repoFormat(ctx, caller, repoKey, auth.RolePromote)
	if err != nil {
		return PublishResult{}, err
	}
	idempotent := false
	now := s.now().UTC().Truncate(time.Microsecond)
	err = s.db.Tx(ctx, func(tx *meta.Tx) error {
		v, p, err := s.lockedVersion(ctx, tx, r, versionID)
		if err != nil {
			return err
		}
		switch v.State {
		case meta.VersionPublished:
			idempotent = true
			return nil
		case meta.VersionTombstoned:
			return notDraft(v)
		}
		entries, err := tx.ListEntries(ctx, v.ID)
		if err != nil {
			return err
		}
		if len(entries) == 0 {
			return fault.Coded(fault.KindConflict, "publish_precondition_failed", "version %s has no entries; add its files first", v.Version).With("precondition", "entries")
		}
		if v.Manifest == nil {
			return fault.Coded(fault.KindConflict, "publish_precondition_failed", "version %s has no manifest; put one first", v.Version).With("precondition", "manifest")
		}
		coords := format.Coordinates{Namespace: p.Namespace, Name: p.Name, Version: v.Version}
		if err := f.ValidateManifest(coords, v.Manifest); err != nil {
			return fault.Coded(fault.KindConflict, "publish_precondition_failed", "the manifest is no longer valid: %v", err).With("precondition", "manifest")
		}
		for _, e := range entries {
			if _, err := tx.GetBlobLink(ctx, repoKey, e.Digest); err != nil {
				return fault.Coded(fault.KindConflict, "publish_precondition_failed", "entry %q: blob %s is not committed in %q", e.Path, e.Digest, repoKey).With("precondition", "digests")
			}
		}
		ok, err := tx.PublishVersion(ctx, v.ID, caller.Name(), now)
		if err != nil {
			return err
		}
		if !ok {
			return fault.Coded(fault.KindConflict, "version_not_draft", "version %s changed state while publishing; retry", v.Version)
		}
		full := f.FullName(p.Namespace, p.Name)
		files := make([]map[string]any, 0, len(entries))
		for _, e := range entries {
			files = append(files, map[string]any{"path": e.Path, "digest": e.Digest, "size": e.Size, "mediaType": e.MediaType})
		}
		payload := map[string]any{
			"repo": repoKey, "format": r.Format, "namespace": p.Namespace, "name": p.Name, "package": full,
			"version": v.Version, "versionId": v.ID, "publishedBy": caller.Name(), "entries": files,
		}
		if err := tx.InsertAudit(ctx, s.audit(ctx, caller, "version.publish", repoKey, "repo/"+repoKey+"/versions/"+v.ID, now, map[string]any{
			"package": full, "version": v.Version, "entries": len(entries),
		})); err != nil {
			return err
		}
		return tx.InsertEvent(ctx, meta.Event{Type: EventPublished, Aggregate: "version/" + v.ID, Payload: payload, RequestID: requestID(ctx), CreatedAt: now})
	})
	if err != nil {
		return PublishResult{}, err
	}
	v, err := s.GetByID(ctx, caller, repoKey, versionID)
	return PublishResult{Version: v, Idempotent: idempotent}, err
}
