// Package native serves each repository at /r/{repo}/ in the protocol of
// its format, so that the official clients (npm, pip, curl, …) work
// unchanged. The shared part lives here: finding the repository,
// authenticating the caller the way clients send credentials, the 401
// challenge that makes clients send them, and the absolute base URL that
// metadata links are built from. Each format plugs in a Handler.
package native

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/publicurl"
	"github.com/artifortress/artifortress/internal/repo"
	"github.com/artifortress/artifortress/internal/telemetry"
)

// Prefix is where repositories are served.
const Prefix = "/r/"

// Challenge is the WWW-Authenticate of a 401: Basic (curl, pip, twine send
// the token as the password) and Bearer (npm's _authToken).
var Challenge = []string{`Basic realm="artifortress"`, `Bearer realm="artifortress"`}

// Request is a request for one repository.
type Request struct {
	*http.Request
	// Repo is the repository, which the caller may read.
	Repo repo.Repo
	// Caller is nil for an anonymous caller.
	Caller *auth.Principal
	// Path is the rest of the URL after /r/{repo}/, still escaped (npm's
	// scoped names arrive as @scope%2fname).
	Path string
	// Base is the absolute URL of the repository, without a trailing
	// slash: where links in metadata point.
	Base string
}

// Handler serves one format's protocol.
type Handler interface {
	// Serve answers req. An error is written by WriteError.
	Serve(w http.ResponseWriter, req *Request) error
	// WriteError writes err (a *fault.Error, or an internal error already
	// turned into one) in the format's own error shape with status.
	WriteError(w http.ResponseWriter, status int, fe *fault.Error)
}

// Server routes /r/{repo}/... to the handler of the repository's format.
type Server struct {
	auth     *auth.Service
	repos    *repo.Service
	log      *slog.Logger
	handlers map[string]Handler
}

// New returns a server; handlers maps a format name to its handler.
func New(a *auth.Service, repos *repo.Service, log *slog.Logger, handlers map[string]Handler) *Server {
	return &Server{auth: a, repos: repos, log: log, handlers: handlers}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.EscapedPath(), Prefix)
	escKey, path, _ := strings.Cut(rest, "/")
	key, err := url.PathUnescape(escKey)
	var h Handler = plain{}
	if err != nil || key == "" {
		s.fail(w, r, h, fault.NotFound("no repository in %s", r.URL.Path))
		return
	}
	if isLoginPath(path) {
		if err := s.login(w, r); err != nil {
			s.fail(w, r, h, err)
		}
		return
	}
	caller, err := s.authenticate(r)
	if err != nil {
		s.fail(w, r, h, err)
		return
	}
	rp, err := s.repos.Access(r.Context(), caller, key, auth.RoleRead)
	if err != nil {
		s.fail(w, r, h, err)
		return
	}
	if fh, ok := s.handlers[rp.Format]; ok {
		h = fh
	} else {
		s.fail(w, r, h, fault.Coded(fault.KindNotFound, "protocol_not_served", "repository %q holds %s packages, whose native protocol is not served yet; use the /v1 API", key, rp.Format))
		return
	}
	req := &Request{Request: r, Repo: rp, Caller: caller, Path: path,
		Base: publicurl.FromContext(r.Context()) + Prefix + escKey}
	if err := h.Serve(w, req); err != nil {
		s.fail(w, r, h, err)
	}
}

// authenticate returns the caller of r: nil without credentials, an error
// for credentials that do not verify.
func (s *Server) authenticate(r *http.Request) (*auth.Principal, error) {
	token, present := auth.Credential(r)
	if !present {
		return nil, nil
	}
	if token == "" {
		return nil, fault.Unauthorized("malformed Authorization header")
	}
	return s.auth.Authenticate(r.Context(), token)
}

// fail writes err with h, logging what clients must not see.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, h Handler, err error) {
	fe := Fault(r.Context(), s.log, err)
	if fe == nil {
		return
	}
	status := fe.Kind.HTTPStatus()
	if status == http.StatusUnauthorized {
		for _, c := range Challenge {
			w.Header().Add("WWW-Authenticate", c)
		}
	}
	h.WriteError(w, status, fe)
}

// Fault is what a failed request answers: err's fault, or for an internal
// error a fault that quotes the request id, the error itself going to the
// log only (with a fault's cause, which clients must not see either). It
// is nil when the client went away: nobody is there to answer.
func Fault(ctx context.Context, log *slog.Logger, err error) *fault.Error {
	fe := fault.As(err)
	if fe == nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return nil
		}
		log.ErrorContext(ctx, "internal error", slog.String("error", err.Error()))
		return fault.Coded(fault.KindInternal, "internal", "internal error; quote request id %s to the operator", telemetry.RequestID(ctx))
	}
	if fe.Err != nil {
		log.WarnContext(ctx, "request failed", slog.String("code", fe.Code), slog.String("error", fe.Err.Error()))
	}
	return fe
}

// WriteJSON writes v as a JSON answer with status, unescaped (URLs in
// metadata stay readable), as application/json unless the handler set
// another Content-Type.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// plain writes errors before a format is known, as text a person can read.
type plain struct{}

func (plain) Serve(http.ResponseWriter, *Request) error { return nil }

func (plain) WriteError(w http.ResponseWriter, status int, fe *fault.Error) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(fe.Code + ": " + fe.Message + "\n"))
}
