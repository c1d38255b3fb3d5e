package catalog

import (
	"context"
	"errors"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/policy"
	"github.com/artifortress/artifortress/internal/repo"
)

// EventPublished is the outbox event of a publish.
const EventPublished = "version.published"

// PublishResult is a publish's outcome.
type PublishResult struct {
	Version    Version
	Idempotent bool // it was already published: nothing changed, no event
	// Quarantine is set when a policy sent the version to the quarantine
	// lane: published, but invisible until released.
	Quarantine *meta.QuarantineItem
}

// Publish makes a draft immutable and visible (role promote), in one
// transaction with its audit record and the version.published event.
// Preconditions: at least one entry, a manifest its format accepts, every
// entry's digest committed in the repository. A failed precondition changes
// nothing. Publishing a published version answers it again without a second
// event.
//
// The policies that apply to the repository are evaluated in that
// transaction, on the frozen content: a deny refuses the publish (403
// policy_denied; the refusal is logged, audited and announced as
// policy.denied), a quarantine publishes into the quarantine lane
// (version.quarantined instead of version.published, which comes on
// release). Every evaluation is logged with the version.
func (s *Service) Publish(ctx context.Context, caller *auth.Principal, repoKey, versionID string) (PublishResult, error) {
	return s.publish(ctx, caller, repoKey, versionID, auth.RolePromote)
}

// PublishUpload publishes a draft for a native protocol's upload (npm
// publish, twine upload), where uploading and publishing are one client
// operation: it needs the write role rather than promote (see ADR 0006).
// Everything else is Publish: preconditions, policies, quarantine, events.
func (s *Service) PublishUpload(ctx context.Context, caller *auth.Principal, repoKey, versionID string) (PublishResult, error) {
	return s.publish(ctx, caller, repoKey, versionID, auth.RoleWrite)
}

func (s *Service) publish(ctx context.Context, caller *auth.Principal, repoKey, versionID string, role auth.Role) (PublishResult, error) {
	r, f, err := s.repoFormat(ctx, caller, repoKey, role)
	if err != nil {
		return PublishResult{}, err
	}
	return s.publishIn(ctx, caller, r, f, versionID)
}

// publishIn publishes draft versionID of r, whose access was checked.
func (s *Service) publishIn(ctx context.Context, caller *auth.Principal, r repo.Repo, f format.Format, versionID string) (PublishResult, error) {
	var out PublishResult
	var refused *refusal
	now := s.now().UTC().Truncate(time.Microsecond)
	err := s.db.Tx(ctx, func(tx *meta.Tx) error {
		v, p, err := s.lockedVersion(ctx, tx, r, versionID)
		if err != nil {
			return err
		}
		out.Quarantine, out.Idempotent, refused, err = s.publishLocked(ctx, tx, caller, r, f, v, p, nil, now)
		return err
	})
	if refused != nil {
		return PublishResult{}, s.refuse(ctx, caller, r, policy.StagePublish, r.Key, *refused)
	}
	if err != nil {
		return PublishResult{}, err
	}
	return s.answerPublish(ctx, r, versionID, out)
}

// answerPublish completes out, the result of a committed publish of
// version versionID of r: a new hold is announced to the repository cache,
// and the version is read for the answer (the publisher sees it even when
// it is held: the quarantine item says so).
func (s *Service) answerPublish(ctx context.Context, r repo.Repo, versionID string, out PublishResult) (PublishResult, error) {
	if out.Quarantine != nil && !out.Idempotent {
		s.repos.QuarantineChanged(r.Key)
	}
	v, p, err := s.versionIn(ctx, s.db.Q, r, versionID)
	if err != nil {
		return PublishResult{}, err
	}
	out.Version, err = s.withEntries(ctx, r, v, p)
	return out, err
}

