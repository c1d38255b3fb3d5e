package api

import (
	"log/slog"
	"net/http"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/repo"
)

// API serves /v1.
type API struct {
	auth         *auth.Service
	repos        *repo.Service
	db           *meta.DB
	log          *slog.Logger
	maxBodyBytes int64
}

// Deps are what the API needs.
type Deps struct {
	Auth         *auth.Service
	Repos        *repo.Service
	DB           *meta.DB
	Log          *slog.Logger
	MaxBodyBytes int64 // limit on JSON request bodies
}

// New returns the /v1 API.
func New(d Deps) *API {
	return &API{auth: d.Auth, repos: d.Repos, db: d.DB, log: d.Log, maxBodyBytes: d.MaxBodyBytes}
}

// handlerFunc is an authenticated /v1 handler: p is never nil.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p *auth.Principal) error

type route struct {
	method, pattern string
	h               handlerFunc
}

// Route names one /v1 endpoint.
type Route struct {
	Method  string
	Pattern string // http.ServeMux pattern path, e.g. /v1/repos/{key}
}

func (a *API) routes() []route {
	return []route{
		{"GET", "/v1/auth/whoami", a.whoami},
		{"POST", "/v1/auth/pats", a.issueToken},
		{"POST", "/v1/auth/pats/revoke", a.revokeTokens},
		{"GET", "/v1/admin/auth/pats", a.listTokens},
		{"POST", "/v1/repos", a.createRepo},
		{"GET", "/v1/repos", a.listRepos},
		{"GET", "/v1/repos/{key}", a.getRepo},
		{"PATCH", "/v1/repos/{key}", a.updateRepo},
		{"DELETE", "/v1/repos/{key}", a.deleteRepo},
		{"GET", "/v1/repos/{key}/bindings", a.listBindings},
		{"PUT", "/v1/repos/{key}/bindings/{subject}", a.putBinding},
		{"DELETE", "/v1/repos/{key}/bindings/{subject}", a.deleteBinding},
		{"GET", "/v1/audit", a.listAudit},
		{"GET", "/v1/audit/export", a.exportAudit},
	}
}

// Routes lists every /v1 endpoint.
func (a *API) Routes() []Route {
	var out []Route
	for _, rt := range a.routes() {
		out = append(out, Route{Method: rt.method, Pattern: rt.pattern})
	}
	return out
}

// Register adds every /v1 route to mux, plus a JSON 404 for unknown /v1 paths.
func (a *API) Register(mux *http.ServeMux) {
	for _, rt := range a.routes() {
		mux.Handle(rt.method+" "+rt.pattern, a.authenticated(rt.h))
	}
	mux.Handle("/v1/", a.adapt(func(w http.ResponseWriter, r *http.Request) error {
		return errNoRoute(r)
	}))
}
