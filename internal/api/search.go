package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/search"
)

type hitJSON struct {
	Repo        string    `json:"repo"`
	Format      string    `json:"format"`
	Package     string    `json:"package"`
	Namespace   string    `json:"namespace,omitempty"`
	Name        string    `json:"name"`
	Version     string    `json:"version"`
	VersionID   string    `json:"versionId"`
	PublishedAt time.Time `json:"publishedAt"`
	PublishedBy string    `json:"publishedBy"`
	Description string    `json:"description,omitempty"`
	Score       int       `json:"score"`
}

func (a *API) runSearch(w http.ResponseWriter, r *http.Request, p *auth.Principal, repoKey string) error {
	q := r.URL.Query()
	query := search.Query{Text: q.Get("q"), Repo: repoKey, Format: q.Get("format"), Cursor: q.Get("cursor")}
	if repoKey == "" {
		query.Repo = q.Get("repo")
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fault.BadRequest("limit", "want a whole number")
		}
		query.Limit = n
	}
	res, err := a.search.Search(r.Context(), p, query)
	if err != nil {
		return err
	}
	items := make([]hitJSON, 0, len(res.Hits))
	for _, h := range res.Hits {
		items = append(items, hitJSON(h))
	}
	out := map[string]any{"items": items}
	if res.NextCursor != "" {
		out["nextCursor"] = res.NextCursor
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) searchAll(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return a.runSearch(w, r, p, "")
}

// searchRepo searches one repository (anonymous callers too, where it
// allows anonymous reads); Search checks the caller's access to it.
func (a *API) searchRepo(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return a.runSearch(w, r, p, r.PathValue("key"))
}

func requireAdmin(p *auth.Principal, what string) error {
	if !p.IsAdmin() {
		return fault.Forbidden("%s needs the global admin scope", what)
	}
	return nil
}

func (a *API) searchStatus(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if err := requireAdmin(p, "the search status"); err != nil {
		return err
	}
	st, err := a.search.Status(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, statusJSON(st))
	return nil
}

func (a *API) searchControl(w http.ResponseWriter, r *http.Request, p *auth.Principal, what string, op func(*http.Request) (search.Status, error)) error {
	if err := requireAdmin(p, what); err != nil {
		return err
	}
	st, err := op(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, statusJSON(st))
	return nil
}

func (a *API) searchRebuild(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return a.searchControl(w, r, p, "rebuilding the search index", func(r *http.Request) (search.Status, error) { return a.search.StartRebuild(r.Context()) })
}

func (a *API) searchPause(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return a.searchControl(w, r, p, "pausing the search rebuild", func(r *http.Request) (search.Status, error) { return a.search.Pause(r.Context()) })
}

func (a *API) searchResume(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return a.searchControl(w, r, p, "resuming the search rebuild", func(r *http.Request) (search.Status, error) { return a.search.Resume(r.Context()) })
}

func statusJSON(st search.Status) map[string]any {
	return map[string]any{
		"state": st.State, "healthy": st.Healthy, "problem": st.Problem, "rows": st.Rows,
		"indexed": st.Indexed, "total": st.Total,
		"startedAt": st.StartedAt, "updatedAt": st.UpdatedAt, "finishedAt": st.FinishedAt,
		"lag": map[string]any{
			"newestEventId": st.Lag.NewestEventID, "newestEventAt": st.Lag.NewestEventAt,
			"indexedEventId": st.Lag.IndexedEventID, "indexedEventAt": st.Lag.IndexedEventAt,
			"events": st.Lag.Events, "behindSeconds": st.Lag.Behind.Seconds(),
		},
	}
}
