package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/netguard"
	"github.com/artifortress/artifortress/internal/repo"
)

// DefaultMetadataTTL is how long fetched metadata is served without asking
// the upstream, unless the repository sets metadataTtlSeconds.
const DefaultMetadataTTL = 5 * time.Minute

// MaxMetadataBytes bounds one metadata document fetched from an upstream.
const MaxMetadataBytes = 64 << 20

// metadataTimeout bounds one metadata request to an upstream.
const metadataTimeout = 30 * time.Second

// Client fetches from the upstreams of remote repositories.
type Client struct {
	http    *http.Client
	db      *meta.DB
	log     *slog.Logger
	now     func() time.Time
	flights flights
	metrics *metrics
}

// New returns a client whose connections go through guard (its total
// timeout bounds artifact downloads; metadata gets metadataTimeout).
func New(db *meta.DB, guard *netguard.Guard, log *slog.Logger, reg prometheus.Registerer) *Client {
	return &Client{http: guard.Client(), db: db, log: log, now: time.Now, metrics: newMetrics(reg)}
}

// Doc is a metadata document as served: from the cache or the upstream.
type Doc struct {
	Body []byte
	// Stale is set when the upstream could not be reached and the cached
	// copy, older than its TTL, is served instead.
	Stale     bool
	FetchedAt time.Time
}

// ttl is a repository's metadata TTL.
func ttl(r repo.Repo) time.Duration {
	if s := r.Settings.MetadataTTLSeconds; s > 0 {
		return time.Duration(s) * time.Second
	}
	return DefaultMetadataTTL
}

// URL joins a repository's upstream URL and an escaped path.
func URL(r repo.Repo, escapedPath string) string {
	return strings.TrimSuffix(r.UpstreamURL, "/") + "/" + strings.TrimPrefix(escapedPath, "/")
}

// Metadata returns the document at escapedPath of r's upstream: the cached
// copy while it is younger than the TTL; else the upstream's, revalidated
// with the cached copy's ETag and Last-Modified; else, when the upstream
// fails, the cached copy marked stale. accept is sent as Accept. An upstream
// 404 is a fault.KindNotFound with code notFound.
func (c *Client) Metadata(ctx context.Context, r repo.Repo, escapedPath, accept, notFound string) (Doc, error) {
	return c.cachedDoc(ctx, r, escapedPath, func(cached meta.RemoteDoc, hasCache bool) error {
		return c.refresh(ctx, r, escapedPath, accept, notFound, cached, hasCache)
	})
}

// cachedDoc answers remote repository r's cached document key: from the
// cache within its TTL; else after refresh (one at a time per document:
// who waited reads what it stored); else, when the upstream failed with
// anything but a 404 and a copy is cached, that copy marked stale.
func (c *Client) cachedDoc(ctx context.Context, r repo.Repo, key string, refresh func(cached meta.RemoteDoc, hasCache bool) error) (Doc, error) {
	cached, err := c.db.GetRemoteDoc(ctx, r.Key, key)
	hasCache := err == nil
	if err != nil && !errors.Is(err, meta.ErrNotFound) {
		return Doc{}, err
	}
	if hasCache && c.now().Sub(cached.FetchedAt) < ttl(r) {
		c.metrics.result(r.Key, kindMetadata, resultHit)
		return Doc{Body: cached.Body, FetchedAt: cached.FetchedAt}, nil
	}
	err = c.flights.do(r.Key+"\x00meta\x00"+key, func() error { return refresh(cached, hasCache) })
	if err == nil {
		fresh, err := c.db.GetRemoteDoc(ctx, r.Key, key)
		if err != nil {
			return Doc{}, err
		}
		return Doc{Body: fresh.Body, FetchedAt: fresh.FetchedAt}, nil
	}
	if fe := fault.As(err); (fe != nil && fe.Kind == fault.KindNotFound) || !hasCache {
		return Doc{}, err
	}
	c.metrics.result(r.Key, kindMetadata, resultStale)
	c.log.WarnContext(ctx, "upstream unavailable; serving stale metadata", slog.String("repo", r.Key), slog.String("path", key),
		slog.String("error", err.Error()), slog.Time("fetchedAt", cached.FetchedAt))
	return Doc{Body: cached.Body, Stale: true, FetchedAt: cached.FetchedAt}, nil
}

