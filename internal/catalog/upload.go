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

// FileUpload is what one request of a native protocol uploads into a
// version, whose blobs are already committed in the repository, or are
// committed with the upload (Blobs). For an append-only format (generic
// PUT, twine upload) it is one file, or a file with its companions (a wheel
// and its PEP 658 metadata). For a sealed format (an OCI manifest push) it
// is the whole version, which the upload creates and publishes, or finds
// published with exactly these files. Manifest is the version's manifest,
// used when the upload creates the version; Refs are its refs (ADR 0010),
// recorded when it is created; Tags are pointed at the version once it is
// published (a quarantined one too: its tags resolve to nothing until it
// is released).
type FileUpload struct {
	Name, Version string
	Manifest      []byte
	Files         []EntryRequest
	Refs          []RefRequest
	Tags          []string
	// Blobs are blobs the caller stored but did not link yet
	// (transfer.StagedBlob): their links commit in the upload's
	// transaction, before its files are checked, and go with it when it is
	// refused.
	Blobs []BlobLinker
}

// BlobLinker links a stored blob into its repository inside a transaction
// (transfer.StagedBlob).
type BlobLinker interface {
	LinkIn(ctx context.Context, tx *meta.Tx) error
}

// RefRequest is a reference a new version makes by digest (meta.Ref).
type RefRequest struct {
	Kind, Digest, ArtifactType string
}

// FileResult is an upload's outcome.
type FileResult struct {
	PublishResult
	// Created is set when the file created (and published) the version.
	Created bool
	// Unchanged is set when the version already had these bytes at these
	// paths: nothing changed (a client's retry).
	Unchanged bool
}

// UploadFile puts files into a version (role write; ADR 0006 and 0009),
// all or none, in one transaction. The upload that creates a version (or
// fills its caller's draft) publishes it, through everything a publish goes
// through (policies, quarantine, audit, version.published); a refusal
// leaves nothing behind, and a policy's is recorded (audit, policy.denied)
// after the rollback. An upload to a published version of an append-only
// format is appended: the policies see the version with the new files (a
// deny, or a quarantine, which would hide files readers already have,
// refuses them with 403 policy_denied), and the append is audited
// (version.append) and announced (version.files_added). A path is written
// once: the same bytes again change nothing (Unchanged), other bytes are
// 409 file_exists; a sealed version takes no other files (409
// version_exists). Tombstoned versions take no files (409
// version_tombstoned), held ones answer 423.
func (s *Service) UploadFile(ctx context.Context, caller *auth.Principal, repoKey string, req FileUpload) (FileResult, error) {
	r, f, err := s.repoFormat(ctx, caller, repoKey, auth.RoleWrite)
	if err != nil {
		return FileResult{}, err
	}
	if err := checkUpload(r, f, req); err != nil {
		return FileResult{}, err
	}
	res, err := s.upload(ctx, caller, r, f, req)
	if errors.Is(err, meta.ErrExists) {
		// A concurrent upload created the version (or a tag) first.
		res, err = s.upload(ctx, caller, r, f, req)
	}
	return res, err
}

// upload is UploadFile's transaction and what follows it.
func (s *Service) upload(ctx context.Context, caller *auth.Principal, r repo.Repo, f format.Format, req FileUpload) (FileResult, error) {
	var out FileResult
	var refused *refusal
	var id string
	now := s.now().UTC().Truncate(time.Microsecond)
	err := s.db.Tx(ctx, func(tx *meta.Tx) error {
		for _, b := range req.Blobs {
			if err := b.LinkIn(ctx, tx); err != nil {
				return err
			}
		}
		v, p, state, entries, err := s.versionForUpload(ctx, tx, caller, r, f, req, now)
		if err != nil {
			return err
		}
		id = v.ID
		switch state {
		case uploadUnchanged:
			out.Unchanged, out.Idempotent = true, true
		case uploadAppend:
			if refused, err = s.appendIn(ctx, tx, caller, r, f, v, p, req.Files, now); err != nil {
				return err
			}
		default:
			if state != uploadCreated {
				entries = nil // a draft's older entries are checked again
			}
			out.Quarantine, out.Idempotent, refused, err = s.publishLocked(ctx, tx, caller, r, f, v, p, entries, now)
			if refused != nil && state == uploadCreated {
				refused.gone = true // the version goes with the rollback
			}
			if err != nil {
				return err
			}
			out.Created = state == uploadCreated && !out.Idempotent
		}
		for _, tag := range req.Tags {
			if _, err := s.putTagIn(ctx, tx, caller, r, f, p, v, tag, now); err != nil {
				return err
			}
		}
		return nil
	})
	if refused != nil {
		return FileResult{}, s.refuse(ctx, caller, r, policy.StagePublish, r.Key, *refused)
	}
	if err != nil {
		return FileResult{}, err
	}
	if out.PublishResult, err = s.answerPublish(ctx, r, id, out.PublishResult); err != nil {
		return FileResult{}, err
	}
	return out, nil
}

