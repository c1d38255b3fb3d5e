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
	names, err := h.tagNames(req)
	if err != nil {
		return err
	}
	return writeTags(w, req, names)
}

// tagNames are the tags of req's image in a local repository, in no
// particular order, without those of versions that cannot be pulled
// (deleted, or held by the quarantine lane).
func (h *Handler) tagNames(req *request) ([]string, error) {
	ctx := req.Context()
	tags, err := h.catalog.VisibleTags(ctx, req.Caller, req.Repo.Key, req.Image)
	if fe := fault.As(err); fe != nil && fe.Kind == fault.KindNotFound {
		return nil, fault.Coded(fault.KindNotFound, codeNameUnknown, "%s has no image %q", req.Repo.Key, req.Image)
	}
	if err != nil {
		return nil, err
	}
	names := make([]string, len(tags))
	for i, t := range tags {
		names[i] = t.Name
	}
	return names, nil
}

// writeTags answers tags/list with names: sorted, deduplicated, the page
// n and last ask for, and a Link to the next page.
func writeTags(w http.ResponseWriter, req *request, names []string) error {
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
	slices.Sort(names)
	names = slices.Compact(names)
	page := make([]string, 0, min(len(names), n))
	for _, name := range names {
		if name > last {
			page = append(page, name)
		}
	}
	if len(page) > n {
		page = page[:n]
		next := url.Values{"n": {strconv.Itoa(n)}, "last": {page[len(page)-1]}}
		w.Header().Set("Link", "<"+Prefix+req.Name+"/tags/list?"+next.Encode()+`>; rel="next"`)
	}
	return writeJSON(w, "application/json", tagList{Name: req.Name, Tags: page})
}

// tagList is the tags/list document.
type tagList struct {
	Name string   `json:"name"`
	Tags []string `json:"tags"`
}
