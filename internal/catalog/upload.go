package catalog

import (
	"context"
	"errors"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/policy"
	"github.com/artifortress/artifortress/internal/repo"
)

// EventFilesAdded announces a file added to a published version of an
// append-only format (ADR 0009).
const EventFilesAdded = "version.files_added"

// FileUpload is one file a native protocol of an append-only format (generic
// PUT, twine upload) uploads into a version: its blob is already committed
// in the repository. Manifest is the version's manifest, used when this
// file creates the version.
type FileUpload struct {
	Name, Version string
	Manifest      []byte
	File          EntryRequest
}

// FileResult is an upload's outcome.
type FileResult struct {
	PublishResult
	// Created is set when the file created (and published) the version.
	Created bool
	// Unchanged is set when the version already had these bytes at that
	// path: nothing changed (a client's retry).
	Unchanged bool
}

// UploadFile puts one file into a version of an append-only format (role
// write; ADR 0006 and 0009). The first file of a version creates and
// publishes it, through everything a publish goes through (policies,
// quarantine, audit, version.published). A later file is appended to the
// published version in its own transaction: the policies see the version
// with the new file (a deny, or a quarantine, which would hide files readers
// already have, refuses it with 403 policy_denied), and the append is
// audited (version.append) and announced (version.files_added). A path is
// written once: the same bytes again change nothing (Unchanged), other
// bytes are 409 file_exists. Tombstoned versions take no files (409
// version_tombstoned), held ones answer 423.
func (s *Service) UploadFile(ctx context.Context, caller *auth.Principal, repoKey string, req FileUpload) (FileResult, error) {
	r, f, err := s.repoFormat(ctx, caller, repoKey, auth.RoleWrite)
	if err != nil {
		return FileResult{}, err
	}
	if err := checkUpload(r, f, req); err != nil {
		return FileResult{}, err
	}
	id, state, err := s.versionForUpload(ctx, caller, r, f, req)
	if errors.Is(err, meta.ErrExists) {
		// A concurrent upload created the version first.
		id, state, err = s.versionForUpload(ctx, caller, r, f, req)
	}
	if err != nil {
		return FileResult{}, err
	}
	switch state {
	case uploadUnchanged:
		v, err := s.GetByID(ctx, caller, repoKey, id)
		return FileResult{PublishResult: PublishResult{Version: v, Idempotent: true}, Unchanged: true}, err
	case uploadAppend:
		return s.appendFile(ctx, caller, r, f, id, req.File)
	}
	res, err := s.publishIn(ctx, caller, r, f, id)
	if fe := fault.As(err); fe != nil && fe.Code == "policy_denied" && state == uploadCreated {
		// The refusal is recorded against the version; the draft this
		// upload made goes, so a refused file leaves nothing behind.
		if derr := s.discardDraft(ctx, caller, r, id); derr != nil {
			return FileResult{}, derr
		}
	}
	return FileResult{PublishResult: res, Created: state == uploadCreated && !res.Idempotent}, err
}

// checkUpload validates an upload before anything is written.
func checkUpload(r repo.Repo, f format.Format, req FileUpload) error {
	if r.Type != repo.TypeLocal {
		return fault.Coded(fault.KindMethodNotAllowed, "repository_not_local", "repository %q is %s; files are uploaded to local repositories", r.Key, r.Type)
	}
	if !format.AppendOnly(f) {
		return fault.Coded(fault.KindConflict, "format_not_append_only", "%s versions are published whole, not file by file", r.Format)
	}
	if err := validPath(req.File.Path); err != nil {
		return fault.BadRequest("path", "%q: %v", req.File.Path, err)
	}
	if _, err := blob.ParseDigest(req.File.Digest); err != nil {
		return fault.BadRequest("digest", "%v", err)
	}
	if len(req.File.MediaType) > 255 {
		return fault.BadRequest("mediaType", "at most 255 bytes")
	}
	ns, name, err := f.ParseName(req.Name)
	if err != nil {
		return fieldError(err)
	}
	if err := f.ValidateVersion(req.Version); err != nil {
		return fieldError(err)
	}
	if err := f.ValidateManifest(format.Coordinates{Namespace: ns, Name: name, Version: req.Version}, req.Manifest); err != nil {
		return fieldError(err)
	}
	return nil
}

