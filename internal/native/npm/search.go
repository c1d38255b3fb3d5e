package npm

import (
	"net/http"
	"strconv"
	"time"

	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/native"
	"github.com/artifortress/artifortress/internal/search"
)

// maxSearchSize bounds one page of npm search; maxSearchPages bounds the
// index pages one request reads to collect it (the index has a row per
// version, so a deep page of a broad query would otherwise read it all).
const (
	maxSearchSize  = 250
	maxSearchPages = 20
)

// searchPackages answers GET /-/v1/search?text=&size=&from= (npm search)
// from the search index: one object per package, its newest matching
// version, best matches first. Quarantined versions are not found.
func (h *Handler) searchPackages(w http.ResponseWriter, req *native.Request) error {
	if h.search == nil {
		return fault.Coded(fault.KindNotFound, "npm_endpoint_not_served", "search is not served by this registry")
	}
	q := req.URL.Query()
	size, from := 20, 0
	if v := q.Get("size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxSearchSize {
			return fault.BadRequest("size", "want a whole number from 1 to %d", maxSearchSize)
		}
		size = n
	}
	if v := q.Get("from"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 10000 {
			return fault.BadRequest("from", "want a whole number from 0 to 10000")
		}
		from = n
	}
	// Collect distinct packages until the page is full: the index has a
	// row per version, newest first within a score.
	var objects []map[string]any
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; len(objects) < from+size && pages < maxSearchPages; pages++ {
		res, err := h.search.Search(req.Context(), req.Caller, search.Query{
			Text: q.Get("text"), Repo: req.Repo.Key, Format: "npm", Limit: search.MaxLimit, Cursor: cursor,
		})
		if err != nil {
			return err
		}
		for _, hit := range res.Hits {
			if seen[hit.Package] {
				continue
			}
			seen[hit.Package] = true
			objects = append(objects, map[string]any{
				"package": map[string]any{
					"name": hit.Package, "scope": scopeOf(hit.Namespace), "version": hit.Version,
					"description": hit.Description, "date": hit.PublishedAt.UTC().Format(time.RFC3339),
					"publisher": map[string]any{"username": hit.PublishedBy}, "links": map[string]any{},
					"keywords": []string{}, "maintainers": []map[string]any{{"username": hit.PublishedBy}},
				},
				"score":       map[string]any{"final": float64(hit.Score) / 3, "detail": map[string]any{"quality": 1, "popularity": 1, "maintenance": 1}},
				"searchScore": hit.Score,
			})
		}
		if res.NextCursor == "" {
			break
		}
		cursor = res.NextCursor
	}
	total := len(objects)
	page := []map[string]any{}
	if from < len(objects) {
		page = objects[from:min(len(objects), from+size)]
	}
	native.WriteJSON(w, http.StatusOK, map[string]any{"objects": page, "total": total, "time": time.Now().UTC().Format(time.RFC1123)})
	return nil
}

func scopeOf(namespace string) string {
	if namespace == "" {
		return "unscoped"
	}
	return namespace
}