// checkUpload validates an upload before anything is written.
func checkUpload(r repo.Repo, f format.Format, req FileUpload) error {
	if r.Type != repo.TypeLocal {
		return fault.Coded(fault.KindMethodNotAllowed, "repository_not_local", "repository %q is %s; files are uploaded to local repositories", r.Key, r.Type)
	}
	if len(req.Files) == 0 || len(req.Files) > MaxEntriesPerRequest {
		return fault.BadRequest("files", "give 1 to %d files", MaxEntriesPerRequest)
	}
	seen := map[string]bool{}
	for _, file := range req.Files {
		if err := validPath(file.Path); err != nil {
			return fault.BadRequest("path", "%q: %v", file.Path, err)
		}
		if seen[file.Path] {
			return fault.BadRequest("path", "%q is given twice", file.Path)
		}
		seen[file.Path] = true
		if _, err := blob.ParseDigest(file.Digest); err != nil {
			return fault.BadRequest("digest", "%v", err)
		}
		if len(file.MediaType) > 255 {
			return fault.BadRequest("mediaType", "at most 255 bytes")
		}
	}
	for _, ref := range req.Refs {
		if ref.Kind != meta.RefSubject || len(ref.Digest) > 200 || len(ref.ArtifactType) > 255 {
			return fault.BadRequest("refs", "invalid ref %s %.200q", ref.Kind, ref.Digest)
		}
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

// versionForUpload finds or creates, in tx, the version req names in r,
// locked. A new version is created as a draft holding the files; an
// existing draft the caller created (through the API, or left by an
// interrupted upload of an older node) takes the files too; another
// caller's draft is 409 version_is_draft. A published version is
// unchanged when it has the files already, appended to when its format is
// append-only, and 409 version_exists otherwise. ErrExists reports a
// concurrent creation. A draft's entries, once filled, are returned too.
func (s *Service) versionForUpload(ctx context.Context, tx *meta.Tx, caller *auth.Principal, r repo.Repo, f format.Format, req FileUpload, now time.Time) (meta.Version, meta.Package, uploadState, []meta.Entry, error) {
	ns, name, _ := f.ParseName(req.Name)
	p, err := tx.EnsurePackage(ctx, meta.Package{ID: newID("pkg_"), Repo: r.Key, Format: r.Format, Namespace: ns, Name: name, DisplayName: req.Name, CreatedAt: now})
	if err != nil {
		return meta.Version{}, meta.Package{}, 0, nil, err
	}
	state := uploadDraft
	v, err := versionOf(ctx, tx.Q, f, p.ID, req.Version)
	switch {
	case errors.Is(err, meta.ErrNotFound):
		v = meta.Version{ID: newID("ver_"), PackageID: p.ID, Version: req.Version, Normalized: format.NormalizeVersion(f, req.Version),
			State: meta.VersionDraft, Manifest: req.Manifest, CreatedBy: caller.Name(), CreatedAt: now, UpdatedAt: now}
		if err := tx.InsertVersion(ctx, v); err != nil {
			return meta.Version{}, meta.Package{}, 0, nil, err
		}
		state = uploadCreated
	case err != nil:
		return meta.Version{}, meta.Package{}, 0, nil, err
	default:
		if err := tx.LockVersion(ctx, v.ID); err != nil {
			return meta.Version{}, meta.Package{}, 0, nil, err
		}
		if v, err = tx.GetVersion(ctx, v.ID); err != nil {
			return meta.Version{}, meta.Package{}, 0, nil, err
		}
	}
	switch v.State {
	case meta.VersionTombstoned:
		return meta.Version{}, meta.Package{}, 0, nil, fault.Coded(fault.KindConflict, "version_tombstoned", "%s %s was deleted; restore it, or upload a new version", req.Name, req.Version).With("state", v.State)
	case meta.VersionPublished:
		if v.Blocked() {
			return meta.Version{}, meta.Package{}, 0, nil, s.quarantined(ctx, tx.Q, req.Name+" "+req.Version, v)
		}
		same, err := hasFiles(ctx, tx.Q, v.ID, req.Files)
		switch {
		case err != nil:
			return meta.Version{}, meta.Package{}, 0, nil, err
		case same:
			return v, p, uploadUnchanged, nil, nil
		case !format.AppendOnly(f):
			return meta.Version{}, meta.Package{}, 0, nil, fault.Coded(fault.KindConflict, "version_exists", "%s %s is published with other files; %s versions are published whole and never change", req.Name, req.Version, r.Format)
		}
		return v, p, uploadAppend, nil, nil
	}
	if state == uploadDraft && v.CreatedBy != caller.Name() {
		// A draft is its creator's work in progress: an upload by someone
		// else does not publish it under their name.
		return meta.Version{}, meta.Package{}, 0, nil, fault.Coded(fault.KindConflict, "version_is_draft",
			"%s %s is a draft that %s is preparing; publish or discard it through the API first", req.Name, req.Version, v.CreatedBy).With("createdBy", v.CreatedBy)
	}
	var entries []meta.Entry // a new draft has none
	if state == uploadDraft {
		if entries, err = tx.ListEntries(ctx, v.ID); err != nil {
			return meta.Version{}, meta.Package{}, 0, nil, err
		}
	}
	entries, err = s.fillDraft(ctx, tx, caller, r, &v, entries, req, state == uploadCreated, now)
	if err != nil {
		return meta.Version{}, meta.Package{}, 0, nil, err
	}
	return v, p, state, entries, nil
}

// fillDraft puts the upload's files (and, when the draft has none yet, its
// manifest and refs) into draft v, whose entries are entries, and returns
// the draft's entries then. Those the upload added have their links
// checked in tx. A draft that existed before gets the audit record
// version.entries; one the upload created gets none: its publish record
// lists the paths (publishLocked).
func (s *Service) fillDraft(ctx context.Context, tx *meta.Tx, caller *auth.Principal, r repo.Repo, v *meta.Version, entries []meta.Entry, req FileUpload, created bool, now time.Time) ([]meta.Entry, error) {
	if _, err := samePaths(entries, req.Files); err != nil {
		return nil, err
	}
	added, err := newEntries(ctx, tx, r.Key, v.ID, entries, req.Files)
	if err != nil || len(added) == 0 {
		return entries, err
	}
	if err := tx.InsertEntries(ctx, added); err != nil {
		return nil, err
	}
	entries = append(entries, added...)
	for _, ref := range req.Refs {
		err := tx.InsertRef(ctx, meta.Ref{VersionID: v.ID, Repo: r.Key, Kind: ref.Kind, Digest: ref.Digest, ArtifactType: ref.ArtifactType})
		if err != nil && !errors.Is(err, meta.ErrExists) {
			return nil, err
		}
	}
	if v.Manifest == nil {
		if err := tx.SetManifest(ctx, v.ID, req.Manifest, now); err != nil {
			return nil, err
		}
		v.Manifest = req.Manifest
	}
	if created {
		return entries, nil
	}
	return entries, tx.InsertAudit(ctx, s.audit(ctx, caller, "version.entries", r.Key, "repo/"+r.Key+"/versions/"+v.ID, now, map[string]any{
		"count": len(added), "paths": entryPaths(added),
	}))
}

// hasFiles reports whether version versionID has every file at its path
// with its digest already; another digest at one of the paths is 409
// file_exists.
func hasFiles(ctx context.Context, q meta.Q, versionID string, files []EntryRequest) (bool, error) {
	entries, err := q.ListEntries(ctx, versionID)
	if err != nil {
		return false, err
	}
	return samePaths(entries, files)
}

// samePaths reports whether entries hold every file at its path with its
// digest; another digest at one of the paths is 409 file_exists.
func samePaths(entries []meta.Entry, files []EntryRequest) (bool, error) {
	byPath := make(map[string]string, len(entries))
	for _, e := range entries {
		byPath[e.Path] = e.Digest
	}
	all := true
	for _, file := range files {
		d, ok := byPath[file.Path]
		switch {
		case !ok:
			all = false
		case d != file.Digest:
			return false, fault.Coded(fault.KindConflict, "file_exists", "%q is already published with other content (%s); a published file never changes", file.Path, d).
				With("path", file.Path).With("digest", d)
		}
	}
	return all, nil
}

// newEntries are the entries files add to version versionID, which has
// entries: those at paths it does not have yet, sized from their blobs in
// repository repoKey.
func newEntries(ctx context.Context, tx *meta.Tx, repoKey, versionID string, entries []meta.Entry, files []EntryRequest) ([]meta.Entry, error) {
	have := make(map[string]bool, len(entries))
	for _, e := range entries {
		have[e.Path] = true
	}
	var digests []string
	for _, file := range files {
		if !have[file.Path] {
			digests = append(digests, file.Digest)
		}
	}
	if len(digests) == 0 {
		return nil, nil
	}
	links, err := tx.BlobLinks(ctx, repoKey, digests)
	if err != nil {
		return nil, err
	}
	var out []meta.Entry
	for _, file := range files {
		if have[file.Path] {
			continue
		}
		l, ok := links[file.Digest]
		if !ok {
			return nil, digestNotCommitted(repoKey, file.Digest)
		}
		out = append(out, meta.Entry{VersionID: versionID, Repo: repoKey, Path: file.Path, Digest: file.Digest, Size: l.Size, MediaType: file.MediaType})
	}
	return out, nil
}

func entryPaths(entries []meta.Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Path
	}
	return out
}

func digestNotCommitted(repoKey, digest string) error {
	return fault.Coded(fault.KindConflict, "digest_not_committed", "blob %s is not committed in repository %q; upload it there first", digest, repoKey)
}

// appendFiles adds files to published version versionID of r in a
// transaction of their own (see UploadFile; CacheVersion).
func (s *Service) appendFiles(ctx context.Context, caller *auth.Principal, r repo.Repo, f format.Format, versionID string, files []EntryRequest) (FileResult, error) {
	var refused *refusal
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
			return s.quarantined(ctx, tx.Q, "version "+v.Version, v)
		}
		refused, err = s.appendIn(ctx, tx, caller, r, f, v, p, files, now)
		return err
	})
	if refused != nil {
		return FileResult{}, s.refuse(ctx, caller, r, policy.StagePublish, r.Key, *refused)
	}
	if err != nil {
		return FileResult{}, err
	}
	v, p, err := s.versionIn(ctx, s.db.Q, r, versionID)
	if err != nil {
		return FileResult{}, err
	}
	out, err := s.withEntries(ctx, r, v, p)
	return FileResult{PublishResult: PublishResult{Version: out}}, err
}

