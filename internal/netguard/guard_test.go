package netguard_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/netguard"
)

func newGuard(t *testing.T, cfg netguard.Config) *netguard.Guard {
	t.Helper()
	g, err := netguard.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// receiver starts a local HTTP server answering "ok" and returns its URL.
func receiver(t *testing.T) *url.URL {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func get(t *testing.T, c *http.Client, u string) error {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := netguard.ReadAll(resp.Body, 1024)
	if err != nil {
		return err
	}
	if string(body) != "ok" {
		return fmt.Errorf("body %q", body)
	}
	return nil
}

func wantBlocked(t *testing.T, err error, addr string) {
	t.Helper()
	if !errors.Is(err, netguard.ErrBlocked) {
		t.Fatalf("error = %v, want a refusal (ErrBlocked)", err)
	}
	var be *netguard.BlockedError
	if !errors.As(err, &be) {
		t.Fatalf("error %v holds no *BlockedError", err)
	}
	if addr != "" && be.Addr != netip.MustParseAddr(addr) {
		t.Errorf("refused address %s, want %s", be.Addr, addr)
	}
	if !strings.Contains(err.Error(), "allow-list") {
		t.Errorf("error %q does not tell how to permit the address", err)
	}
}

func TestClientRefusesLoopback(t *testing.T) {
	u := receiver(t)
	c := newGuard(t, netguard.Config{}).Client()
	wantBlocked(t, get(t, c, u.String()), "127.0.0.1")
}

// TestClientRefusesNameResolvingToLoopback: the check is on the address
// dialled, after resolution, so a name does not get around it.
func TestClientRefusesNameResolvingToLoopback(t *testing.T) {
	if addrs, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", "localhost"); err != nil || len(addrs) == 0 {
		t.Skipf("localhost does not resolve here: %v", err)
	}
	u := receiver(t)
	c := newGuard(t, netguard.Config{}).Client()
	wantBlocked(t, get(t, c, "http://localhost:"+u.Port()+"/"), "")
}

func TestClientAllowList(t *testing.T) {
	u := receiver(t)
	t.Run("address", func(t *testing.T) {
		c := newGuard(t, netguard.Config{Allow: []string{"127.0.0.1"}}).Client()
		if err := get(t, c, u.String()); err != nil {
			t.Fatalf("allow-listed 127.0.0.1: %v", err)
		}
	})
	t.Run("cidr", func(t *testing.T) {
		c := newGuard(t, netguard.Config{Allow: []string{"127.0.0.0/8"}}).Client()
		if err := get(t, c, u.String()); err != nil {
			t.Fatalf("allow-listed 127.0.0.0/8: %v", err)
		}
	})
	t.Run("name_resolving_to_allowed_address", func(t *testing.T) {
		c := newGuard(t, netguard.Config{Allow: []string{"127.0.0.1"}}).Client()
		// localhost may resolve to ::1 first (refused), then 127.0.0.1.
		if err := get(t, c, "http://localhost:"+u.Port()+"/"); err != nil {
			t.Fatalf("localhost with 127.0.0.1 allowed: %v", err)
		}
	})
	t.Run("host_name", func(t *testing.T) {
		c := newGuard(t, netguard.Config{Allow: []string{"localhost"}}).Client()
		if err := get(t, c, "http://localhost:"+u.Port()+"/"); err != nil {
			t.Fatalf("allow-listed name localhost: %v", err)
		}
		// The name allows the name, not the address.
		wantBlocked(t, get(t, c, u.String()), "127.0.0.1")
	})
	t.Run("other_address", func(t *testing.T) {
		c := newGuard(t, netguard.Config{Allow: []string{"10.0.0.0/8"}}).Client()
		wantBlocked(t, get(t, c, u.String()), "127.0.0.1")
	})
}

// TestRedirectsAreGuarded: a server the guard lets through cannot bounce
// the client to a refused address.
func TestRedirectsAreGuarded(t *testing.T) {
	if addrs, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip", "localhost"); err != nil || len(addrs) == 0 {
		t.Skipf("localhost does not resolve here: %v", err)
	}
	target := receiver(t)
	bounce := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.String(), http.StatusFound) // http://127.0.0.1:port
	}))
	t.Cleanup(bounce.Close)
	bounceURL, _ := url.Parse(bounce.URL)
	// The name localhost is allowed; the address 127.0.0.1 is not.
	viaName := "http://localhost:" + bounceURL.Port() + "/"

	t.Run("not_followed_by_default", func(t *testing.T) {
		c := newGuard(t, netguard.Config{Allow: []string{"localhost"}}).Client()
		resp, err := c.Get(viaName)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound {
			t.Errorf("status %d, want the 302 itself", resp.StatusCode)
		}
	})
	t.Run("followed_and_checked", func(t *testing.T) {
		c := newGuard(t, netguard.Config{Allow: []string{"localhost"}, MaxRedirects: 3}).Client()
		_, err := c.Get(viaName)
		wantBlocked(t, err, "127.0.0.1")
	})
	t.Run("followed_when_allowed", func(t *testing.T) {
		c := newGuard(t, netguard.Config{Allow: []string{"localhost", "127.0.0.1"}, MaxRedirects: 3}).Client()
		if err := get(t, c, viaName); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDialerChecks(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	g := newGuard(t, netguard.Config{})
	_, err = g.Dialer().DialContext(context.Background(), "tcp", ln.Addr().String())
	wantBlocked(t, err, "127.0.0.1")
	_, err = g.DialContext(context.Background(), "tcp", ln.Addr().String())
	wantBlocked(t, err, "127.0.0.1")
}

func TestResponseHeaderTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	c := newGuard(t, netguard.Config{Allow: []string{"127.0.0.1"}, ResponseHeaderTimeout: 50 * time.Millisecond}).Client()
	_, err := c.Get(srv.URL)
	if err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("error = %v, want a response header timeout", err)
	}
}
