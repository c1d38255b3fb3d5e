package remote

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/repo"
	"github.com/artifortress/artifortress/internal/ttlcache"
)

// Registry is the upstream client of remote repositories whose upstream is
// a container registry speaking the OCI distribution API (Docker Hub,
// GHCR, CNCF Distribution, another node's /v2/). Requests go through
// Client's SSRF guard, single flights, metadata table and metrics; what
// Registry adds is what such upstreams need:
//
//   - auth by challenge: a request goes out anonymously until the upstream
//     answers 401. A Basic challenge is answered with the repository's
//     Basic credentials; a Bearer challenge with a token fetched from its
//     realm (GET realm?service=…&scope=…, with the Basic credentials when
//     the realm is https or on the upstream's own host), or with the
//     repository's stored Bearer secret as is. The challenge is remembered,
//     so later requests carry credentials from the start;
//   - tokens cached per (repository, scope) until shortly before they
//     expire, in memory only: never stored, never logged;
//   - metadata made from any request (a tag's digest is a HEAD's header)
//     and artifacts fetched from URLs the caller builds.
type Registry struct {
	c          *Client
	tokens     *ttlcache.Cache[tokenKey, upstreamToken]
	challenges *ttlcache.Cache[upstreamKey, challenge]
	flights    flights // token fetches
}

const (
	// maxTokens bounds the tokens and remembered challenges a node keeps
	// (past it a cache is emptied, which costs a token fetch).
	maxTokens = 4096
	// rememberFor bounds how long a challenge or token is kept, whatever
	// the token's own lifetime.
	rememberFor = time.Hour
)

// NewRegistry returns a registry client over c.
func NewRegistry(c *Client) *Registry {
	return &Registry{
		c:          c,
		tokens:     ttlcache.New[tokenKey, upstreamToken](rememberFor, maxTokens),
		challenges: ttlcache.New[upstreamKey, challenge](rememberFor, maxTokens),
	}
}

// RegistryRequest is one request to a registry upstream.
type RegistryRequest struct {
	Method string // GET or HEAD
	// URL is on the upstream's host: credentials are only ever sent there
	// (and to a token realm that qualifies); a redirect elsewhere (a CDN)
	// carries none.
	URL    string
	Accept string
	// Scope is the token scope the request needs,
	// "repository:<name>:pull".
	Scope string
	// NotFound is the fault code of an upstream 404 or 410.
	NotFound string
}

// Do sends req to r's upstream, answering its challenges, and returns a
// 2xx response, whose body the caller closes. An upstream 404 or 410 is a
// fault.KindNotFound with code req.NotFound; a refusal (401 or 403 once
// the challenge is answered, or no credentials to answer it with) is a 502
// upstream_unauthorized; any other failure a 502 upstream_unavailable.
func (g *Registry) Do(ctx context.Context, r repo.Repo, req RegistryRequest) (*http.Response, error) {
	target, err := url.Parse(req.URL)
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" || target.User != nil {
		return nil, fault.Coded(fault.KindBadGateway, "upstream_invalid", "the upstream URL of repository %q is not an http(s) URL", r.Key)
	}
	cred, err := g.c.credentials(ctx, r)
	if err != nil {
		return nil, err
	}
	up := upstreamKey{repo: r.Key, created: r.CreatedAt.UnixMicro(), url: r.UpstreamURL}
	authz := ""
	if ch, ok := g.challenges.Get(up, g.c.now()); ok {
		if authz, err = g.answer(ctx, r, up, cred, ch, req.Scope, target, false); err != nil {
			return nil, err
		}
	}
	resp, err := g.send(ctx, r, req, authz)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusUnauthorized {
		ch, ok := pick(parseChallenges(resp.Header.Values("WWW-Authenticate")))
		if ok {
			g.challenges.Put(up, remembered(ch), g.c.now(), g.challenges.Generation())
			// A token sent with this request was refused: fetch another.
			retry, err := g.answer(ctx, r, up, cred, ch, req.Scope, target, true)
			if err != nil {
				drain(resp)
				return nil, err
			}
			if retry != "" && retry != authz {
				drain(resp)
				if resp, err = g.send(ctx, r, req, retry); err != nil {
					return nil, err
				}
			}
		}
	}
	if err := g.check(r, req, resp); err != nil {
		drain(resp)
		return nil, err
	}
	return resp, nil
}

// send sends one request with authorization authz ("" for none).
func (g *Registry) send(ctx context.Context, r repo.Repo, req RegistryRequest, authz string) (*http.Response, error) {
	hr, err := http.NewRequestWithContext(ctx, req.Method, req.URL, nil)
	if err != nil {
		return nil, upstreamError(r, err)
	}
	if req.Accept != "" {
		hr.Header.Set("Accept", req.Accept)
	}
	if authz != "" {
		hr.Header.Set("Authorization", authz)
	}
	resp, err := g.c.http.Do(hr)
	if err != nil {
		return nil, upstreamError(r, err)
	}
	return resp, nil
}

