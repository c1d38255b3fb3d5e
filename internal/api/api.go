package api

import (
	"log/slog"
	"net/http"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/repo"
	"github.com/artifortress/artifortress/internal/transfer"
)

// API serves /v1.
type API struct {
	auth         *auth.Service
	repos        *repo.Service
	transfer     *transfer.Service
	db           *meta.DB
	log          *slog.Logger
	maxBodyBytes int64
}

// Deps are what the API needs.
type Deps struct {
	Auth         *auth.Service
	Repos        *repo.Service
	Transfer     *transfer.Service
	DB           *meta.DB
	Log          *slog.Logger
	MaxBodyBytes int64 // limit on JSON request bodies
}

// New returns the /v1 API.
func New(d Deps) *API {
	return &API{auth: d.Auth, repos: d.Repos, transfer: d.Transfer, db: d.DB, log: d.Log, maxBodyBytes: d.MaxBodyBytes}
}

// handlerFunc is an authenticated /v1 handler: p is never nil.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p *auth.Principal) error

type route struct {
	method, pattern string
	h               handlerFunc
	// access says how the route authenticates.
	access access
}

// access is how a route authenticates its caller.
type access int

const (
	// token: a valid token is required (401 otherwise).
	token access = iota
	// optional: callers without credentials reach the handler as the
	// anonymous (nil) principal, which services authorize (public
	// repositories); bad credentials are still refused.
	optional
	// signed: no token; the handler checks a signature in the URL.
	signed
)

// Route names one /v1 endpoint.
type Route struct {
	Method  string
	Pattern string // http.ServeMux pattern path, e.g. /v1/repos/{key}
}

func (a *API) routes() []route {
	return []route{
		{"GET", "/v1/auth/whoami", a.whoami, token},
		{"POST", "/v1/auth/pats", a.issueToken, token},
		{"POST", "/v1/auth/pats/revoke", a.revokeTokens, token},
		{"GET", "/v1/admin/auth/pats", a.listTokens, token},
		{"POST", "/v1/repos", a.createRepo, token},
		{"GET", "/v1/repos", a.listRepos, token},
		{"GET", "/v1/repos/{key}", a.getRepo, optional},
		{"PATCH", "/v1/repos/{key}", a.updateRepo, token},
		{"DELETE", "/v1/repos/{key}", a.deleteRepo, token},
		{"GET", "/v1/repos/{key}/bindings", a.listBindings, token},
		{"PUT", "/v1/repos/{key}/bindings/{subject}", a.putBinding, token},
		{"DELETE", "/v1/repos/{key}/bindings/{subject}", a.deleteBinding, token},
		{"GET", "/v1/audit", a.listAudit, token},
		{"GET", "/v1/audit/export", a.exportAudit, token},
		{"POST", "/v1/repos/{key}/uploads", a.createUpload, token},
		{"GET", "/v1/repos/{key}/uploads/{id}", a.getUpload, token},
		{"PUT", "/v1/repos/{key}/uploads/{id}/parts/{n}", a.putPart, token},
		{"POST", "/v1/repos/{key}/uploads/{id}/parts/{n}/url", a.partURL, token},
		{"POST", "/v1/repos/{key}/uploads/{id}/complete", a.completeUpload, token},
		{"POST", "/v1/repos/{key}/uploads/{id}/commit", a.commitUpload, token},
		{"POST", "/v1/repos/{key}/uploads/{id}/abort", a.abortUpload, token},
		{"PUT", "/v1/uploads/{id}/parts/{n}/direct", a.putPartDirect, signed},
		{"PUT", "/v1/repos/{key}/blobs", a.putBlob, token},
		{"GET", "/v1/repos/{key}/blobs/{digest}", a.getBlob, optional},
		{"HEAD", "/v1/repos/{key}/blobs/{digest}", a.getBlob, optional},
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
		mux.Handle(rt.method+" "+rt.pattern, a.authenticated(rt.h, rt.access))
	}
	mux.Handle("/v1/", a.adapt(func(w http.ResponseWriter, r *http.Request) error {
		return errNoRoute(r)
	}))
}
