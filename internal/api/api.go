package api

import (
	"log/slog"
	"net/http"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/catalog"
	"github.com/artifortress/artifortress/internal/events"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/repo"
	"github.com/artifortress/artifortress/internal/search"
	"github.com/artifortress/artifortress/internal/transfer"
	"github.com/artifortress/artifortress/internal/webhook"
)

// API serves /v1.
type API struct {
	auth         *auth.Service
	repos        *repo.Service
	transfer     *transfer.Service
	catalog      *catalog.Service
	search       *search.Service
	webhooks     *webhook.Service
	events       *events.Admin
	db           *meta.DB
	log          *slog.Logger
	maxBodyBytes int64
}

// Deps are what the API needs.
type Deps struct {
	Auth         *auth.Service
	Repos        *repo.Service
	Transfer     *transfer.Service
	Catalog      *catalog.Service
	Search       *search.Service
	Webhooks     *webhook.Service
	Events       *events.Admin
	DB           *meta.DB
	Log          *slog.Logger
	MaxBodyBytes int64 // limit on JSON request bodies
}

// New returns the /v1 API.
func New(d Deps) *API {
	return &API{auth: d.Auth, repos: d.Repos, transfer: d.Transfer, catalog: d.Catalog,
		search: d.Search, webhooks: d.Webhooks, events: d.Events, db: d.DB, log: d.Log, maxBodyBytes: d.MaxBodyBytes}
}

// handlerFunc is an authenticated /v1 handler: p is never nil.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p *auth.Principal) error