// What an upload does to the version it names.
type uploadState int

const (
	uploadCreated   uploadState = iota // a new draft holds the file: publish it
	uploadDraft                        // an existing draft took the file: publish it
	uploadAppend                       // the version is published: append
	uploadUnchanged                    // the path holds these bytes already
)

// versionForUpload finds or creates the version req names in r. A new
// version is created as a draft holding the file; an existing draft (one
// created through the API, or left by an upload that crashed before its
// publish) takes the file too. ErrExists reports a concurrent creation.
func (s *Service) versionForUpload(ctx context.Context, caller *auth.Principal, r repo.Repo, f format.Format, req FileUpload) (string, uploadState, error) {
	ns, name, _ := f.ParseName(req.Name)
	now := s.now().UTC().Truncate(time.Microsecond)
	var id string
	state := uploadDraft
	err := s.db.Tx(ctx, func(tx *meta.Tx) error {
		p, err := tx.EnsurePackage(ctx, meta.Package{ID: newID("pkg_"), Repo: r.Key, Format: r.Format, Namespace: ns, Name: name, DisplayName: req.Name, CreatedAt: now})
		if err != nil {
			return err
		}
		v, err := versionOf(ctx, tx.Q, f, p.ID, req.Version)
		switch {
		case errors.Is(err, meta.ErrNotFound):
			v = meta.Version{ID: newID("ver_"), PackageID: p.ID, Version: req.Version, Normalized: format.NormalizeVersion(f, req.Version),
				State: meta.VersionDraft, CreatedBy: caller.Name(), CreatedAt: now, UpdatedAt: now}
			if err := tx.InsertVersion(ctx, v); err != nil {
				return err
			}
			state = uploadCreated
		case err != nil:
			return err
		default:
			if err := tx.LockVersion(ctx, v.ID); err != nil {
				return err
			}
			if v, err = tx.GetVersion(ctx, v.ID); err != nil {
				return err
			}
		}
		id = v.ID
		switch v.State {
		case meta.VersionTombstoned:
			return fault.Coded(fault.KindConflict, "version_tombstoned", "%s %s was deleted; restore it, or upload a new version", req.Name, req.Version).With("state", v.State)
		case meta.VersionPublished:
			if v.Blocked() {
				return s.quarantined(ctx, req.Name+" "+req.Version, v)
			}
			same, err := hasFile(ctx, tx.Q, v.ID, req.File)
			if same {
				state = uploadUnchanged
			} else if err == nil {
				state = uploadAppend
			}
			return err
		}
		if same, err := hasFile(ctx, tx.Q, v.ID, req.File); same || err != nil {
			return err
		}
		l, err := tx.GetBlobLink(ctx, r.Key, req.File.Digest)
		if errors.Is(err, meta.ErrNotFound) {
			return digestNotCommitted(r.Key, req.File.Digest)
		}
		if err != nil {
			return err
		}
		if err := tx.InsertEntry(ctx, meta.Entry{VersionID: v.ID, Repo: r.Key, Path: req.File.Path, Digest: req.File.Digest, Size: l.Size, MediaType: req.File.MediaType}); err != nil {
			return err
		}
		if v.Manifest == nil {
			if err := tx.SetManifest(ctx, v.ID, req.Manifest, now); err != nil {
				return err
			}
		}
		return tx.InsertAudit(ctx, s.audit(ctx, caller, "version.entries", r.Key, "repo/"+r.Key+"/versions/"+v.ID, now, map[string]any{
			"count": 1, "paths": []string{req.File.Path},
		}))
	})
	return id, state, err
}

// hasFile reports whether version versionID has file's path with file's
// digest; another digest at that path is 409 file_exists.
func hasFile(ctx context.Context, q meta.Q, versionID string, file EntryRequest) (bool, error) {
	entries, err := q.ListEntries(ctx, versionID)
	if err != nil {
		return false, err
	}
	return samePath(entries, file)
}

