package catalog

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/repo"
)

// Events of the quarantine lane.
const (
	EventQuarantined = "version.quarantined"
	EventReleased    = "quarantine.released"
	EventRejected    = "quarantine.rejected"
)

// QuarantineItem is a held (or decided) version with its coordinates.
type QuarantineItem struct {
	meta.QuarantineItem
	FullName string
	Version  string
}

// QuarantineList is one page of a repository's quarantine lane.
type QuarantineList struct {
	Items      []QuarantineItem
	NextCursor string
}

// Quarantine lists a repository's quarantine lane, newest first (role
// promote), optionally of one status.
func (s *Service) Quarantine(ctx context.Context, caller *auth.Principal, repoKey, status string, limit int, cursor string) (QuarantineList, error) {
	_, f, err := s.repoFormat(ctx, caller, repoKey, auth.RolePromote)
	if err != nil {
		return QuarantineList{}, err
	}
	switch status {
	case "", meta.QuarantineHeld, meta.QuarantineReleased, meta.QuarantineRejected:
	default:
		return QuarantineList{}, fault.BadRequest("status", "want quarantined, released or rejected")
	}
	if limit <= 0 || limit > 1000 {
		return QuarantineList{}, fault.BadRequest("limit", "want 1 to 1000")
	}
	var before *meta.QuarantineItem
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil {
			return QuarantineList{}, fault.BadRequest("cursor", "invalid cursor; pass nextCursor from the previous page unchanged")
		}
		it, err := s.db.GetQuarantine(ctx, repoKey, string(raw))
		if errors.Is(err, meta.ErrNotFound) {
			return QuarantineList{}, fault.BadRequest("cursor", "invalid cursor; pass nextCursor from the previous page unchanged")
		}
		if err != nil {
			return QuarantineList{}, err
		}
		before = &it
	}
	rows, err := s.db.ListQuarantine(ctx, repoKey, status, before, limit+1)
	if err != nil {
		return QuarantineList{}, err
	}
	out := QuarantineList{Items: []QuarantineItem{}}
	for i, it := range rows {
		if i == limit {
			out.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(rows[i-1].ID))
			break
		}
		out.Items = append(out.Items, describe(f, it))
	}
	return out, nil
}

// QuarantineItem returns one item of a repository's quarantine lane (role promote).
func (s *Service) QuarantineItem(ctx context.Context, caller *auth.Principal, repoKey, id string) (QuarantineItem, error) {
	_, f, err := s.repoFormat(ctx, caller, repoKey, auth.RolePromote)
	if err != nil {
		return QuarantineItem{}, err
	}
	it, err := s.db.GetQuarantine(ctx, repoKey, id)
	if errors.Is(err, meta.ErrNotFound) {
		return QuarantineItem{}, quarantineNotFound(id)
	}
	if err != nil {
		return QuarantineItem{}, err
	}
	return describe(f, it), nil
}

func quarantineNotFound(id string) error {
	return fault.Coded(fault.KindNotFound, "quarantine_item_not_found", "quarantine item %q not found", id)
}

// describe writes a quarantine item's package name as its format does.
func describe(f format.Format, it meta.QuarantineItem) QuarantineItem {
	return QuarantineItem{QuarantineItem: it, FullName: f.FullName(it.Namespace, it.Name), Version: it.Version}
}

// Release lets a held version out of the quarantine lane (role promote):
// it becomes visible at once, and is announced as published.
func (s *Service) Release(ctx context.Context, caller *auth.Principal, repoKey, id, note string) (QuarantineItem, error) {
	return s.decide(ctx, caller, repoKey, id, note, meta.QuarantineReleased)
}

// Reject keeps a held version out for good (role promote): it stays
// invisible on every read path.
func (s *Service) Reject(ctx context.Context, caller *auth.Principal, repoKey, id, note string) (QuarantineItem, error) {
	return s.decide(ctx, caller, repoKey, id, note, meta.QuarantineRejected)
}

// maxNote bounds a decision's note.
const maxNote = 1024

