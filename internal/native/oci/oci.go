// Package oci serves oci repositories as an OCI Distribution v1.1
// registry at /v2/ (ADR 0010), so that docker, podman, skopeo, oras, crane
// and helm push and pull unchanged. A name is "{repository}/{image...}":
// the first component is the Artifortress repository, the rest the image,
// which is a package; a manifest is a version (its digest), a tag a tag,
// and layers and configs are blobs of the repository.
package oci

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/catalog"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/native"
	"github.com/artifortress/artifortress/internal/registrytoken"
	"github.com/artifortress/artifortress/internal/remote"
	"github.com/artifortress/artifortress/internal/repo"
	"github.com/artifortress/artifortress/internal/transfer"
)

// Prefix is where the registry is served: clients call /v2/ at the host's
// root.
const Prefix = "/v2/"

// format is the repository format this package serves.
const format = "oci"

// Handler is the /v2/ registry.
type Handler struct {
	auth     *auth.Service
	repos    *repo.Service
	catalog  *catalog.Service
	transfer *transfer.Service
	issuer   *registrytoken.Issuer
	remote   *remote.Client
	// upstream talks to remote repositories' registries (their tokens
	// included); blobs knows which cached manifest uses which blob.
	upstream *remote.Registry
	blobs    *blobIndex
	log      *slog.Logger
	now      func() time.Time
}

// New returns the registry handler; issuer signs and verifies its tokens.
func New(a *auth.Service, repos *repo.Service, c *catalog.Service, t *transfer.Service, issuer *registrytoken.Issuer, r *remote.Client, log *slog.Logger) *Handler {
	return &Handler{auth: a, repos: repos, catalog: c, transfer: t, issuer: issuer, remote: r,
		upstream: remote.NewRegistry(r), blobs: newBlobIndex(), log: log, now: time.Now}
}

// request is one request for a name.
type request struct {
	*http.Request
	route
	Repo   repo.Repo
	Caller *auth.Principal
	cred   credential
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	rest := strings.TrimPrefix(r.URL.EscapedPath(), Prefix)
	var err error
	switch rest {
	case "":
		err = h.ping(w, r)
	case "token":
		err = h.token(w, r)
	case "_catalog":
		err = h.listCatalog(w, r)
	default:
		err = h.serveName(w, r, rest)
	}
	if err != nil {
		h.fail(w, r, err, rest)
	}
}

// ping answers GET /v2/: 200 to any valid credential, 401 with the
// challenge to none, so that every client learns where to authenticate.
func (h *Handler) ping(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return fault.Coded(fault.KindMethodNotAllowed, codeUnsupported, "%s is not allowed on /v2/", r.Method)
	}
	cred, err := h.authenticate(r)
	if err != nil {
		return err
	}
	if !cred.caller.Authenticated() && cred.claims == nil {
		return fault.Unauthorized("authentication required")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("{}\n"))
	return nil
}

// serveName routes a request below /v2/<name>/.
func (h *Handler) serveName(w http.ResponseWriter, r *http.Request, escaped string) error {
	rt, err := parseRoute(escaped)
	if err != nil {
		return err
	}
	cred, err := h.authenticate(r)
	if err != nil {
		return err
	}
	if !cred.allows(rt.Name, actionOf(r.Method)) {
		return fault.Coded(fault.KindUnauthorized, "insufficient_scope", "the registry token does not grant %s on %s; ask %s for one that does", actionOf(r.Method), rt.Name, tokenPath)
	}
	caller := cred.caller
	rp, err := h.repos.Access(r.Context(), caller, rt.Repo, auth.RoleRead)
	if err != nil {
		return err
	}
	if rp.Format != format {
		return fault.Coded(fault.KindNotFound, codeNameUnknown, "repository %q holds %s packages, not OCI images", rt.Repo, rp.Format)
	}
	req := &request{Request: r, route: rt, Repo: rp, Caller: caller, cred: cred}
	switch rp.Type {
	case repo.TypeRemote:
		return h.serveRemote(w, req)
	case repo.TypeVirtual:
		return h.serveVirtual(w, req)
	}
	return h.serveLocal(w, req)
}

// serveLocal answers a request on a local repository.
func (h *Handler) serveLocal(w http.ResponseWriter, req *request) error {
	rt, m := req.route, req.Method
	read := m == http.MethodGet || m == http.MethodHead
	switch {
	case rt.Kind == kindBlob && read:
		return h.getBlob(w, req)
	case rt.Kind == kindBlob && m == http.MethodDelete:
		return h.deleteBlob(w, req)
	case rt.Kind == kindManifest && read:
		return h.getManifest(w, req)
	case rt.Kind == kindManifest && m == http.MethodPut:
		return h.putManifest(w, req)
	case rt.Kind == kindManifest && m == http.MethodDelete:
		return h.deleteManifest(w, req)
	case rt.Kind == kindUpload && m == http.MethodPost && rt.Ref == "":
		return h.startUpload(w, req)
	case rt.Kind == kindUpload && rt.Ref != "":
		return h.uploadRoute(w, req)
	case rt.Kind == kindTags && read:
		return h.listTags(w, req)
	case rt.Kind == kindReferrers && read:
		return h.referrers(w, req)
	}
	return fault.Coded(fault.KindMethodNotAllowed, codeUnsupported, "%s is not allowed on %s", m, req.URL.Path)
}

// fail writes err as the spec's error document, with the challenge on a
// 401, logging what clients must not see.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error, escaped string) {
	fe := native.Fault(r.Context(), h.log, err)
	if fe == nil {
		return
	}
	status := fe.Kind.HTTPStatus()
	if status == http.StatusUnauthorized {
		scope, problem := "", ""
		if rt, err := parseRoute(escaped); err == nil {
			scope = scopeOf(rt.Name, r.Method)
		}
		if fe.Code == "insufficient_scope" {
			problem = fe.Code
		}
		w.Header().Set("WWW-Authenticate", challenge(r, scope, problem))
	}
	writeError(w, status, fe)
}
