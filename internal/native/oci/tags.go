package oci

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/artifortress/artifortress/internal/fault"
)

// maxTagsPage bounds one page of tags/list.
const maxTagsPage = 1000

// listTags answers GET /v2/<name>/tags/list[?n=&last=]: the image's tags
// in lexical (byte) order, case-sensitive, without those of versions the
// quarantine lane holds; n and last page through them, with a Link header
// to the next page.
func (h *Handler) listTags(w http.ResponseWriter, req *request) error {
	ctx := req.Context()
	q := req.URL.Query()
	n := maxTagsPage
	if s := q.Get("n"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 {
			return fault.Coded(fault.KindBadRequest, codeUnsupported, "n must be a whole number, not %q", abbreviate(s))
		}
		n = min(v, maxTagsPage)
	}
	last := q.Get("last")
	tags, err := h.catalog.Tags(ctx, req.Caller, req.Repo.Key, req.Image)
	if fe := fault.As(err); fe != nil && fe.Kind == fault.KindNotFound {
		return fault.Coded(fault.KindNotFound, codeNameUnknown, "%s has no image %q", req.Repo.Key, req.Image)
	}
	if err != nil {
		return err
	}
	hidden, err := h.catalog.HiddenVersions(ctx, req.Caller, req.Repo.Key, req.Image)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(tags))
	for _, t := range tags {
		if !hidden[t.Version] && (last == "" || t.Name > last) {
			names = append(names, t.Name)
		}
	}
	slices.Sort(names)
	if len(names) > n {
		names = names[:n]
		next := url.Values{"n": {strconv.Itoa(n)}, "last": {names[len(names)-1]}}
		w.Header().Set("Link", "<"+Prefix+req.Name+"/tags/list?"+next.Encode()+`>; rel="next"`)
	}
	return writeJSON(w, "application/json", map[string]any{"name": req.Name, "tags": names})
}
