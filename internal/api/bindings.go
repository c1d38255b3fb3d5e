package api

import (
	"net/http"

	"github.com/artifortress/artifortress/internal/auth"
)

type bindingJSON struct {
	Repo    string   `json:"repo,omitempty"`
	Subject string   `json:"subject"`
	Roles   []string `json:"roles"`
}

func (a *API) listBindings(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	bindings, err := a.repos.Bindings(r.Context(), p, r.PathValue("key"))
	if err != nil {
		return err
	}
	items := make([]bindingJSON, 0, len(bindings))
	for _, b := range bindings {
		items = append(items, bindingJSON{Subject: b.Subject, Roles: b.Roles})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

type putBindingRequest struct {
	Roles []string `json:"roles"`
}

func (a *API) putBinding(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var req putBindingRequest
	if err := a.decodeJSON(w, r, &req); err != nil {
		return err
	}
	b, err := a.repos.PutBinding(r.Context(), p, r.PathValue("key"), r.PathValue("subject"), req.Roles)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, bindingJSON{Repo: b.Repo, Subject: b.Subject, Roles: b.Roles})
	return nil
}

func (a *API) deleteBinding(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if err := a.repos.DeleteBinding(r.Context(), p, r.PathValue("key"), r.PathValue("subject")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
