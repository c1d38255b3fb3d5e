package netguard

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Transport returns an HTTP transport that dials through the guard, with
// the configured TLS handshake and response header timeouts. It uses no
// proxy: a proxy would connect on the server's behalf, out of the guard's
// sight.
func (g *Guard) Transport() *http.Transport {
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           g.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   g.cfg.TLSHandshakeTimeout,
		ResponseHeaderTimeout: g.cfg.ResponseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
	}
}

// Client returns an HTTP client over Transport whose requests are bounded
// by the configured total timeout and which follows at most MaxRedirects
// redirects, each one dialled through the guard. Callers still bound how
// much of a body they read (ReadAll, LimitReader).
func (g *Guard) Client() *http.Client {
	max := g.cfg.MaxRedirects
	return &http.Client{
		Transport: g.Transport(),
		Timeout:   g.cfg.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if max == 0 {
				return http.ErrUseLastResponse
			}
			if len(via) > max {
				return fmt.Errorf("netguard: stopped after %d redirects", max)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return errors.New("netguard: redirect to a non-HTTP URL")
			}
			return nil
		},
	}
}

// Timeout returns the configured bound on a whole request.
func (g *Guard) Timeout() time.Duration { return g.cfg.Timeout }
