// Package publicurl works out the absolute URL clients reach this server at,
// for links the server hands out (pre-signed upload URLs, and later package
// metadata): the configured public URL when there is one, otherwise the
// scheme and host of the request itself.
package publicurl

import (
	"context"
	"net/http"
	"strings"
)

// Resolver derives the base URL of requests.
type Resolver struct {
	// Configured is --public-url ("" when unset), without a trailing slash.
	Configured string
}

// Base returns the absolute base URL for r, without a trailing slash.
func (res Resolver) Base(r *http.Request) string {
	if res.Configured != "" {
		return strings.TrimSuffix(res.Configured, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

type key struct{}

// Middleware stores each request's base URL in its context.
func (res Resolver) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), key{}, res.Base(r))))
	})
}

// FromContext returns the base URL the middleware stored, or "".
func FromContext(ctx context.Context) string {
	s, _ := ctx.Value(key{}).(string)
	return s
}
