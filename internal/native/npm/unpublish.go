package npm

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/native"
)

// npm unpublish, as the npm client drives it:
//
//   - one version of several: GET {pkg}?write=true, PUT {pkg}/-rev/{rev}
//     with the packument minus that version (and dist-tags fixed up), then
//     DELETE {pkg}/-/{tarball}/-rev/{rev};
//   - a whole package (or its only version): DELETE {pkg}/-rev/{rev}.
//
// Every removed version is tombstoned (catalog.Delete: role admin on the
// repository, restorable within the retention window), never erased. The
// revision is not checked: the catalog serializes changes itself.

// maxUnpublishBody bounds the packument a PUT {pkg}/-rev/{rev} sends back.
const maxUnpublishBody = 32 << 20

// unpublishReason is the tombstone reason of versions npm unpublished.
const unpublishReason = "npm unpublish"

// unpublishVersions answers PUT {pkg}/-rev/{rev}: the versions the body no
// longer lists are tombstoned and its dist-tags are applied.
func (h *Handler) unpublishVersions(w http.ResponseWriter, req *native.Request, name string) error {
	var body struct {
		Versions map[string]json.RawMessage `json:"versions"`
		DistTags map[string]string          `json:"dist-tags"`
	}
	limited := &io.LimitedReader{R: req.Body, N: maxUnpublishBody + 1}
	if err := json.NewDecoder(limited).Decode(&body); err != nil {
		if limited.N <= 0 {
			return fault.TooLarge("the package document is larger than %d bytes", maxUnpublishBody)
		}
		return fault.BadRequest("body", "want the package document as JSON: %v", err)
	}
	if body.Versions == nil {
		// A body without versions would unpublish everything: that is
		// DELETE {pkg}/-rev/{rev}, which npm sends for it.
		return fault.BadRequest("versions", "the package document lists no versions")
	}
	for tag, version := range body.DistTags {
		if _, kept := body.Versions[version]; !kept {
			return fault.BadRequest("dist-tags", "tag %q points at %q, which the document does not list", tag, version)
		}
	}
	ctx := req.Context()
	_, full, versions, err := h.catalog.Versions(ctx, req.Caller, req.Repo.Key, name)
	if err != nil {
		return err
	}
	for _, v := range versions {
		if _, kept := body.Versions[v.Version]; kept || v.State != meta.VersionPublished {
			continue
		}
		if _, err := h.catalog.Delete(ctx, req.Caller, req.Repo.Key, v.ID, unpublishReason); err != nil {
			return err
		}
	}
	if err := h.applyDistTags(req, full, body.DistTags); err != nil {
		return err
	}
	native.WriteJSON(w, http.StatusCreated, map[string]any{"ok": true})
	return nil
}

// applyDistTags makes the package's tags what the client sent: tags that
// moved are pointed at their version, tags left out are deleted.
func (h *Handler) applyDistTags(req *native.Request, full string, want map[string]string) error {
	ctx := req.Context()
	tags, err := h.catalog.Tags(ctx, req.Caller, req.Repo.Key, full)
	if err != nil {
		return err
	}
	have := map[string]string{}
	for _, t := range tags {
		have[t.Name] = t.Version
		if _, kept := want[t.Name]; !kept {
			if err := h.catalog.DeleteTag(ctx, req.Caller, req.Repo.Key, full, t.Name); err != nil {
				return err
			}
		}
	}
	for tag, version := range want {
		if have[tag] == version {
			continue
		}
		if _, _, err := h.catalog.PutTag(ctx, req.Caller, req.Repo.Key, full, tag, version); err != nil {
			return err
		}
	}
	return nil
}

// unpublishPackage answers DELETE {pkg}/-rev/{rev}: every published
// version is tombstoned (versions the quarantine lane holds stay there).
func (h *Handler) unpublishPackage(w http.ResponseWriter, req *native.Request, name string) error {
	ctx := req.Context()
	_, _, versions, err := h.catalog.Versions(ctx, req.Caller, req.Repo.Key, name)
	if err != nil {
		return err
	}
	for _, v := range versions {
		if v.State != meta.VersionPublished {
			continue
		}
		if _, err := h.catalog.Delete(ctx, req.Caller, req.Repo.Key, v.ID, unpublishReason); err != nil {
			return err
		}
	}
	native.WriteJSON(w, http.StatusOK, map[string]any{"ok": true})
	return nil
}

// deleteTarball answers DELETE {pkg}/-/{file}/-rev/{rev}, the last step of
// unpublishing one version: its version is tombstoned if the PUT before did
// not already.
func (h *Handler) deleteTarball(w http.ResponseWriter, req *native.Request, name, escapedFile string) error {
	file, err := url.PathUnescape(escapedFile)
	if err != nil {
		return fault.BadRequest("path", "invalid escape in %q", escapedFile)
	}
	ctx := req.Context()
	_, full, versions, err := h.catalog.Versions(ctx, req.Caller, req.Repo.Key, name)
	if err != nil {
		return err
	}
	for _, v := range versions {
		if tarballName(full, v.Version) != file {
			continue
		}
		if v.State == meta.VersionPublished {
			if _, err := h.catalog.Delete(ctx, req.Caller, req.Repo.Key, v.ID, unpublishReason); err != nil {
				return err
			}
		}
		native.WriteJSON(w, http.StatusOK, map[string]any{"ok": true})
		return nil
	}
	return fault.Coded(fault.KindNotFound, "file_not_found", "%s has no tarball %q", full, strings.TrimSpace(file))
}