// samePath reports whether entries hold file's path with file's digest;
// another digest at that path is 409 file_exists.
func samePath(entries []meta.Entry, file EntryRequest) (bool, error) {
	for _, e := range entries {
		if e.Path == file.Path {
			if e.Digest == file.Digest {
				return true, nil
			}
			return false, fault.Coded(fault.KindConflict, "file_exists", "%q is already published with other content (%s); a published file never changes", file.Path, e.Digest).
				With("path", file.Path).With("digest", e.Digest)
		}
	}
	return false, nil
}

func digestNotCommitted(repoKey, digest string) error {
	return fault.Coded(fault.KindConflict, "digest_not_committed", "blob %s is not committed in repository %q; upload it there first", digest, repoKey)
}

// appendFile adds file to published version versionID of r (see UploadFile).
func (s *Service) appendFile(ctx context.Context, caller *auth.Principal, r repo.Repo, f format.Format, versionID string, file EntryRequest) (FileResult, error) {
	var denied *policy.Result
	unchanged := false
	now := s.now().UTC().Truncate(time.Microsecond)
	err := s.db.Tx(ctx, func(tx *meta.Tx) error {
		v, p, err := s.lockedVersion(ctx, tx, r, versionID)
		if err != nil {
			return err
		}
		if v.State != meta.VersionPublished {
			return fault.Coded(fault.KindConflict, "version_tombstoned", "version %s was deleted while uploading; restore it, or upload a new version", v.Version).With("state", v.State)
		}
		if v.Blocked() {
			return s.quarantined(ctx, "version "+v.Version, v)
		}
		entries, err := tx.ListEntries(ctx, v.ID)
		if err != nil {
			return err
		}
		if unchanged, err = samePath(entries, file); unchanged || err != nil {
			return err
		}
		l, err := tx.GetBlobLink(ctx, r.Key, file.Digest)
		if errors.Is(err, meta.ErrNotFound) {
			return digestNotCommitted(r.Key, file.Digest)
		}
		if err != nil {
			return err
		}
		entry := meta.Entry{VersionID: v.ID, Repo: r.Key, Path: file.Path, Digest: file.Digest, Size: l.Size, MediaType: file.MediaType}
		entries = append(entries, entry)
		res, err := s.evaluate(ctx, tx, r, f, v, p, entries, caller, policy.StagePublish)
		if err != nil {
			return err
		}
		if res.Decision == policy.Deny || res.Decision == policy.Quarantine {
			// A version readers already have cannot be held: a quarantine
			// refuses the new file as a deny does.
			denied = &res
			return errPolicyDenied
		}
		if err := tx.InsertEvaluations(ctx, logRows(res, v.ID, r.Key, policy.StagePublish, caller.Name(), now)); err != nil {
			return err
		}
		if err := tx.InsertEntry(ctx, entry); err != nil {
			return err
		}
		details := map[string]any{"package": f.FullName(p.Namespace, p.Name), "version": v.Version, "path": file.Path, "digest": file.Digest, "size": l.Size}
		if err := tx.InsertAudit(ctx, s.audit(ctx, caller, "version.append", r.Key, "repo/"+r.Key+"/versions/"+v.ID, now, details)); err != nil {
			return err
		}
		payload := payloadOf(r, f, v, p, entries)
		payload["added"] = []string{file.Path}
		return tx.InsertEvent(ctx, meta.Event{Type: EventFilesAdded, Aggregate: "version/" + v.ID, Payload: payload, RequestID: requestID(ctx), CreatedAt: now})
	})
	if denied != nil {
		if err := s.recordDenial(ctx, caller, r, f, versionID, policy.StagePublish, r.Key, *denied); err != nil {
			return FileResult{}, err
		}
		return FileResult{}, policyDenied(*denied)
	}
	if err != nil {
		return FileResult{}, err
	}
	v, p, err := s.versionIn(ctx, s.db.Q, r, versionID)
	if err != nil {
		return FileResult{}, err
	}
	out, err := s.withEntries(ctx, r, v, p)
	return FileResult{PublishResult: PublishResult{Version: out, Idempotent: unchanged}, Unchanged: unchanged}, err
}
