package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/blobhttp"
	"github.com/artifortress/artifortress/internal/catalog"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
)

type entryJSON struct {
	Path      string `json:"path"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
	MediaType string `json:"mediaType,omitempty"`
}

type versionJSON struct {
	VersionID    string          `json:"versionId"`
	Repo         string          `json:"repo"`
	Format       string          `json:"format"`
	Namespace    string          `json:"namespace,omitempty"`
	Name         string          `json:"name"`
	Package      string          `json:"package"`
	Version      string          `json:"version"`
	State        string          `json:"state"`
	Entries      []entryJSON     `json:"entries"`
	Manifest     json.RawMessage `json:"manifest,omitempty"`
	CreatedBy    string          `json:"createdBy"`
	CreatedAt    time.Time       `json:"createdAt"`
	PublishedBy  string          `json:"publishedBy,omitempty"`
	PublishedAt  *time.Time      `json:"publishedAt,omitempty"`
	TombstonedAt *time.Time      `json:"tombstonedAt,omitempty"`
	// TombstonedBy, TombstoneReason and RestorableUntil describe a
	// tombstoned version.
	TombstonedBy    string          `json:"tombstonedBy,omitempty"`
	TombstoneReason string          `json:"tombstoneReason,omitempty"`
	RestorableUntil *time.Time      `json:"restorableUntil,omitempty"`
	Labels          json.RawMessage `json:"labels"`
	// Quarantine is the version's quarantine status, when it was ever held.
	Quarantine string `json:"quarantine,omitempty"`
}

func toVersionJSON(v catalog.Version) versionJSON {
	out := versionJSON{
		VersionID: v.Row.ID, Repo: v.Package.Repo, Format: v.Package.Format, Namespace: v.Package.Namespace, Name: v.Package.Name,
		Package: v.FullName, Version: v.Row.Version, State: v.Row.State, Entries: []entryJSON{}, Manifest: v.ManifestJSON(),
		CreatedBy: v.Row.CreatedBy, CreatedAt: v.Row.CreatedAt, PublishedBy: v.Row.PublishedBy,
		PublishedAt: v.Row.PublishedAt, TombstonedAt: v.Row.TombstonedAt, TombstonedBy: v.Row.TombstonedBy,
		TombstoneReason: v.Row.TombstoneReason, RestorableUntil: v.RestorableUntil, Labels: json.RawMessage(v.Row.Labels),
		Quarantine: v.Row.Quarantine,
	}
	if len(out.Labels) == 0 {
		out.Labels = json.RawMessage("{}")
	}
	for _, e := range v.Entries {
		out.Entries = append(out.Entries, entryJSON{Path: e.Path, Digest: e.Digest, Size: e.Size, MediaType: e.MediaType})
	}
	return out
}

type draftRequest struct {
	Format    string            `json:"format"`
	Namespace string            `json:"namespace"`
	Name      string            `json:"name"`
	Version   string            `json:"version"`
	Labels    map[string]string `json:"labels"`
}

func (a *API) createDraft(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var req draftRequest
	if err := a.decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Name == "" {
		return fault.BadRequest("name", "required")
	}
	if req.Version == "" {
		return fault.BadRequest("version", "required")
	}
	v, created, err := a.catalog.CreateDraft(r.Context(), p, r.PathValue("key"), catalog.DraftRequest(req))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	w.Header().Set("Location", "/v1/repos/"+r.PathValue("key")+"/packages/versions/"+v.Row.ID)
	writeJSON(w, status, toVersionJSON(v))
	return nil
}

type entriesRequest struct {
	Entries []struct {
		Path      string `json:"path"`
		Digest    string `json:"digest"`
		MediaType string `json:"mediaType"`
	} `json:"entries"`
}

func (a *API) addEntries(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var req entriesRequest
	if err := a.decodeJSON(w, r, &req); err != nil {
		return err
	}
	entries := make([]catalog.EntryRequest, 0, len(req.Entries))
	for _, e := range req.Entries {
		entries = append(entries, catalog.EntryRequest(e))
	}
	v, err := a.catalog.AddEntries(r.Context(), p, r.PathValue("key"), r.PathValue("versionId"), entries)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toVersionJSON(v))
	return nil
}

func (a *API) putManifest(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var raw json.RawMessage
	if err := a.decodeJSON(w, r, &raw); err != nil {
		return err
	}
	v, err := a.catalog.PutManifest(r.Context(), p, r.PathValue("key"), r.PathValue("versionId"), raw)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toVersionJSON(v))
	return nil
}

func (a *API) getManifest(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	m, err := a.catalog.Manifest(r.Context(), p, r.PathValue("key"), r.PathValue("versionId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (a *API) publishVersion(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	res, err := a.catalog.Publish(r.Context(), p, r.PathValue("key"), r.PathValue("versionId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toPublishJSON(res))
	return nil
}

// deleteVersion tombstones a published version (admin) or discards a
// draft (write): 200 with the tombstoned version, 204 for a discarded draft.
func (a *API) deleteVersion(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	res, err := a.catalog.Delete(r.Context(), p, r.PathValue("key"), r.PathValue("versionId"), r.URL.Query().Get("reason"))
	if err != nil {
		return err
	}
	if res.Discarded {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	writeJSON(w, http.StatusOK, idempotentVersionJSON{versionJSON: toVersionJSON(res.Version), Idempotent: res.Idempotent})
	return nil
}

// restoreVersion brings a tombstoned version back within the retention
// window (admin).
func (a *API) restoreVersion(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	v, idempotent, err := a.catalog.Restore(r.Context(), p, r.PathValue("key"), r.PathValue("versionId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, idempotentVersionJSON{versionJSON: toVersionJSON(v), Idempotent: idempotent})
	return nil
}

// idempotentVersionJSON is a version after a state change, saying whether
// the change had been made already (nothing changed, no event).
type idempotentVersionJSON struct {
	versionJSON
	Idempotent bool `json:"idempotent"`
}

type promoteRequest struct {
	TargetRepo string `json:"targetRepo"`
}

func (a *API) promoteVersion(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var req promoteRequest
	if err := a.decodeJSON(w, r, &req); err != nil {
		return err
	}
	res, err := a.catalog.Promote(r.Context(), p, r.PathValue("key"), r.PathValue("versionId"), req.TargetRepo)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toPublishJSON(res))
	return nil
}

// publishJSON is a published (or promoted) version, with its place in the
// quarantine lane when a policy holds it.
type publishJSON struct {
	versionJSON
	Idempotent       bool   `json:"idempotent"`
	QuarantineID     string `json:"quarantineId,omitempty"`
	QuarantineReason string `json:"quarantineReason,omitempty"`
}

func toPublishJSON(res catalog.PublishResult) publishJSON {
	out := publishJSON{versionJSON: toVersionJSON(res.Version), Idempotent: res.Idempotent}
	if q := res.Quarantine; q != nil {
		out.QuarantineID, out.QuarantineReason = q.ID, q.Reason
	}
	return out
}

func (a *API) getVersionByID(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	v, err := a.catalog.GetByID(r.Context(), p, r.PathValue("key"), r.PathValue("versionId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toVersionJSON(v))
	return nil
}

func (a *API) getVersion(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	v, err := a.catalog.Get(r.Context(), p, r.PathValue("key"), r.PathValue("name"), r.PathValue("version"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toVersionJSON(v))
	return nil
}

type versionSummary struct {
	VersionID   string     `json:"versionId"`
	Version     string     `json:"version"`
	State       string     `json:"state"`
	PublishedAt *time.Time `json:"publishedAt,omitempty"`
}

func (a *API) listVersions(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	pkg, full, vs, err := a.catalog.Versions(r.Context(), p, r.PathValue("key"), r.PathValue("name"))
	if err != nil {
		return err
	}
	items := make([]versionSummary, 0, len(vs))
	for _, v := range vs {
		items = append(items, versionSummary{VersionID: v.ID, Version: v.Version, State: v.State, PublishedAt: v.PublishedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"package": full, "namespace": pkg.Namespace, "name": pkg.Name, "items": items})
	return nil
}

type packageJSON struct {
	Package   string    `json:"package"`
	Namespace string    `json:"namespace,omitempty"`
	Name      string    `json:"name"`
	Format    string    `json:"format"`
	CreatedAt time.Time `json:"createdAt"`
}

func (a *API) listPackages(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	q := r.URL.Query()
	limit, err := queryLimit(q, 100, 1000)
	if err != nil {
		return err
	}
	list, err := a.catalog.Packages(r.Context(), p, r.PathValue("key"), catalog.ListOptions{
		Namespace: q.Get("namespace"), Query: q.Get("q"), Limit: limit, Cursor: q.Get("cursor"),
	})
	if err != nil {
		return err
	}
	items := make([]packageJSON, 0, len(list.Packages))
	for i, pk := range list.Packages {
		items = append(items, packageJSON{Package: list.FullNames[i], Namespace: pk.Namespace, Name: pk.Name, Format: pk.Format, CreatedAt: pk.CreatedAt})
	}
	resp := map[string]any{"items": items}
	if list.NextCursor != "" {
		resp["nextCursor"] = list.NextCursor
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// getFile serves a file of a published version, with ranges.
func (a *API) getFile(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	f, err := a.catalog.File(r.Context(), p, r.PathValue("key"), r.PathValue("name"), r.PathValue("version"), r.PathValue("path"))
	if err != nil {
		return err
	}
	l := meta.BlobLink{Blob: meta.Blob{Digest: f.Entry.Digest, Size: f.Entry.Size}, Repo: f.Repo.Key}
	if f.Version.Row.PublishedAt != nil {
		l.LinkedAt = *f.Version.Row.PublishedAt
	}
	contentType := f.Entry.MediaType
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	return blobhttp.Serve(w, r, a.transfer.Store(), l, f.Repo.Settings.RedirectDownloads, contentType)
}

type tagJSON struct {
	Tag       string    `json:"tag"`
	Version   string    `json:"version"`
	VersionID string    `json:"versionId"`
	UpdatedBy string    `json:"updatedBy"`
	UpdatedAt time.Time `json:"updatedAt"`
}

func toTagJSON(t meta.Tag) tagJSON {
	return tagJSON{Tag: t.Name, Version: t.Version, VersionID: t.VersionID, UpdatedBy: t.UpdatedBy, UpdatedAt: t.UpdatedAt}
}

func (a *API) putTag(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var req struct {
		Version string `json:"version"`
	}
	if err := a.decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Version == "" {
		return fault.BadRequest("version", "required")
	}
	t, prev, err := a.catalog.PutTag(r.Context(), p, r.PathValue("key"), r.PathValue("name"), r.PathValue("tag"), req.Version)
	if err != nil {
		return err
	}
	out := struct {
		tagJSON
		Previous string `json:"previous,omitempty"`
	}{toTagJSON(t), prev}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// putDeprecation sets or clears (message "") a published version's
// deprecation notice: npm shows it on install, PyPI pages mark the release
// yanked (PEP 592) with it as the reason.
func (a *API) putDeprecation(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var req struct {
		Message *string `json:"message"`
	}
	if err := a.decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Message == nil {
		return fault.BadRequest("message", "required; \"\" clears the notice")
	}
	version := r.PathValue("version")
	changed, err := a.catalog.Deprecate(r.Context(), p, r.PathValue("key"), r.PathValue("name"), map[string]string{version: *req.Message})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"version": version, "message": *req.Message, "changed": changed > 0})
	return nil
}

func (a *API) deleteTag(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if err := a.catalog.DeleteTag(r.Context(), p, r.PathValue("key"), r.PathValue("name"), r.PathValue("tag")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) getTag(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	t, err := a.catalog.Tag(r.Context(), p, r.PathValue("key"), r.PathValue("name"), r.PathValue("tag"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toTagJSON(t))
	return nil
}

func (a *API) listTags(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	ts, err := a.catalog.Tags(r.Context(), p, r.PathValue("key"), r.PathValue("name"))
	if err != nil {
		return err
	}
	items := make([]tagJSON, 0, len(ts))
	for _, t := range ts {
		items = append(items, toTagJSON(t))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}