// appendIn adds files to published, visible version v of r, locked in tx:
// the policies see the version with them; a deny or a quarantine refuses
// them (errPolicyDenied, with the refusal to record). Files it has already
// are left alone.
func (s *Service) appendIn(ctx context.Context, tx *meta.Tx, caller *auth.Principal, r repo.Repo, f format.Format, v meta.Version, p meta.Package, files []EntryRequest, now time.Time) (*refusal, error) {
	entries, err := tx.ListEntries(ctx, v.ID)
	if err != nil {
		return nil, err
	}
	if unchanged, err := samePaths(entries, files); unchanged || err != nil {
		return nil, err
	}
	added, err := newEntries(ctx, tx, r.Key, v.ID, entries, files)
	if err != nil {
		return nil, err
	}
	entries = append(entries, added...)
	res, err := s.evaluate(ctx, tx, r, f, v, p, entries, caller, policy.StagePublish)
	if err != nil {
		return nil, err
	}
	if res.Decision == policy.Deny || res.Decision == policy.Quarantine {
		// A version readers already have cannot be held: a quarantine
		// refuses the new files as a deny does.
		return refusalOf(res, r, f, v, p, entries), errPolicyDenied
	}
	if err := tx.InsertEvaluations(ctx, logRows(res, v.ID, r.Key, policy.StagePublish, caller.Name(), now)); err != nil {
		return nil, err
	}
	if err := tx.InsertEntries(ctx, added); err != nil {
		return nil, err
	}
	paths := entryPaths(added)
	details := map[string]any{"package": f.FullName(p.Namespace, p.Name), "version": v.Version, "paths": paths}
	if err := tx.InsertAudit(ctx, s.audit(ctx, caller, "version.append", r.Key, "repo/"+r.Key+"/versions/"+v.ID, now, details)); err != nil {
		return nil, err
	}
	payload := payloadOf(r, f, v, p, entries)
	payload["added"] = paths
	return nil, tx.InsertEvent(ctx, meta.Event{Type: EventFilesAdded, Aggregate: "version/" + v.ID, Payload: payload, RequestID: requestID(ctx), CreatedAt: now})
}