// publishLocked publishes version v of r, locked in tx: a draft whose
// preconditions hold is evaluated and published (settle: into the
// quarantine lane when a policy says so, returned; a refusal is returned
// with errPolicyDenied); a published one is answered again (idempotent)
// unless the lane holds it. entries are the draft's entries when the
// caller created the draft in tx with them and its manifest, having
// checked both (an upload that created the version: the preconditions
// hold by construction); nil lists them and checks every precondition.
func (s *Service) publishLocked(ctx context.Context, tx *meta.Tx, caller *auth.Principal, r repo.Repo, f format.Format, v meta.Version, p meta.Package, entries []meta.Entry, now time.Time) (
	held *meta.QuarantineItem, idempotent bool, refused *refusal, err error) {
	switch v.State {
	case meta.VersionPublished:
		if v.Blocked() {
			// Publishing again is no way around the lane.
			return nil, false, nil, s.quarantined(ctx, tx.Q, "version "+v.Version, v)
		}
		it, err := tx.QuarantineOf(ctx, v.ID)
		if errors.Is(err, meta.ErrNotFound) {
			return nil, true, nil, nil
		}
		return &it, true, nil, err
	case meta.VersionTombstoned:
		return nil, false, nil, notDraft(v)
	}
	verified := entries != nil
	if !verified {
		if entries, err = tx.ListEntries(ctx, v.ID); err != nil {
			return nil, false, nil, err
		}
	}
	if len(entries) == 0 {
		return nil, false, nil, fault.Coded(fault.KindConflict, "publish_precondition_failed", "version %s has no entries; add its files first", v.Version).With("precondition", "entries")
	}
	if v.Manifest == nil {
		return nil, false, nil, fault.Coded(fault.KindConflict, "publish_precondition_failed", "version %s has no manifest; put one first", v.Version).With("precondition", "manifest")
	}
	if !verified {
		coords := format.Coordinates{Namespace: p.Namespace, Name: p.Name, Version: v.Version}
		if err := f.ValidateManifest(coords, v.Manifest); err != nil {
			return nil, false, nil, fault.Coded(fault.KindConflict, "publish_precondition_failed", "the manifest is no longer valid: %v", err).With("precondition", "manifest")
		}
		for _, e := range entries {
			if _, err := tx.GetBlobLink(ctx, r.Key, e.Digest); err != nil {
				return nil, false, nil, fault.Coded(fault.KindConflict, "publish_precondition_failed", "entry %q: blob %s is not committed in %q", e.Path, e.Digest, r.Key).With("precondition", "digests")
			}
		}
	}
	details := map[string]any{"package": f.FullName(p.Namespace, p.Name), "version": v.Version, "entries": len(entries)}
	if verified {
		// The upload that created the version wrote no version.entries
		// record (fillDraft): this one says what it holds.
		details["paths"] = entryPaths(entries)
	}
	held, refused, err = s.settle(ctx, tx, caller, r, f, v, p, entries, policy.StagePublish, "version.publish", details, now)
	return held, false, refused, err
}

// errPolicyDenied rolls back a publish a policy refused.
var errPolicyDenied = errors.New("refused by policy")

// settle evaluates the policies of r against draft v (its entries and
// manifest in place) inside tx, logs the evaluations and publishes v: into
// the quarantine lane (returned) when a policy says so. A deny changes
// nothing and returns the refusal with errPolicyDenied, which rolls tx
// back; the caller records the refusal (refuse) after the rollback. audit
// is the audit action; details go into its record.
func (s *Service) settle(ctx context.Context, tx *meta.Tx, caller *auth.Principal, r repo.Repo, f format.Format, v meta.Version, p meta.Package,
	entries []meta.Entry, stage, audit string, details map[string]any, now time.Time) (*meta.QuarantineItem, *refusal, error) {
	res, err := s.evaluate(ctx, tx, r, f, v, p, entries, caller, stage)
	if err != nil {
		return nil, nil, err
	}
	if res.Decision == policy.Deny {
		return nil, refusalOf(res, r, f, v, p, entries), errPolicyDenied
	}
	if err := tx.InsertEvaluations(ctx, logRows(res, v.ID, r.Key, stage, caller.Name(), now)); err != nil {
		return nil, nil, err
	}
	ok, err := tx.PublishVersion(ctx, v.ID, caller.Name(), now)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, fault.Coded(fault.KindConflict, "version_not_draft", "version %s changed state while publishing; retry", v.Version)
	}
	v.PublishedBy = caller.Name()
	payload := payloadOf(r, f, v, p, entries)
	event := EventPublished
	var held *meta.QuarantineItem
	if res.Decision == policy.Quarantine {
		names, messages := deciding(res)
		it := meta.QuarantineItem{ID: newID("qua_"), VersionID: v.ID, Repo: r.Key, Status: meta.QuarantineHeld,
			Reason: quarantineReason(messages), Policies: names, CreatedAt: now}
		if err := tx.InsertQuarantine(ctx, it); err != nil {
			return nil, nil, err
		}
		held = &it
		event, details["quarantineId"], details["policies"] = EventQuarantined, it.ID, names
		payload["quarantineId"], payload["policies"], payload["reason"] = it.ID, names, it.Reason
	}
	if f := failures(res); f != nil {
		details["failedEvaluations"] = f
	}
	if err := tx.InsertAudit(ctx, s.audit(ctx, caller, audit, r.Key, "repo/"+r.Key+"/versions/"+v.ID, now, details)); err != nil {
		return nil, nil, err
	}
	return held, nil, tx.InsertEvent(ctx, meta.Event{Type: event, Aggregate: "version/" + v.ID, Payload: payload, RequestID: requestID(ctx), CreatedAt: now})
}
