package oci

import (
	"testing"

	"github.com/artifortress/artifortress/internal/repo"
)

// TestUpstreamOf: the upstreamUrl's path prefixes names, Docker Hub's
// one-component names are in library/, and Docker Hub is asked at the
// host that serves its API.
func TestUpstreamOf(t *testing.T) {
	for _, tc := range []struct{ upstreamURL, image, base, name string }{
		{"https://registry-1.docker.io", "alpine", "https://registry-1.docker.io/v2/library/alpine/", "library/alpine"},
		{"https://docker.io/", "bitnami/redis", "https://registry-1.docker.io/v2/bitnami/redis/", "bitnami/redis"},
		{"https://index.docker.io/library", "alpine", "https://registry-1.docker.io/v2/library/alpine/", "library/alpine"},
		{"http://127.0.0.1:5000/some/prefix", "app", "http://127.0.0.1:5000/v2/some/prefix/app/", "some/prefix/app"},
		{"http://127.0.0.1:5000/v2/", "team/app", "http://127.0.0.1:5000/v2/team/app/", "team/app"},
		{"https://ghcr.io", "owner/app", "https://ghcr.io/v2/owner/app/", "owner/app"},
		{"https://ghcr.io", "app", "https://ghcr.io/v2/app/", "app"},
	} {
		up, err := upstreamOf(repo.Repo{Key: "hub", UpstreamURL: tc.upstreamURL}, tc.image)
		if err != nil || up.base != tc.base || up.name != tc.name || up.scope() != "repository:"+tc.name+":pull" {
			t.Errorf("upstreamOf(%q, %q) = %+v, %v; want %s %s", tc.upstreamURL, tc.image, up, err, tc.base, tc.name)
		}
	}
	for _, bad := range []string{"ftp://host", "https://user:pw@host", "https://host?x=1", "https://host/Upper"} {
		if _, err := upstreamOf(repo.Repo{Key: "hub", UpstreamURL: bad}, "app"); err == nil {
			t.Errorf("upstreamOf(%q) accepted", bad)
		}
	}
}