type route struct {
	method, pattern string
	h               handlerFunc
	// access says how the route authenticates.
	access access
	// sub routes live under /v1/repos/{key}/packages and are dispatched by
	// routePackages rather than by the mux.
	sub bool
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
		{"GET", "/v1/auth/whoami", a.whoami, token, false},
		{"POST", "/v1/auth/pats", a.issueToken, token, false},
		{"POST", "/v1/auth/pats/revoke", a.revokeTokens, token, false},
		{"GET", "/v1/admin/auth/pats", a.listTokens, token, false},
		{"POST", "/v1/repos", a.createRepo, token, false},
		{"GET", "/v1/repos", a.listRepos, token, false},
		{"GET", "/v1/repos/{key}", a.getRepo, optional, false},
		{"PATCH", "/v1/repos/{key}", a.updateRepo, token, false},
		{"DELETE", "/v1/repos/{key}", a.deleteRepo, token, false},
		{"GET", "/v1/repos/{key}/bindings", a.listBindings, token, false},
		{"PUT", "/v1/repos/{key}/bindings/{subject}", a.putBinding, token, false},
		{"DELETE", "/v1/repos/{key}/bindings/{subject}", a.deleteBinding, token, false},
		{"PUT", "/v1/repos/{key}/upstream-credentials", a.putUpstreamCredentials, token, false},
		{"GET", "/v1/repos/{key}/upstream-credentials", a.getUpstreamCredentials, token, false},
		{"DELETE", "/v1/repos/{key}/upstream-credentials", a.deleteUpstreamCredentials, token, false},
		{"GET", "/v1/audit", a.listAudit, token, false},
		{"GET", "/v1/audit/export", a.exportAudit, token, false},
		{"POST", "/v1/repos/{key}/uploads", a.createUpload, token, false},
		{"GET", "/v1/repos/{key}/uploads/{id}", a.getUpload, token, false},
		{"PUT", "/v1/repos/{key}/uploads/{id}/parts/{n}", a.putPart, token, false},
		{"POST", "/v1/repos/{key}/uploads/{id}/parts/{n}/url", a.partURL, token, false},
		{"POST", "/v1/repos/{key}/uploads/{id}/complete", a.completeUpload, token, false},
		{"POST", "/v1/repos/{key}/uploads/{id}/commit", a.commitUpload, token, false},
		{"POST", "/v1/repos/{key}/uploads/{id}/abort", a.abortUpload, token, false},
		{"PUT", "/v1/uploads/{id}/parts/{n}/direct", a.putPartDirect, signed, false},
		{"PUT", "/v1/repos/{key}/blobs", a.putBlob, token, false},
		{"GET", "/v1/repos/{key}/blobs/{digest}", a.getBlob, optional, false},
		{"HEAD", "/v1/repos/{key}/blobs/{digest}", a.getBlob, optional, false},
		{"GET", "/v1/repos/{key}/packages", a.listPackages, optional, true},
		{"POST", "/v1/repos/{key}/packages/versions/drafts", a.createDraft, token, true},
		{"GET", "/v1/repos/{key}/packages/versions/{versionId}", a.getVersionByID, optional, true},
		{"POST", "/v1/repos/{key}/packages/versions/{versionId}/entries", a.addEntries, token, true},
		{"PUT", "/v1/repos/{key}/packages/versions/{versionId}/manifest", a.putManifest, token, true},
		{"GET", "/v1/repos/{key}/packages/versions/{versionId}/manifest", a.getManifest, optional, true},
		{"POST", "/v1/repos/{key}/packages/versions/{versionId}/publish", a.publishVersion, token, true},
		{"DELETE", "/v1/repos/{key}/packages/versions/{versionId}", a.deleteVersion, token, true},
		{"POST", "/v1/repos/{key}/packages/versions/{versionId}/restore", a.restoreVersion, token, true},
		{"GET", "/v1/repos/{key}/packages/{name}/versions", a.listVersions, optional, true},
		{"GET", "/v1/repos/{key}/packages/{name}/versions/{version}", a.getVersion, optional, true},
		{"GET", "/v1/repos/{key}/packages/{name}/versions/{version}/files/{path...}", a.getFile, optional, true},
		{"HEAD", "/v1/repos/{key}/packages/{name}/versions/{version}/files/{path...}", a.getFile, optional, true},
		{"GET", "/v1/repos/{key}/packages/{name}/tags", a.listTags, optional, true},
		{"PUT", "/v1/repos/{key}/packages/{name}/versions/{version}/deprecation", a.putDeprecation, token, true},
		{"GET", "/v1/repos/{key}/packages/{name}/tags/{tag}", a.getTag, optional, true},
		{"PUT", "/v1/repos/{key}/packages/{name}/tags/{tag}", a.putTag, token, true},
		{"DELETE", "/v1/repos/{key}/packages/{name}/tags/{tag}", a.deleteTag, token, true},
		{"GET", "/v1/repos/{key}/packages/versions/{versionId}/evaluations", a.listEvaluations, token, true},
		{"POST", "/v1/repos/{key}/packages/versions/{versionId}/promote", a.promoteVersion, token, true},
		{"GET", "/v1/repos/{key}/quarantine", a.listQuarantine, token, false},
		{"GET", "/v1/repos/{key}/quarantine/{id}", a.getQuarantine, token, false},
		{"POST", "/v1/repos/{key}/quarantine/{id}/release", a.releaseQuarantine, token, false},
		{"POST", "/v1/repos/{key}/quarantine/{id}/reject", a.rejectQuarantine, token, false},
		{"POST", "/v1/policies", a.createPolicy, token, false},
		{"GET", "/v1/policies", a.listPolicies, token, false},
		{"GET", "/v1/policies/{name}", a.getPolicy, token, false},
		{"PUT", "/v1/policies/{name}", a.putPolicy, token, false},
		{"DELETE", "/v1/policies/{name}", a.deletePolicy, token, false},
		{"POST", "/v1/policies/{name}/dry-run", a.dryRunPolicy, token, false},
		{"POST", "/v1/repos/{key}/policies", a.createPolicy, token, false},
		{"GET", "/v1/repos/{key}/policies", a.listPolicies, token, false},
		{"GET", "/v1/repos/{key}/policies/{name}", a.getPolicy, token, false},
		{"PUT", "/v1/repos/{key}/policies/{name}", a.putPolicy, token, false},
		{"DELETE", "/v1/repos/{key}/policies/{name}", a.deletePolicy, token, false},
		{"POST", "/v1/repos/{key}/policies/{name}/dry-run", a.dryRunPolicy, token, false},
		{"GET", "/v1/search", a.searchAll, token, false},
		{"GET", "/v1/repos/{key}/search", a.searchRepo, optional, false},
		{"GET", "/v1/admin/search/status", a.searchStatus, token, false},
		{"POST", "/v1/admin/search/rebuild", a.searchRebuild, token, false},
		{"POST", "/v1/admin/search/pause", a.searchPause, token, false},
		{"POST", "/v1/admin/search/resume", a.searchResume, token, false},
		{"GET", "/v1/admin/events", a.listEvents, token, false},
		{"GET", "/v1/admin/events/stats", a.eventStats, token, false},
		{"GET", "/v1/admin/events/{id}", a.getEvent, token, false},
		{"POST", "/v1/admin/events/{id}/replay", a.replayEvent, token, false},
		{"POST", "/v1/webhooks", a.createWebhook, token, false},
		{"GET", "/v1/webhooks", a.listWebhooks, token, false},
		{"GET", "/v1/webhooks/{id}", a.getWebhook, token, false},
		{"PATCH", "/v1/webhooks/{id}", a.updateWebhook, token, false},
		{"DELETE", "/v1/webhooks/{id}", a.deleteWebhook, token, false},
		{"GET", "/v1/webhooks/{id}/deliveries", a.listDeliveries, token, false},
		{"POST", "/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver", a.redeliver, token, false},
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
	var sub []route
	for _, rt := range a.routes() {
		if rt.sub {
			sub = append(sub, rt)
			continue
		}
		mux.Handle(rt.method+" "+rt.pattern, a.authenticated(rt.h, rt.access))
	}
	packages := a.routePackages(sub)
	mux.Handle("/v1/repos/{key}/packages", packages)
	mux.Handle("/v1/repos/{key}/packages/{rest...}", packages)
	mux.Handle("/v1/", a.adapt(func(w http.ResponseWriter, r *http.Request) error {
		return errNoRoute(r)
	}))
}