func (s *Service) decide(ctx context.Context, caller *auth.Principal, repoKey, id, note, status string) (QuarantineItem, error) {
	r, f, err := s.repoFormat(ctx, caller, repoKey, auth.RolePromote)
	if err != nil {
		return QuarantineItem{}, err
	}
	if len(note) > maxNote {
		return QuarantineItem{}, fault.BadRequest("note", "at most %d bytes", maxNote)
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	var out QuarantineItem
	err = s.db.Tx(ctx, func(tx *meta.Tx) error {
		it, err := tx.GetQuarantine(ctx, repoKey, id)
		if errors.Is(err, meta.ErrNotFound) {
			return quarantineNotFound(id)
		}
		if err != nil {
			return err
		}
		if v, err := tx.GetVersion(ctx, it.VersionID); err != nil {
			return err
		} else if v.State == meta.VersionTombstoned {
			// Releasing would announce a version that is gone; restore it first.
			return fault.Coded(fault.KindConflict, "version_tombstoned", "version %s is tombstoned; restore it before deciding", v.Version).With("state", v.State)
		}
		ok, err := tx.DecideQuarantine(ctx, id, status, caller.Name(), note, now)
		if err != nil {
			return err
		}
		if !ok {
			// A concurrent decision won: report what it decided.
			if now, err := tx.GetQuarantine(ctx, repoKey, id); err == nil {
				it = now
			}
			return fault.Coded(fault.KindConflict, "quarantine_already_decided", "quarantine item %s is already %s", id, it.Status).With("status", it.Status)
		}
		it.Status, it.DecidedBy, it.DecidedAt, it.Note = status, caller.Name(), &now, note
		out = describe(f, it)
		action, event := "quarantine.reject", EventRejected
		if status == meta.QuarantineReleased {
			action, event = "quarantine.release", EventReleased
		}
		if err := tx.InsertAudit(ctx, s.audit(ctx, caller, action, repoKey, "repo/"+repoKey+"/quarantine/"+id, now, map[string]any{
			"package": out.FullName, "version": out.Version, "note": note,
		})); err != nil {
			return err
		}
		payload, err := s.versionPayload(ctx, tx.Q, r, f, it.VersionID)
		if err != nil {
			return err
		}
		payload["quarantineId"], payload["decidedBy"], payload["note"] = id, caller.Name(), note
		if err := tx.InsertEvent(ctx, meta.Event{Type: event, Aggregate: "version/" + it.VersionID, Payload: payload, RequestID: requestID(ctx), CreatedAt: now}); err != nil {
			return err
		}
		if status == meta.QuarantineReleased {
			// A held version was never announced as published: it is now.
			return tx.InsertEvent(ctx, meta.Event{Type: EventPublished, Aggregate: "version/" + it.VersionID, Payload: payload, RequestID: requestID(ctx), CreatedAt: now})
		}
		return nil
	})
	if err != nil {
		return QuarantineItem{}, err
	}
	s.repos.QuarantineChanged(repoKey)
	return out, nil
}

// versionPayload is the body of a version's events: its coordinates and
// files.
func (s *Service) versionPayload(ctx context.Context, q meta.Q, r repo.Repo, f format.Format, versionID string) (map[string]any, error) {
	v, p, err := s.versionIn(ctx, q, r, versionID)
	if err != nil {
		return nil, err
	}
	entries, err := q.ListEntries(ctx, v.ID)
	if err != nil {
		return nil, err
	}
	return payloadOf(r, f, v, p, entries), nil
}

// payloadOf is the body of version v's events, whose files are entries.
func payloadOf(r repo.Repo, f format.Format, v meta.Version, p meta.Package, entries []meta.Entry) map[string]any {
	files := make([]map[string]any, 0, len(entries))
	for _, e := range entries {
		files = append(files, map[string]any{"path": e.Path, "digest": e.Digest, "size": e.Size, "mediaType": e.MediaType})
	}
	return map[string]any{
		"repo": r.Key, "format": r.Format, "namespace": p.Namespace, "name": p.Name, "package": f.FullName(p.Namespace, p.Name),
		"version": v.Version, "versionId": v.ID, "publishedBy": v.PublishedBy, "entries": files,
	}
}

// quarantineReason joins what the policies that quarantined a version said.
func quarantineReason(msgs []string) string {
	return strings.Join(msgs, "; ")
}
