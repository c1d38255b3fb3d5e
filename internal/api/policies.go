package api

import (
	"net/http"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/catalog"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/policy"
)

type policyJSON struct {
	Name       string    `json:"name"`
	Repo       string    `json:"repo,omitempty"` // empty for a global policy
	Expression string    `json:"expression"`
	Action     string    `json:"action"`
	Message    string    `json:"message"`
	OnError    string    `json:"onError"`
	CreatedBy  string    `json:"createdBy"`
	CreatedAt  time.Time `json:"createdAt"`
	UpdatedBy  string    `json:"updatedBy"`
	UpdatedAt  time.Time `json:"updatedAt"`
}

func toPolicyJSON(p meta.PolicyRow) policyJSON {
	return policyJSON{Name: p.Name, Repo: p.Repo, Expression: p.Expression, Action: p.Action, Message: p.Message, OnError: p.OnError,
		CreatedBy: p.CreatedBy, CreatedAt: p.CreatedAt, UpdatedBy: p.UpdatedBy, UpdatedAt: p.UpdatedAt}
}

type policyRequest struct {
	Name       string `json:"name"`
	Expression string `json:"expression"`
	Action     string `json:"action"`
	Message    string `json:"message"`
	OnError    string `json:"onError"`
}

// The policy handlers serve both scopes: /v1/policies (global, no {key})
// and /v1/repos/{key}/policies.

func (a *API) createPolicy(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var req policyRequest
	if err := a.decodeJSON(w, r, &req); err != nil {
		return err
	}
	row, _, err := a.catalog.PutPolicy(r.Context(), p, r.PathValue("key"), catalog.PolicyRequest(req), true)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toPolicyJSON(row))
	return nil
}

func (a *API) putPolicy(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var req policyRequest
	if err := a.decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Name != "" && req.Name != r.PathValue("name") {
		return fault.BadRequest("name", "differs from the name in the path")
	}
	req.Name = r.PathValue("name")
	row, created, err := a.catalog.PutPolicy(r.Context(), p, r.PathValue("key"), catalog.PolicyRequest(req), false)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, toPolicyJSON(row))
	return nil
}

func (a *API) getPolicy(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	row, err := a.catalog.Policy(r.Context(), p, r.PathValue("key"), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toPolicyJSON(row))
	return nil
}

func (a *API) listPolicies(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	rows, err := a.catalog.Policies(r.Context(), p, r.PathValue("key"), r.URL.Query().Get("effective") == "true")
	if err != nil {
		return err
	}
	items := make([]policyJSON, 0, len(rows))
	for _, row := range rows {
		items = append(items, toPolicyJSON(row))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (a *API) deletePolicy(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if err := a.catalog.DeletePolicy(r.Context(), p, r.PathValue("key"), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type dryRunRequest struct {
	Repo      string `json:"repo"` // the version's repository; for global policies only
	VersionID string `json:"versionId"`
}

type evaluationJSON struct {
	Policy     string    `json:"policy"`
	Stage      string    `json:"stage"`
	Decision   string    `json:"decision"`
	Passed     bool      `json:"passed"`
	Message    string    `json:"message,omitempty"`
	Error      string    `json:"error,omitempty"`
	DurationMS float64   `json:"durationMs"`
	Actor      string    `json:"actor,omitempty"`
	At         time.Time `json:"at"`
}

func (a *API) dryRunPolicy(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var req dryRunRequest
	if err := a.decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.VersionID == "" {
		return fault.BadRequest("versionId", "required")
	}
	scope, target := r.PathValue("key"), r.PathValue("key")
	if scope == "" {
		if req.Repo == "" {
			return fault.BadRequest("repo", "required: the repository of the version")
		}
		target = req.Repo
	} else if req.Repo != "" && req.Repo != scope {
		return fault.BadRequest("repo", "differs from the repository in the path")
	}
	at := time.Now().UTC().Truncate(time.Microsecond)
	ev, err := a.catalog.DryRun(r.Context(), p, scope, r.PathValue("name"), target, req.VersionID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, evaluationJSON{Policy: ev.Policy, Stage: policy.StageDryRun, Decision: ev.Decision, Passed: ev.Passed,
		Message: ev.Message, Error: ev.Error, DurationMS: float64(ev.Duration.Microseconds()) / 1000, At: at})
	return nil
}

func (a *API) listEvaluations(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	evs, err := a.catalog.Evaluations(r.Context(), p, r.PathValue("key"), r.PathValue("versionId"))
	if err != nil {
		return err
	}
	items := make([]evaluationJSON, 0, len(evs))
	for _, e := range evs {
		items = append(items, evaluationJSON{Policy: e.Policy, Stage: e.Stage, Decision: e.Decision, Passed: e.Passed, Message: e.Message,
			Error: e.Error, DurationMS: float64(e.Duration.Microseconds()) / 1000, Actor: e.Actor, At: e.CreatedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}
