package remote

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/netguard"
	"github.com/artifortress/artifortress/internal/repo"
)

// upstreamKey names a remote repository's upstream: a repository
// re-created under the same key, or pointed elsewhere, is another.
type upstreamKey struct {
	repo    string
	created int64
	url     string
}

// tokenKey names an upstream token: per upstream, per credentials
// (changing them drops what the old ones earned) and per scope.
type tokenKey struct {
	upstreamKey
	credentials int64 // their UpdatedAt; 0 for none
	scope       string
}

// upstreamToken is a token a realm issued, used until shortly before it
// expires.
type upstreamToken struct {
	value string
	until time.Time
}

const (
	// maxTokenBytes bounds a token endpoint's answer.
	maxTokenBytes = 1 << 20
	// minTokenLife is the lifetime of a token whose answer gives none, or
	// less (token.md: 60 seconds at least).
	minTokenLife = 60 * time.Second
)

// remembered is a challenge kept for later requests: without its scope,
// which was that of the request it answered.
func remembered(ch challenge) challenge {
	out := challenge{Scheme: ch.Scheme, Params: map[string]string{}}
	for k, v := range ch.Params {
		if k != "scope" {
			out.Params[k] = v
		}
	}
	return out
}

// answer is the Authorization header that answers ch for a request that
// needs scope, "" when there is nothing to answer with (no credentials of
// the scheme the upstream asks for). fresh fetches a new token: the
// upstream refused the one it was sent.
func (g *Registry) answer(ctx context.Context, r repo.Repo, up upstreamKey, cred *meta.UpstreamCredentials, ch challenge, scope string, target *url.URL, fresh bool) (string, error) {
	switch ch.Scheme {
	case "basic":
		if cred != nil && cred.Scheme == repo.SchemeBasic {
			return "Basic " + base64.StdEncoding.EncodeToString([]byte(cred.Username+":"+cred.Secret)), nil
		}
	case "bearer":
		if cred != nil && cred.Scheme == repo.SchemeBearer {
			// A stored Bearer secret is the registry's token itself.
			return "Bearer " + cred.Secret, nil
		}
		tok, err := g.token(ctx, r, up, cred, ch, scope, target, fresh)
		if err != nil {
			return "", err
		}
		return "Bearer " + tok, nil
	}
	return "", nil
}

// token returns a token for scope: the cached one unless fresh, else one
// fetched from ch's realm (once among concurrent requests for it).
func (g *Registry) token(ctx context.Context, r repo.Repo, up upstreamKey, cred *meta.UpstreamCredentials, ch challenge, scope string, target *url.URL, fresh bool) (string, error) {
	k := tokenKey{upstreamKey: up, scope: scope}
	if cred != nil {
		k.credentials = cred.UpdatedAt.UnixMicro()
	}
	if fresh {
		g.tokens.Drop(k)
	} else if t, ok := g.tokens.Get(k, g.c.now()); ok && g.c.now().Before(t.until) {
		return t.value, nil
	}
	var mine string
	err := g.flights.do(fmt.Sprintf("%s\x00%d\x00%s\x00%d\x00%s", up.repo, up.created, up.url, k.credentials, scope), func() error {
		t, err := g.fetchToken(ctx, r, cred, ch, scope, target)
		if err != nil {
			return err
		}
		// A token fetched now is good whatever was dropped meanwhile.
		g.tokens.Put(k, t, g.c.now(), g.tokens.Generation())
		mine = t.value
		return nil
	})
	if err != nil || mine != "" {
		return mine, err
	}
	if t, ok := g.tokens.Get(k, g.c.now()); ok {
		return t.value, nil // fetched by the request this one waited for
	}
	t, err := g.fetchToken(ctx, r, cred, ch, scope, target)
	return t.value, err
}

// tokenAnswer is a token endpoint's answer (Distribution's token.md).
type tokenAnswer struct {
	Token       string `json:"token"`
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
}

// fetchToken asks ch's realm for a token for scope (the challenge's own
// scope when it names one), through the SSRF guard. Basic credentials go
// along only when the realm is https or on the upstream's own host: an
// upstream cannot send them to a plain-http host of its choosing.
func (g *Registry) fetchToken(ctx context.Context, r repo.Repo, cred *meta.UpstreamCredentials, ch challenge, scope string, target *url.URL) (upstreamToken, error) {
	realm, err := url.Parse(ch.Params["realm"])
	if err != nil || (realm.Scheme != "http" && realm.Scheme != "https") || realm.Host == "" || realm.User != nil {
		return upstreamToken{}, fault.Coded(fault.KindBadGateway, "upstream_invalid", "the upstream of repository %q asks for a token from an invalid realm", r.Key)
	}
	q := realm.Query()
	if s := ch.Params["service"]; s != "" {
		q.Set("service", s)
	}
	if s := ch.Params["scope"]; s != "" {
		scope = s
	}
	if scope != "" {
		q.Set("scope", scope)
	}
	realm.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, realm.String(), nil)
	if err != nil {
		return upstreamToken{}, upstreamError(r, err)
	}
	where := realm.Scheme + "://" + realm.Host + realm.Path // for logs and messages: no query
	if cred != nil && cred.Scheme == repo.SchemeBasic {
		if realm.Scheme == "https" || strings.EqualFold(realm.Hostname(), target.Hostname()) {
			req.SetBasicAuth(cred.Username, cred.Secret)
		} else {
			g.c.log.WarnContext(ctx, "upstream token realm is plain http on another host; asking it without credentials",
				slog.String("repo", r.Key), slog.String("realm", where))
		}
	}
	resp, err := g.c.http.Do(req)
	if err != nil {
		return upstreamToken{}, upstreamError(r, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusUnauthorized, http.StatusForbidden:
		return upstreamToken{}, fault.Coded(fault.KindBadGateway, "upstream_unauthorized",
			"the token service of the upstream of repository %q (%s) refused its credentials (HTTP %d): check the repository's upstream credentials",
			r.Key, where, resp.StatusCode)
	default:
		return upstreamToken{}, upstreamError(r, fmt.Errorf("the token service %s answered HTTP %d", where, resp.StatusCode))
	}
	body, err := netguard.ReadAll(resp.Body, maxTokenBytes)
	if err != nil {
		return upstreamToken{}, upstreamError(r, err)
	}
	var a tokenAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return upstreamToken{}, fault.Coded(fault.KindBadGateway, "upstream_invalid", "the token service of the upstream of repository %q (%s) did not answer JSON", r.Key, where)
	}
	value := a.Token
	if value == "" {
		value = a.AccessToken
	}
	if value == "" || strings.ContainsAny(value, " \t\r\n") {
		return upstreamToken{}, fault.Coded(fault.KindBadGateway, "upstream_invalid", "the token service of the upstream of repository %q (%s) answered no usable token", r.Key, where)
	}
	life := max(time.Duration(a.ExpiresIn)*time.Second, minTokenLife)
	g.c.log.DebugContext(ctx, "upstream token issued", slog.String("repo", r.Key), slog.String("realm", where),
		slog.String("scope", scope), slog.Duration("expiresIn", life))
	// Renewed a little before it expires, so that a request never carries
	// one that expires on the way.
	return upstreamToken{value: value, until: g.c.now().Add(life - life/10)}, nil
}
