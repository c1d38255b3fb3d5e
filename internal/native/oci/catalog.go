package oci

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/artifortress/artifortress/internal/catalog"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/repo"
)

// maxCatalogNames bounds the names _catalog gathers for one answer.
const maxCatalogNames = 100000

// listCatalog answers GET /v2/_catalog[?n=&last=]: the names
// ("{repository}/{image}") the caller can read in local repositories and
// through virtual ones, byte-ordered, n and last paging as for tags.
// Remote repositories list what they cached. Anonymous callers get 401:
// the catalog is for people who may browse.
func (h *Handler) listCatalog(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return fault.Coded(fault.KindMethodNotAllowed, codeUnsupported, "%s is not allowed on /v2/_catalog", r.Method)
	}
	cred, err := h.authenticate(r)
	if err != nil {
		return err
	}
	if cred.caller == nil {
		return fault.Unauthorized("listing the catalog needs a token")
	}
	ctx := r.Context()
	repos, err := h.repos.List(ctx, cred.caller, repo.ListFilter{Format: format})
	if err != nil {
		return err
	}
	images := map[string][]string{} // repository → its images
	for _, rp := range repos {
		if rp.Type == repo.TypeVirtual {
			continue
		}
		if images[rp.Key], err = h.images(r, cred, rp.Key); err != nil {
			return err
		}
	}
	var names []string
	for _, rp := range repos {
		keys := []string{rp.Key}
		if rp.Type == repo.TypeVirtual {
			keys = rp.Members
		}
		for _, k := range keys {
			for _, img := range images[k] {
				names = append(names, rp.Key+"/"+img)
			}
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	q := r.URL.Query()
	n := len(names)
	if s := q.Get("n"); s != "" {
		if n, err = strconv.Atoi(s); err != nil || n < 0 {
			return fault.Coded(fault.KindBadRequest, codeUnsupported, "n must be a whole number, not %q", abbreviate(s))
		}
	}
	last := q.Get("last")
	page := []string{}
	for _, name := range names {
		if name > last {
			page = append(page, name)
		}
	}
	if len(page) > n {
		page = page[:n]
		next := url.Values{"n": {strconv.Itoa(n)}, "last": {page[len(page)-1]}}
		w.Header().Set("Link", "<"+Prefix+"_catalog?"+next.Encode()+`>; rel="next"`)
	}
	return writeJSON(w, "application/json", map[string][]string{"repositories": page})
}

// images lists the images (packages with a visible version) of
// repository key the caller can read.
func (h *Handler) images(r *http.Request, cred credential, key string) ([]string, error) {
	var out []string
	cursor := ""
	for len(out) < maxCatalogNames {
		list, err := h.catalog.Packages(r.Context(), cred.caller, key, catalog.ListOptions{Limit: 1000, Cursor: cursor})
		if err != nil {
			return nil, err
		}
		out = append(out, list.FullNames...)
		if cursor = list.NextCursor; cursor == "" {
			break
		}
	}
	return out, nil
}