// refresh asks the upstream for a document, conditionally when a copy is
// cached, and stores what it answers.
func (c *Client) refresh(ctx context.Context, r repo.Repo, escapedPath, accept, notFound string, cached meta.RemoteDoc, hasCache bool) error {
	ctx, cancel := context.WithTimeout(ctx, metadataTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, URL(r, escapedPath), nil)
	if err != nil {
		return upstreamError(r, err)
	}
	req.Header.Set("Accept", accept)
	if err := c.authorize(ctx, r, req); err != nil {
		return err
	}
	if hasCache {
		if cached.ETag != "" {
			req.Header.Set("If-None-Match", cached.ETag)
		}
		if cached.LastModified != "" {
			req.Header.Set("If-Modified-Since", cached.LastModified)
		}
	}
	start := c.now()
	resp, err := c.http.Do(req)
	c.metrics.latency(r.Key, kindMetadata, c.now().Sub(start))
	if err != nil {
		c.metrics.result(r.Key, kindMetadata, resultError)
		return upstreamError(r, err)
	}
	defer resp.Body.Close()
	now := c.now().UTC()
	switch {
	case resp.StatusCode == http.StatusNotModified && hasCache:
		c.metrics.result(r.Key, kindMetadata, resultRevalidated)
		return c.db.TouchRemoteDoc(ctx, r.Key, escapedPath, now)
	case resp.StatusCode == http.StatusNotFound:
		c.metrics.result(r.Key, kindMetadata, resultMiss)
		return fault.Coded(fault.KindNotFound, notFound, "%s is not found upstream of repository %q", unescape(escapedPath), r.Key)
	case resp.StatusCode != http.StatusOK:
		c.metrics.result(r.Key, kindMetadata, resultError)
		return upstreamError(r, fmt.Errorf("the upstream answered HTTP %d", resp.StatusCode))
	}
	body, err := netguard.ReadAll(resp.Body, MaxMetadataBytes)
	if err != nil {
		c.metrics.result(r.Key, kindMetadata, resultError)
		return upstreamError(r, err)
	}
	c.metrics.result(r.Key, kindMetadata, resultMiss)
	d := meta.RemoteDoc{Repo: r.Key, Path: escapedPath, Body: body, ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"), FetchedAt: now}
	return c.db.PutRemoteDoc(ctx, d)
}

// Artifact fetches rawURL (an artifact's URL as the upstream's metadata
// names it) once among concurrent callers asking for the same key, and
// passes the body to store, which caches it. An upstream 404 (or 410) is
// a fault.KindNotFound file_not_found; other failures are 502. Callers that waited read what
// the first stored, so store must be idempotent.
func (c *Client) Artifact(ctx context.Context, r repo.Repo, key, rawURL string, store func(body io.Reader, length int64) error) error {
	return c.flights.do(r.Key+"\x00artifact\x00"+key, func() error {
		u, err := url.Parse(rawURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return fault.Coded(fault.KindBadGateway, "upstream_invalid", "the upstream of %q names an invalid artifact URL", r.Key)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return upstreamError(r, err)
		}
		if err := c.authorize(ctx, r, req); err != nil {
			return err
		}
		start := c.now()
		resp, err := c.http.Do(req)
		if err != nil {
			c.metrics.result(r.Key, kindArtifact, resultError)
			return upstreamError(r, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone {
			c.metrics.result(r.Key, kindArtifact, resultMiss)
			return fault.Coded(fault.KindNotFound, "file_not_found", "the upstream of repository %q has no such file", r.Key)
		}
		if resp.StatusCode != http.StatusOK {
			c.metrics.result(r.Key, kindArtifact, resultError)
			return upstreamError(r, fmt.Errorf("the upstream answered HTTP %d for the artifact", resp.StatusCode))
		}
		err = store(resp.Body, resp.ContentLength)
		c.metrics.latency(r.Key, kindArtifact, c.now().Sub(start))
		if err != nil {
			c.metrics.result(r.Key, kindArtifact, resultError)
			return err
		}
		c.metrics.result(r.Key, kindArtifact, resultMiss)
		return nil
	})
}

// authorize adds r's upstream credentials to req when it goes to the
// upstream's own scheme and host (an artifact link to another host, a
// CDN, gets none, and so does a plain-http link on an https upstream's
// page; Go's client drops them on redirects to other hosts too).
func (c *Client) authorize(ctx context.Context, r repo.Repo, req *http.Request) error {
	up, err := url.Parse(r.UpstreamURL)
	if err != nil || !strings.EqualFold(up.Host, req.URL.Host) || !strings.EqualFold(up.Scheme, req.URL.Scheme) {
		return nil
	}
	cred, err := c.db.GetUpstreamCredentials(ctx, r.Key)
	if errors.Is(err, meta.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	switch cred.Scheme {
	case repo.SchemeBasic:
		req.SetBasicAuth(cred.Username, cred.Secret)
	case repo.SchemeBearer:
		req.Header.Set("Authorization", "Bearer "+cred.Secret)
	}
	return nil
}

// Hit counts an artifact served from the cache.
func (c *Client) Hit(r repo.Repo) { c.metrics.result(r.Key, kindArtifact, resultHit) }

func upstreamError(r repo.Repo, err error) error {
	return &fault.Error{Kind: fault.KindBadGateway, Code: "upstream_unavailable",
		Message: fmt.Sprintf("the upstream of repository %q cannot be reached and nothing is cached: %s", r.Key, redact(err)), Err: err}
}

// redact keeps an error's message free of URLs' query strings (tokens).
func redact(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			u.RawQuery, u.User = "", nil
			return ue.Op + " " + u.String() + ": " + ue.Err.Error()
		}
	}
	return err.Error()
}

func unescape(p string) string {
	if u, err := url.PathUnescape(p); err == nil {
		return u
	}
	return p
}
