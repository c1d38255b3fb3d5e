package oci_test

import (
	"testing"

	"github.com/artifortress/artifortress/internal/config"
	"github.com/artifortress/artifortress/internal/ocitest"
	"github.com/artifortress/artifortress/internal/servertest"
)

// TestConformance runs the OCI distribution-spec conformance suite (ADR
// 0010 §7: every check on, sha512 and referrers included) and its legacy
// Ginkgo suite against local repositories, on every blob store and
// database: every check must pass.
func TestConformance(t *testing.T) {
	servertest.ForEachStack(t, func(t *testing.T, b servertest.Backend, opt func(*config.Config)) {
		env := servertest.Start(t, b, opt)
		for _, key := range []string{"conf-a", "conf-b"} {
			env.CreateRepo(t, key, map[string]any{"format": "oci"})
		}
		pat := env.Token(t, "conformance", "repo:conf-a:admin", "repo:conf-b:admin")
		res := ocitest.RunConformance(t, ocitest.ConformanceOptions{Registry: env.URL, Username: "conformance", Password: pat})
		t.Logf("conformance runner: %s", res.Counts)
		if !res.Passed() {
			t.Errorf("conformance runner:\n%s", res.Report())
		}
		legacy := ocitest.RunLegacyConformance(t, ocitest.LegacyOptions{Registry: env.URL, Username: "conformance", Password: pat})
		t.Logf("legacy suite: %s", legacy.Counts)
		if !legacy.Passed() {
			t.Errorf("legacy suite:\n%s", legacy.Report())
		}
	})
}
