package publicurl

import (
	"net/http/httptest"
	"testing"
)

func TestBase(t *testing.T) {
	trusted, err := ParseTrusted("10.0.0.0/8, 127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		res     Resolver
		remote  string
		headers map[string]string
		want    string
	}{
		{"own host", Resolver{}, "192.0.2.1:5000", nil, "http://example.test"},
		{"own host, hostile", Resolver{}, "192.0.2.1:5000", map[string]string{"Host": "x\"y"}, "http://localhost"},
		{"configured wins", Resolver{Configured: "https://repo.example.com/", Trusted: trusted}, "10.1.2.3:1",
			map[string]string{"X-Forwarded-Host": "evil.test"}, "https://repo.example.com"},
		{"untrusted headers ignored", Resolver{Trusted: trusted}, "192.0.2.1:5000",
			map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.test", "X-Forwarded-Prefix": "/x"}, "http://example.test"},
		{"no trusted proxies: ignored", Resolver{}, "10.1.2.3:1",
			map[string]string{"X-Forwarded-Host": "evil.test"}, "http://example.test"},
		{"trusted proxy", Resolver{Trusted: trusted}, "10.1.2.3:1",
			map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "repo.example.com:8443", "X-Forwarded-Prefix": "/artifacts/"}, "https://repo.example.com:8443/artifacts"},
		{"last of a chain: what the nearest proxy added", Resolver{Trusted: trusted}, "127.0.0.1:1",
			map[string]string{"X-Forwarded-Proto": "http, https", "X-Forwarded-Host": "client-chosen.example, repo.example.com"}, "https://repo.example.com"},
		{"hostile values dropped", Resolver{Trusted: trusted}, "10.0.0.1:1",
			map[string]string{"X-Forwarded-Proto": "javascript", "X-Forwarded-Host": "a.example.com/evil?x", "X-Forwarded-Prefix": "/../etc"}, "http://example.test"},
		{"prefix with spaces dropped", Resolver{Trusted: trusted}, "10.0.0.1:1",
			map[string]string{"X-Forwarded-Prefix": "/a b"}, "http://example.test"},
		{"IPv4-mapped proxy", Resolver{Trusted: trusted}, "[::ffff:10.0.0.1]:1",
			map[string]string{"X-Forwarded-Proto": "https"}, "https://example.test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "http://example.test/r/x", nil)
			r.RemoteAddr = tc.remote
			for k, v := range tc.headers {
				if k == "Host" {
					r.Host = v
					continue
				}
				r.Header.Set(k, v)
			}
			if got := tc.res.Base(r); got != tc.want {
				t.Fatalf("Base = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseTrustedRefusesJunk(t *testing.T) {
	if _, err := ParseTrusted("10.0.0.0/8,not-an-address"); err == nil {
		t.Fatal("accepted junk")
	}
}

func FuzzBase(f *testing.F) {
	f.Add("https", "repo.example.com", "/prefix")
	f.Add("http", "[::1]:80", "/a/../b")
	trusted, _ := ParseTrusted("0.0.0.0/0")
	f.Fuzz(func(t *testing.T, proto, host, prefix string) {
		r := httptest.NewRequest("GET", "http://example.test/", nil)
		r.RemoteAddr = "10.0.0.1:1"
		r.Header.Set("X-Forwarded-Proto", proto)
		r.Header.Set("X-Forwarded-Host", host)
		r.Header.Set("X-Forwarded-Prefix", prefix)
		got := Resolver{Trusted: trusted}.Base(r)
		for _, c := range got {
			if c <= ' ' || c == '"' || c == '<' || c == '>' || c == '\\' || c == '?' || c == '#' {
				t.Fatalf("base URL %q carries %q from a header", got, c)
			}
		}
	})
}
