package catalog

import (
	"context"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
)

// Events of deletion and recovery.
const (
	EventTombstoned = "version.tombstoned"
	EventRestored   = "version.restored"
)

// DefaultTombstoneRetention is how long a tombstoned version stays
// restorable unless SetTombstoneRetention says otherwise.
const DefaultTombstoneRetention = 30 * 24 * time.Hour

// SetTombstoneRetention sets how long a tombstoned version stays
// restorable. Call it before serving.
func (s *Service) SetTombstoneRetention(d time.Duration) { s.retention = d }

// restorableUntil is when a tombstoned version stops being restorable
// (nil for any other state).
func (s *Service) restorableUntil(v meta.Version) *time.Time {
	if v.State != meta.VersionTombstoned || v.TombstonedAt == nil {
		return nil
	}
	t := v.TombstonedAt.Add(s.retention)
	return &t
}

// DeleteResult is what deleting a version did.
type DeleteResult struct {
	// Version is the tombstoned version; zero when a draft was discarded.
	Version Version
	// Discarded is set when the version was a draft: it is gone, with its
	// files (drafts were never visible, so nothing is kept).
	Discarded bool
	// Idempotent is set when the version was tombstoned already: nothing
	// changed, no event.
	Idempotent bool
}

// maxReason bounds a tombstone's reason.
const maxReason = 1024

// Delete removes a version the way its state allows. A published version
// (held and rejected ones too) is tombstoned (role admin): it disappears
// from every read path at once but stays restorable for the retention
// window; the state change, its audit record and the version.tombstoned
// event commit together. A draft is discarded (role write). Deleting a
// tombstoned version again changes nothing.
//
// Tombstoning does not remove bytes: a blob stays readable by digest in
// the repository (as a registry's layers stay after a manifest is deleted)
// until garbage collection, which never takes what a retained version
// references.
func (s *Service) Delete(ctx context.Context, caller *auth.Principal, repoKey, versionID, reason string) (DeleteResult, error) {
	r, err := s.repos.Access(ctx, caller, repoKey, auth.RoleWrite)
	if err != nil {
		return DeleteResult{}, err
	}
	if len(reason) > maxReason {
		return DeleteResult{}, fault.BadRequest("reason", "at most %d bytes", maxReason)
	}
	f, err := s.formatOf(r)
	if err != nil {
		return DeleteResult{}, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	var out DeleteResult
	err = s.db.Tx(ctx, func(tx *meta.Tx) error {
		v, p, err := s.lockedVersion(ctx, tx, r, versionID)
		if err != nil {
			return err
		}
		if v.State == meta.VersionDraft {
			out.Discarded = true
			return s.discard(ctx, tx, caller, repoKey, v, p, now)
		}
		if !caller.Can(repoKey, auth.RoleAdmin) {
			return fault.Forbidden("deleting a published version needs the %s role on repository %q", auth.RoleAdmin, repoKey)
		}
		if v.State == meta.VersionTombstoned {
			out.Idempotent = true
			return nil
		}
		ok, err := tx.TombstoneVersion(ctx, v.ID, caller.Name(), reason, now)
		if err != nil {
			return err
		}
		if !ok {
			return fault.Coded(fault.KindConflict, "version_state_changed", "version %s changed state while deleting; retry", v.Version)
		}
		until := now.Add(s.retention)
		if err := tx.InsertAudit(ctx, s.audit(ctx, caller, "version.tombstone", repoKey, "repo/"+repoKey+"/versions/"+v.ID, now, map[string]any{
			"package": f.FullName(p.Namespace, p.Name), "version": v.Version, "reason": reason, "restorableUntil": until,
		})); err != nil {
			return err
		}
		payload, err := s.versionPayload(ctx, tx.Q, r, f, v.ID)
		if err != nil {
			return err
		}
		payload["tombstonedBy"], payload["reason"], payload["restorableUntil"] = caller.Name(), reason, until
		return tx.InsertEvent(ctx, meta.Event{Type: EventTombstoned, Aggregate: "version/" + v.ID, Payload: payload, RequestID: requestID(ctx), CreatedAt: now})
	})
	if err != nil || out.Discarded {
		return out, err
	}
	v, p, err := s.versionIn(ctx, s.db.Q, r, versionID)
	if err != nil {
		return DeleteResult{}, err
	}
	out.Version, err = s.withEntries(ctx, r, v, p)
	return out, err
}

// Restore brings a tombstoned version back, as it was, within the
// retention window (role admin), with its audit record and the
// version.restored event. A version held by the quarantine lane is still
// held. Restoring a published version changes nothing.
func (s *Service) Restore(ctx context.Context, caller *auth.Principal, repoKey, versionID string) (Version, bool, error) {
	r, f, err := s.repoFormat(ctx, caller, repoKey, auth.RoleAdmin)
	if err != nil {
		return Version{}, false, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	idempotent := false
	err = s.db.Tx(ctx, func(tx *meta.Tx) error {
		v, p, err := s.lockedVersion(ctx, tx, r, versionID)
		if err != nil {
			return err
		}
		switch v.State {
		case meta.VersionPublished:
			idempotent = true
			return nil
		case meta.VersionDraft:
			return fault.Coded(fault.KindConflict, "version_not_tombstoned", "version %s is a draft; only tombstoned versions are restored", v.Version).With("state", v.State)
		}
		if until := s.restorableUntil(v); until != nil && now.After(*until) {
			return fault.Coded(fault.KindConflict, "retention_expired", "version %s was tombstoned at %s; it could be restored until %s",
				v.Version, v.TombstonedAt.Format(time.RFC3339), until.Format(time.RFC3339)).With("restorableUntil", until)
		}
		ok, err := tx.RestoreVersion(ctx, v.ID, now)
		if err != nil {
			return err
		}
		if !ok {
			return fault.Coded(fault.KindConflict, "version_state_changed", "version %s changed state while restoring; retry", v.Version)
		}
		if err := tx.InsertAudit(ctx, s.audit(ctx, caller, "version.restore", repoKey, "repo/"+repoKey+"/versions/"+v.ID, now, map[string]any{
			"package": f.FullName(p.Namespace, p.Name), "version": v.Version, "tombstonedBy": v.TombstonedBy, "tombstoneReason": v.TombstoneReason,
		})); err != nil {
			return err
		}
		payload, err := s.versionPayload(ctx, tx.Q, r, f, v.ID)
		if err != nil {
			return err
		}
		payload["restoredBy"] = caller.Name()
		return tx.InsertEvent(ctx, meta.Event{Type: EventRestored, Aggregate: "version/" + v.ID, Payload: payload, RequestID: requestID(ctx), CreatedAt: now})
	})
	if err != nil {
		return Version{}, false, err
	}
	v, p, err := s.versionIn(ctx, s.db.Q, r, versionID)
	if err != nil {
		return Version{}, false, err
	}
	out, err := s.withEntries(ctx, r, v, p)
	return out, idempotent, err
}
