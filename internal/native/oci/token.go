package oci

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/publicurl"
	"github.com/artifortress/artifortress/internal/registrytoken"
)

// tokenPath is the token endpoint the challenge names (the realm).
const tokenPath = Prefix + "token"

// credential is who a request acts as: the principal (nil when anonymous)
// and, when the request carried a registry token, its claims, which bound
// what it may do further.
type credential struct {
	caller *auth.Principal
	claims *registrytoken.Claims
}

// authenticate reads the request's credential: a registry token (Bearer,
// a JWT from /v2/token), a personal access token (Bearer afp_…, or Basic
// with the token as the password and any user name), or none.
func (h *Handler) authenticate(r *http.Request) (credential, error) {
	token, present := auth.Credential(r)
	if !present {
		return credential{}, nil
	}
	if token == "" {
		return credential{}, fault.Unauthorized("malformed Authorization header")
	}
	if !isRegistryToken(r, token) {
		p, err := h.auth.Authenticate(r.Context(), token)
		return credential{caller: p}, err
	}
	claims, err := h.issuer.Verify(token, service(r), h.now())
	if err != nil {
		return credential{}, fault.Unauthorized("%v", err)
	}
	c := credential{claims: &claims}
	if claims.TokenID != "" {
		if c.caller, err = h.auth.PrincipalOf(r.Context(), claims.TokenID); err != nil {
			return credential{}, err
		}
	}
	return c, nil
}

// isRegistryToken tells a JWT (three dot-separated parts, sent as
// Bearer) from a personal access token.
func isRegistryToken(r *http.Request, token string) bool {
	scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	return strings.EqualFold(scheme, "bearer") && !strings.HasPrefix(token, "afp_") && strings.Count(token, ".") == 2
}

// allows reports whether the credential may do action on name: a
// personal access token is bounded by its roles alone (checked by every
// handler), a registry token also by the access it was issued with.
func (c credential) allows(name, action string) bool {
	return c.claims == nil || c.claims.Allows(registrytoken.TypeRepository, name, action)
}

// tokenAnswer is the token endpoint's answer (Distribution's token.md):
// both field names, since clients read either.
type tokenAnswer struct {
	Token       string `json:"token"`
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	IssuedAt    string `json:"issued_at"`
}

// token answers GET /v2/token?service=…&scope=…: a short-lived registry
// token for the caller (Basic with a token as the password, a personal
// access token as Bearer, or nobody), granting of the scopes asked for
// what the caller holds: pull needs read on the repository, push and
// delete need write (deleting manifests needs admin, checked when it
// happens). A partial grant is not an error (token.md); a bad credential
// is 401.
func (h *Handler) token(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet {
		return fault.Coded(fault.KindMethodNotAllowed, codeUnsupported, "%s is not allowed on %s", r.Method, tokenPath)
	}
	token, present := auth.Credential(r)
	var caller *auth.Principal
	if present {
		if token == "" || isRegistryToken(r, token) {
			return fault.Unauthorized("the token endpoint takes an Artifortress token (Basic, any user name, the token as the password)")
		}
		p, err := h.auth.Authenticate(r.Context(), token)
		if err != nil {
			return err
		}
		caller = p
	}
	scopes, err := registrytoken.ParseScopes(r.URL.Query()["scope"])
	if err != nil {
		return fault.BadRequest("scope", "%v", err)
	}
	ctx := r.Context()
	access := registrytoken.Grant(scopes, func(name, action string) bool {
		repoKey, _, _ := strings.Cut(name, "/")
		role := auth.RoleRead
		if action != registrytoken.ActionPull {
			role = auth.RoleWrite
		}
		_, err := h.repos.Access(ctx, caller, repoKey, role)
		return err == nil
	})
	now := h.now()
	claims := registrytoken.Claims{Issuer: service(r), Audience: service(r), IssuedAt: now, Expiry: now.Add(registrytoken.DefaultTTL), Access: access}
	if caller != nil {
		claims.Subject = caller.Name()
		claims.TokenID = caller.TokenID
		if caller.Source == auth.SourceBootstrap {
			claims.TokenID = auth.BootstrapSubject
		}
	}
	signed, err := h.issuer.Issue(claims)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, "application/json", tokenAnswer{
		Token: signed, AccessToken: signed, ExpiresIn: int(registrytoken.DefaultTTL / time.Second), IssuedAt: now.UTC().Format(time.RFC3339),
	})
}

// service is the registry's service name, the audience of its tokens: the
// host of its public URL.
func service(r *http.Request) string {
	base := publicurl.FromContext(r.Context())
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		return u.Host
	}
	return r.Host
}

// challenge is a 401's WWW-Authenticate: Bearer, naming the token
// endpoint, the service and, for a request on a name, the scope it needs,
// so that clients fetch a token and retry. One header only: some clients
// (the conformance runner among them) read only the first.
func challenge(r *http.Request, scope, problem string) string {
	c := `Bearer realm="` + publicurl.FromContext(r.Context()) + tokenPath + `",service="` + service(r) + `"`
	if scope != "" {
		c += `,scope="` + scope + `"`
	}
	if problem != "" {
		c += `,error="` + problem + `"`
	}
	return c
}

// actionOf is the token action a request needs.
func actionOf(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead:
		return registrytoken.ActionPull
	case http.MethodDelete:
		return registrytoken.ActionDelete
	}
	return registrytoken.ActionPush
}

// scopeOf is the scope a challenge asks for on name.
func scopeOf(name, method string) string {
	switch actionOf(method) {
	case registrytoken.ActionPull:
		return "repository:" + name + ":pull"
	case registrytoken.ActionDelete:
		return "repository:" + name + ":delete"
	}
	return "repository:" + name + ":pull,push"
}
