package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/repo"
)

type repoJSON struct {
	Key         string        `json:"key"`
	Type        string        `json:"type"`
	Format      string        `json:"format"`
	Description string        `json:"description"`
	UpstreamURL string        `json:"upstreamUrl"`
	Members     []string      `json:"members"`
	Settings    repo.Settings `json:"settings"`
	CreatedAt   time.Time     `json:"createdAt"`
	UpdatedAt   time.Time     `json:"updatedAt"`
}

func toRepoJSON(r repo.Repo) repoJSON {
	return repoJSON{Key: r.Key, Type: r.Type, Format: r.Format, Description: r.Description, UpstreamURL: r.UpstreamURL,
		Members: r.Members, Settings: r.Settings, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

type createRepoRequest struct {
	Key         string         `json:"key"`
	Type        string         `json:"type"`
	Format      string         `json:"format"`
	Description string         `json:"description"`
	UpstreamURL string         `json:"upstreamUrl"`
	Members     []string       `json:"members"`
	Settings    *repo.Settings `json:"settings"`
}

func (a *API) createRepo(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var req createRepoRequest
	if err := a.decodeJSON(w, r, &req); err != nil {
		return err
	}
	cr := repo.CreateRequest{
		Key: req.Key, Type: req.Type, Format: req.Format, Description: req.Description,
		UpstreamURL: req.UpstreamURL, Members: req.Members,
	}
	if req.Settings != nil {
		cr.Settings = *req.Settings
	}
	created, err := a.repos.Create(r.Context(), p, cr)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toRepoJSON(created))
	return nil
}

func (a *API) listRepos(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	q := r.URL.Query()
	repos, err := a.repos.List(r.Context(), p, repo.ListFilter{Type: q.Get("type"), Format: q.Get("format")})
	if err != nil {
		return err
	}
	items := make([]repoJSON, 0, len(repos))
	for _, rp := range repos {
		items = append(items, toRepoJSON(rp))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (a *API) getRepo(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	rp, err := a.repos.Get(r.Context(), p, r.PathValue("key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toRepoJSON(rp))
	return nil
}

// updateRepoRequest lists the fixed fields too, to say they cannot change
// rather than calling them unknown.
type updateRepoRequest struct {
	Key         *string         `json:"key"`
	Type        *string         `json:"type"`
	Format      *string         `json:"format"`
	Description *string         `json:"description"`
	UpstreamURL *string         `json:"upstreamUrl"`
	Members     *[]string       `json:"members"`
	Settings    json.RawMessage `json:"settings"`
}

func (a *API) updateRepo(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var req updateRepoRequest
	if err := a.decodeJSON(w, r, &req); err != nil {
		return err
	}
	for name, v := range map[string]*string{"key": req.Key, "type": req.Type, "format": req.Format} {
		if v != nil {
			return fault.BadRequest(name, "cannot be changed; create a new repository instead")
		}
	}
	if string(req.Settings) == "null" {
		return fault.BadRequest("settings", "want an object")
	}
	updated, err := a.repos.Update(r.Context(), p, r.PathValue("key"), repo.UpdateRequest{
		Description: req.Description, UpstreamURL: req.UpstreamURL, Members: req.Members, Settings: req.Settings,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toRepoJSON(updated))
	return nil
}

func (a *API) deleteRepo(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	force, err := boolParam(r.URL.Query().Get("force"), "force")
	if err != nil {
		return err
	}
	if err := a.repos.Delete(r.Context(), p, r.PathValue("key"), force); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
