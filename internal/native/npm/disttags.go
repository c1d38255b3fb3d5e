package npm

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"

	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/native"
)

// distTags serves -/package/{pkg}/dist-tags[/{tag}]: GET lists them (of
// visible versions), PUT points a tag at a version (the body is the
// version as a JSON string), DELETE removes a tag.
func (h *Handler) distTags(w http.ResponseWriter, req *native.Request, segs []string) error {
	name, rest, err := packageName(segs)
	if err != nil {
		return err
	}
	if len(rest) == 0 || rest[0] != "dist-tags" || len(rest) > 2 {
		return fault.Coded(fault.KindNotFound, "npm_endpoint_not_served", "/%s is not served by this registry", req.Path)
	}
	ctx := req.Context()
	if len(rest) == 1 {
		if req.Method != http.MethodGet {
			return fault.Coded(fault.KindMethodNotAllowed, "method_not_allowed", "%s is not allowed on dist-tags", req.Method)
		}
		_, full, versions, err := h.catalog.Versions(ctx, req.Caller, req.Repo.Key, name)
		if err != nil {
			return err
		}
		visible := map[string]bool{}
		for _, v := range versions {
			visible[v.Version] = v.Offered()
		}
		tags, err := h.catalog.Tags(ctx, req.Caller, req.Repo.Key, full)
		if err != nil {
			return err
		}
		out := map[string]string{}
		for _, t := range tags {
			if visible[t.Version] {
				out[t.Name] = t.Version
			}
		}
		native.WriteJSON(w, http.StatusOK, out)
		return nil
	}
	tag, err := url.PathUnescape(rest[1])
	if err != nil {
		return fault.BadRequest("tag", "invalid escape")
	}
	switch req.Method {
	case http.MethodPut, http.MethodPost:
		raw, err := io.ReadAll(io.LimitReader(req.Body, 1024))
		if err != nil {
			return err
		}
		var version string
		if err := json.Unmarshal(raw, &version); err != nil {
			return fault.BadRequest("version", "want the version as a JSON string")
		}
		if _, _, err := h.catalog.PutTag(ctx, req.Caller, req.Repo.Key, name, tag, version); err != nil {
			return err
		}
	case http.MethodDelete:
		if err := h.catalog.DeleteTag(ctx, req.Caller, req.Repo.Key, name, tag); err != nil {
			return err
		}
	default:
		return fault.Coded(fault.KindMethodNotAllowed, "method_not_allowed", "%s is not allowed on a dist-tag", req.Method)
	}
	native.WriteJSON(w, http.StatusCreated, map[string]any{"ok": true})
	return nil
}
