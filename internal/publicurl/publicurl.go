// Package publicurl works out the absolute URL clients reach this server at,
// for links the server hands out (pre-signed upload URLs, package metadata
// such as npm tarball URLs): the configured public URL when there is one;
// otherwise, for a request from a trusted reverse proxy, what its
// X-Forwarded-Proto, X-Forwarded-Host and X-Forwarded-Prefix headers say;
// otherwise the scheme and host of the request itself.
package publicurl

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
)

// Resolver derives the base URL of requests.
type Resolver struct {
	// Configured is --public-url ("" when unset), without a trailing slash.
	Configured string
	// Trusted are the proxies whose X-Forwarded-* headers are believed
	// (--trusted-proxies). Headers from anyone else are ignored: a client
	// could otherwise make the server hand out links to a host of its
	// choosing.
	Trusted []netip.Prefix
}

// ParseTrusted parses a comma-separated list of addresses and CIDRs.
func ParseTrusted(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR", item)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

var (
	hostPattern   = regexp.MustCompile(`^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$`)
	prefixPattern = regexp.MustCompile(`^(/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+$`)
)

// Base returns the absolute base URL for r, without a trailing slash.
func (res Resolver) Base(r *http.Request) string {
	if res.Configured != "" {
		return strings.TrimSuffix(res.Configured, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host, prefix := r.Host, ""
	if !hostPattern.MatchString(host) {
		host = "localhost" // a Host header no link should carry
	}
	if res.trusted(r) {
		if p := last(r.Header.Get("X-Forwarded-Proto")); p == "http" || p == "https" {
			scheme = p
		}
		if h := last(r.Header.Get("X-Forwarded-Host")); hostPattern.MatchString(h) {
			host = h
		}
		if p := strings.TrimSuffix(last(r.Header.Get("X-Forwarded-Prefix")), "/"); prefixPattern.MatchString(p) && !strings.Contains(p, "/..") && !strings.Contains(p, "/./") {
			prefix = p
		}
	}
	return scheme + "://" + host + prefix
}

// last is the last value of a comma-separated header: the one the trusted
// proxy nearest the node added. Earlier values may come from the client.
func last(v string) string {
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return strings.TrimSpace(v)
}

func (res Resolver) trusted(r *http.Request) bool {
	if len(res.Trusted) == 0 {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range res.Trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
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
