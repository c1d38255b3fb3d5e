package remote

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/netguard"
	"github.com/artifortress/artifortress/internal/repo"
)

func TestParseChallenges(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want []challenge
	}{
		{[]string{`Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"`},
			[]challenge{{"bearer", map[string]string{"realm": "https://auth.docker.io/token", "service": "registry.docker.io", "scope": "repository:library/alpine:pull"}}}},
		{[]string{`Basic realm="Registry Realm"`}, []challenge{{"basic", map[string]string{"realm": "Registry Realm"}}}},
		{[]string{`Basic realm="a", Bearer realm="b" , Scope = "x\"y"`},
			[]challenge{{"basic", map[string]string{"realm": "a"}}, {"bearer", map[string]string{"realm": "b", "scope": `x"y`}}}},
		{[]string{`Basic abc==`, `Bearer realm=tok`}, []challenge{{"basic", map[string]string{}}, {"bearer", map[string]string{"realm": "tok"}}}},
		{[]string{`Bearer realm="unterminated`}, []challenge{{"bearer", map[string]string{}}}},
		{[]string{`realm="no scheme"`, ``, `,,`}, nil},
	} {
		if got := parseChallenges(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseChallenges(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
	if ch, ok := pick(parseChallenges([]string{`Basic realm="x"`, `Bearer realm="y"`})); !ok || ch.Scheme != "bearer" {
		t.Errorf("pick prefers %v", ch)
	}
}

// tokenRegistry is a registry that wants a token from its realm for every
// request, and a realm that counts what it is asked and with what.
type tokenRegistry struct {
	registry, realm *httptest.Server
	mu              sync.Mutex
	issued          []string // the Authorization each token request carried
	scopes          []string
	refuse          bool // the realm answers 401
}

func newTokenRegistry(t *testing.T, realmHost string) *tokenRegistry {
	tr := &tokenRegistry{}
	tr.realm = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr.mu.Lock()
		defer tr.mu.Unlock()
		tr.issued = append(tr.issued, r.Header.Get("Authorization"))
		tr.scopes = append(tr.scopes, r.URL.Query().Get("service")+" "+r.URL.Query().Get("scope"))
		if tr.refuse {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"access_token": "tok-" + r.URL.Query().Get("scope"), "expires_in": 300})
	}))
	t.Cleanup(tr.realm.Close)
	realm := strings.Replace(tr.realm.URL, "127.0.0.1", realmHost, 1) + "/token"
	tr.registry = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scope := "repository:" + strings.Split(strings.TrimPrefix(r.URL.Path, "/v2/"), "/manifests/")[0] + ":pull"
		if r.Header.Get("Authorization") != "Bearer tok-"+scope {
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+realm+`",service="test-registry",scope="`+scope+`"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Docker-Content-Digest", "sha256:x")
	}))
	t.Cleanup(tr.registry.Close)
	return tr
}

func (tr *tokenRegistry) requests() (auth, scopes []string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]string(nil), tr.issued...), append([]string(nil), tr.scopes...)
}

// newRegistryClient is newClient's client as a registry client of r's
// upstream, with Basic credentials stored for it.
func newRegistryClient(t *testing.T, upstreamURL string) (*Registry, repo.Repo, *time.Time) {
	t.Helper()
	c, r, clock := newClient(t, &upstream{Server: &httptest.Server{URL: upstreamURL}})
	guard, err := netguard.New(netguard.Config{Allow: []string{"127.0.0.1", "::1", "localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	c.http = guard.Client()
	r.UpstreamURL = upstreamURL
	if err := c.db.PutUpstreamCredentials(context.Background(), meta.UpstreamCredentials{Repo: r.Key, Scheme: repo.SchemeBasic, Username: "mirror", Secret: "s3cret", UpdatedAt: *clock}); err != nil {
		t.Fatal(err)
	}
	return NewRegistry(c), r, clock
}

func head(t *testing.T, g *Registry, r repo.Repo, name string) error {
	t.Helper()
	resp, err := g.Do(context.Background(), r, RegistryRequest{Method: http.MethodHead, URL: r.UpstreamURL + "/v2/" + name + "/manifests/v1",
		Scope: "repository:" + name + ":pull", NotFound: "MANIFEST_UNKNOWN"})
	if err == nil {
		resp.Body.Close()
	}
	return err
}

// TestBearerTokenFlow: a 401 Bearer challenge is answered with a token
// from the realm (with the Basic credentials: the realm is on the
// upstream's host), which is cached per scope until shortly before it
// expires and replaced when the upstream refuses it.
func TestBearerTokenFlow(t *testing.T) {
	tr := newTokenRegistry(t, "127.0.0.1")
	g, r, clock := newRegistryClient(t, tr.registry.URL)
	for range 3 {
		if err := head(t, g, r, "team/app"); err != nil {
			t.Fatal(err)
		}
	}
	if err := head(t, g, r, "team/other"); err != nil {
		t.Fatal(err)
	}
	auth, scopes := tr.requests()
	if len(auth) != 2 || auth[0] != "Basic bWlycm9yOnMzY3JldA==" {
		t.Fatalf("token requests %q, want 2 with the Basic credentials", auth)
	}
	if scopes[0] != "test-registry repository:team/app:pull" || scopes[1] != "test-registry repository:team/other:pull" {
		t.Errorf("token scopes %q", scopes)
	}
	*clock = clock.Add(271 * time.Second) // 90% of 300 s: renewed before it expires
	if err := head(t, g, r, "team/app"); err != nil {
		t.Fatal(err)
	}
	if auth, _ := tr.requests(); len(auth) != 3 {
		t.Errorf("%d token requests after the token's renewal time, want 3", len(auth))
	}
	tr.mu.Lock()
	tr.refuse = true
	tr.mu.Unlock()
	err := head(t, g, r, "team/third")
	if fe := fault.As(err); fe == nil || fe.Code != "upstream_unauthorized" || strings.Contains(fe.Message, "s3cret") {
		t.Errorf("a refusing realm: %v", err)
	}
}

// TestRealmCredentialsRule: Basic credentials never go to a plain-http
// realm on another host than the upstream's; the token is still asked
// for, anonymously.
func TestRealmCredentialsRule(t *testing.T) {
	tr := newTokenRegistry(t, "localhost")
	g, r, _ := newRegistryClient(t, tr.registry.URL)
	if err := head(t, g, r, "team/app"); err != nil {
		t.Fatal(err)
	}
	if auth, _ := tr.requests(); len(auth) != 1 || auth[0] != "" {
		t.Errorf("token requests to a plain-http realm elsewhere carried %q, want nothing", auth)
	}
}
