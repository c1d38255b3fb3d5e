package api

import (
	"net/http"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/repo"
)

type credentialsRequest struct {
	Scheme   string `json:"scheme"`
	Username string `json:"username"`
	Secret   string `json:"secret"`
}

// credentialsJSON never carries the secret.
type credentialsJSON struct {
	Repo      string    `json:"repo"`
	Scheme    string    `json:"scheme"`
	Username  string    `json:"username,omitempty"`
	UpdatedBy string    `json:"updatedBy"`
	UpdatedAt time.Time `json:"updatedAt"`
}

func toCredentialsJSON(key string, c repo.CredentialsInfo) credentialsJSON {
	return credentialsJSON{Repo: key, Scheme: c.Scheme, Username: c.Username, UpdatedBy: c.UpdatedBy, UpdatedAt: c.UpdatedAt}
}

func (a *API) putUpstreamCredentials(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var req credentialsRequest
	if err := a.decodeJSON(w, r, &req); err != nil {
		return err
	}
	key := r.PathValue("key")
	c, err := a.repos.SetUpstreamCredentials(r.Context(), p, key, repo.CredentialsRequest{Scheme: req.Scheme, Username: req.Username, Secret: req.Secret})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toCredentialsJSON(key, c))
	return nil
}

func (a *API) getUpstreamCredentials(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	key := r.PathValue("key")
	c, err := a.repos.UpstreamCredentialsInfo(r.Context(), p, key)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toCredentialsJSON(key, c))
	return nil
}

func (a *API) deleteUpstreamCredentials(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if err := a.repos.ClearUpstreamCredentials(r.Context(), p, r.PathValue("key")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
