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
	// public routes run without a token (they authorize otherwise, e.g. by
	// a signature in the URL); their handler gets a nil principal.
	public bool
}

// Route names one /v1 endpoint.
type Route struct {
	Method  string
	Pattern string // http.ServeMux pattern path, e.g. /v1/repos/{key}
}

func (a *API) routes() []route {
	return []route{
		{"GET", "/v1/auth/whoami", a.whoami, false},
		{"POST", "/v1/auth/pats", a.issueToken, false},
		{"POST", "/v1/auth/pats/revoke", a.revokeTokens, false},
		{"GET", "/v1/admin/auth/pats", a.listTokens, false},
		{"POST", "/v1/repos", a.createRepo, false},
		{"GET", "/v1/repos", a.listRepos, false},
		{"GET", "/v1/repos/{key}", a.getRepo, false},
		{"PATCH", "/v1/repos/{key}", a.updateRepo, false},
		{"DELETE", "/v1/repos/{key}", a.deleteRepo, false},
		{"GET", "/v1/repos/{key}/bindings", a.listBindings, false},
		{"PUT", "/v1/repos/{key}/bindings/{subject}", a.putBinding, false},
		{"DELETE", "/v1/repos/{key}/bindings/{subject}", a.deleteBinding, false},
		{"GET", "/v1/audit", a.listAudit, false},
		{"GET", "/v1/audit/export", a.exportAudit, false},
		{"POST", "/v1/repos/{key}/uploads", a.createUpload, false},
		{"GET", "/v1/repos/{key}/uploads/{id}", a.getUpload, false},
		{"PUT", "/v1/repos/{key}/uploads/{id}/parts/{n}", a.putPart, false},
		{"POST", "/v1/repos/{key}/uploads/{id}/parts/{n}/url", a.partURL, false},
		{"POST", "/v1/repos/{key}/uploads/{id}/complete", a.completeUpload, false},
		{"POST", "/v1/repos/{key}/uploads/{id}/commit", a.commitUpload, false},
		{"POST", "/v1/repos/{key}/uploads/{id}/abort", a.abortUpload, false},
		{"PUT", "/v1/uploads/{id}/parts/{n}/direct", a.putPartDirect, true},
		{"PUT", "/v1/repos/{key}/blobs", a.putBlob, false},
		{"GET", "/v1/repos/{key}/blobs/{digest}", a.getBlob, false},
		{"HEAD", "/v1/repos/{key}/blobs/{digest}", a.getBlob, false},
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
		if rt.public {
			h := rt.h
			mux.Handle(rt.method+" "+rt.pattern, a.adapt(func(w http.ResponseWriter, r *http.Request) error { return h(w, r, nil) }))
			continue
		}
		mux.Handle(rt.method+" "+rt.pattern, a.authenticated(rt.h))
	}
	mux.Handle("/v1/", a.adapt(func(w http.ResponseWriter, r *http.Request) error {
		return errNoRoute(r)
	}))
}
