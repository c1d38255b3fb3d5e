package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/telemetry"
)

// Challenge is the WWW-Authenticate value of a /v1 401: clients may answer
// with Basic (token as password) or Bearer.
const Challenge = `Basic realm="artifortress", Bearer realm="artifortress"`

// authenticated resolves the caller before running h. Requests with bad
// credentials get 401 and the challenge; so do requests without any, unless
// the route lets the anonymous caller through (or checks a signature).
func (a *API) authenticated(h handlerFunc, how access) http.Handler {
	return a.adapt(func(w http.ResponseWriter, r *http.Request) error {
		token, present := auth.Credential(r)
		if how == signed || (!present && how == optional) {
			return h(w, r, nil)
		}
		if !present {
			return fault.Unauthorized("authentication required: send a token as Bearer or as the Basic password")
		}
		if token == "" {
			return fault.Unauthorized("malformed Authorization header")
		}
		p, err := a.auth.Authenticate(r.Context(), token)
		if err != nil {
			return err
		}
		return h(w, r, p)
	})
}

// adapt turns an error-returning handler into an http.Handler.
func (a *API) adapt(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			a.writeError(w, r, err)
		}
	})
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details"`
}

// writeError is the single place /v1 errors become responses.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	fe := fault.As(err)
	if fe == nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			a.log.InfoContext(ctx, "client went away", slog.String("error", err.Error()))
			return
		}
		a.log.ErrorContext(ctx, "internal error", slog.String("error", err.Error()))
		fe = fault.Coded(fault.KindInternal, "internal", "internal error; quote request id %s to the operator", telemetry.RequestID(ctx))
	} else if fe.Err != nil {
		a.log.WarnContext(ctx, "request failed", slog.String("code", fe.Code), slog.String("error", fe.Err.Error()))
	}
	status := fe.Kind.HTTPStatus()
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", Challenge)
	}
	details := fe.Details
	if details == nil {
		details = map[string]any{}
	}
	writeJSON(w, status, errorBody{Error: errorDetail{Code: fe.Code, Message: fe.Message, Details: details}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func errNoRoute(r *http.Request) error {
	return fault.NotFound("no endpoint %s %s", r.Method, r.URL.Path)
}