// check turns a final answer that is not 2xx into the fault it means.
func (g *Registry) check(r repo.Repo, req RegistryRequest, resp *http.Response) error {
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusNotFound || code == http.StatusGone:
		return fault.Coded(fault.KindNotFound, req.NotFound, "the upstream of repository %q has no %s", r.Key, pathOf(req.URL))
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return fault.Coded(fault.KindBadGateway, "upstream_unauthorized",
			"the upstream of repository %q refused access to %s (HTTP %d): set the repository's upstream credentials (PUT /v1/repos/%s/upstream-credentials), or check them and the name",
			r.Key, pathOf(req.URL), code, r.Key)
	}
	return upstreamError(r, fmt.Errorf("the upstream answered HTTP %d to %s %s", code, req.Method, pathOf(req.URL)))
}

// Metadata is Client.Metadata for documents that fetch makes from the
// upstream's answers (a HEAD's Docker-Content-Digest, a tag list), cached
// in the remote metadata table under key: the cached copy while it is
// younger than r's TTL; else fetch's (once among concurrent callers),
// stored; else, when fetch fails with anything but a not-found, the
// cached copy marked stale.
func (g *Registry) Metadata(ctx context.Context, r repo.Repo, key string, fetch func(ctx context.Context) ([]byte, error)) (Doc, error) {
	c := g.c
	return c.cachedDoc(ctx, r, key, func(meta.RemoteDoc, bool) error {
		ctx, cancel := context.WithTimeout(ctx, metadataTimeout)
		defer cancel()
		start := c.now()
		body, err := fetch(ctx)
		c.metrics.latency(r.Key, kindMetadata, c.now().Sub(start))
		if err != nil {
			c.metrics.result(r.Key, kindMetadata, failure(err))
			return err
		}
		c.metrics.result(r.Key, kindMetadata, resultMiss)
		return c.db.PutRemoteDoc(ctx, meta.RemoteDoc{Repo: r.Key, Path: key, Body: body, FetchedAt: c.now().UTC()})
	})
}

// Fetch is Client.Artifact for a registry: it sends req once among
// concurrent callers asking for key and passes the response to store,
// which caches its body; callers that waited share the outcome and read
// what the first stored. Errors are Do's and store's.
func (g *Registry) Fetch(ctx context.Context, r repo.Repo, key string, req RegistryRequest, store func(resp *http.Response) error) error {
	c := g.c
	return c.flights.do(r.Key+"\x00artifact\x00"+key, func() error {
		start := c.now()
		resp, err := g.Do(ctx, r, req)
		if err == nil {
			err = store(resp)
			drain(resp)
		}
		c.metrics.latency(r.Key, kindArtifact, c.now().Sub(start))
		if err != nil {
			c.metrics.result(r.Key, kindArtifact, failure(err))
			return err
		}
		c.metrics.result(r.Key, kindArtifact, resultMiss)
		return nil
	})
}

// failure is the metrics result of a failed fetch: an upstream not-found
// is a miss (the upstream answered), anything else an error.
func failure(err error) string {
	if fe := fault.As(err); fe != nil && fe.Kind == fault.KindNotFound {
		return resultMiss
	}
	return resultError
}

// credentials returns r's upstream credentials, nil when none are set.
func (c *Client) credentials(ctx context.Context, r repo.Repo) (*meta.UpstreamCredentials, error) {
	cred, err := c.db.GetUpstreamCredentials(ctx, r.Key)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &cred, nil
}

// drain closes a response's body after reading a little of it, so the
// connection can be reused.
func drain(resp *http.Response) {
	if resp == nil {
		return
	}
	buf := make([]byte, 4096)
	_, _ = resp.Body.Read(buf)
	resp.Body.Close()
}

// pathOf is a URL's path, for messages (never its query, which may carry
// a token's scope or worse).
func pathOf(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Path
	}
	return "the requested path"
}

// Cached returns the document Metadata keeps under key as it is, without
// asking the upstream however old it is; false when there is none.
func (g *Registry) Cached(ctx context.Context, r repo.Repo, key string) (Doc, bool, error) {
	d, err := g.c.db.GetRemoteDoc(ctx, r.Key, key)
	if errors.Is(err, meta.ErrNotFound) {
		return Doc{}, false, nil
	}
	if err != nil {
		return Doc{}, false, err
	}
	return Doc{Body: d.Body, FetchedAt: d.FetchedAt, Stale: g.c.now().Sub(d.FetchedAt) >= ttl(r)}, true, nil
}
