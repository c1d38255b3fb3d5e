package ocitest_test

import (
	"errors"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"github.com/artifortress/artifortress/internal/ocitest"
)

// TestDistributionBasicAuthAndStop checks what the remote tests rely on: a
// private upstream that challenges with Basic and knows one user, and
// that is gone, connections refused, once stopped.
func TestDistributionBasicAuthAndStop(t *testing.T) {
	reg := ocitest.StartDistribution(t, ocitest.DistributionOptions{Username: "alice", Password: "s3cret pass"})
	ping := func(user, pass string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, reg.URL+"/v2/", nil)
		if err != nil {
			t.Fatal(err)
		}
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return resp, err
	}
	for _, tt := range []struct {
		user, pass string
		want       int
	}{
		{"", "", http.StatusUnauthorized},
		{"alice", "wrong", http.StatusUnauthorized},
		{"bob", "s3cret pass", http.StatusUnauthorized},
		{"alice", "s3cret pass", http.StatusOK},
	} {
		resp, err := ping(tt.user, tt.pass)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != tt.want {
			t.Errorf("GET /v2/ as %q/%q: %s, want %d", tt.user, tt.pass, resp.Status, tt.want)
		}
		if resp.StatusCode == http.StatusUnauthorized && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
			t.Errorf("401 challenge %q, want Basic", resp.Header.Get("WWW-Authenticate"))
		}
	}

	reg.Stop()
	if _, err := ping("alice", "s3cret pass"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("GET /v2/ after Stop: %v, want connection refused", err)
	}
	reg.Stop() // a second Stop, and the cleanup's, are no-ops
}

// TestDistributionAnonymous checks the default: no auth, /v2/ answers 200.
func TestDistributionAnonymous(t *testing.T) {
	reg := ocitest.StartDistribution(t, ocitest.DistributionOptions{})
	resp, err := http.Get(reg.URL + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(reg.URL, "http://127.0.0.1:") || reg.URL != "http://"+reg.Host {
		t.Errorf("GET %s/v2/: %s (host %q)", reg.URL, resp.Status, reg.Host)
	}
}
