package ocitest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/ocitest"
)

// TestConformanceAgainstDistribution proves the harness on a real
// registry: both suites run, with credentials, and their reports are read.
// It asserts nothing about Distribution's conformance, which is not the
// reference (it fails sha512, referrers and more checks); the counts are
// logged for comparison with later runs.
func TestConformanceAgainstDistribution(t *testing.T) {
	const user, pass = "conformance", "not-a-secret"
	reg := ocitest.StartDistribution(t, ocitest.DistributionOptions{Username: user, Password: pass})

	t.Run("runner", func(t *testing.T) {
		res := ocitest.RunConformance(t, ocitest.ConformanceOptions{Registry: reg.URL, Username: user, Password: pass})
		t.Logf("exit %d; checks: %s; tests: %s; %d failures", res.ExitCode, res.Counts, res.Tests, len(res.Failures))
		if res.Err != nil {
			t.Fatalf("%v\n%s", res.Err, res.Report())
		}
		if res.Counts.Passed == 0 || res.Tests.Passed == 0 || len(res.APIs) == 0 || len(res.Data) == 0 {
			t.Fatalf("results not read:\n%s", res.Report())
		}
		// The credentials reached the runner: it got past the ping.
		if res.APIs["Ping"] != "Pass" {
			t.Errorf("Ping: %q, want Pass (did the login work?)\n%s", res.APIs["Ping"], res.Report())
		}
		if n := res.Tests.Failed + res.Tests.Errors; len(res.Failures) != n {
			t.Errorf("%d failures listed, %d tests failed or errored", len(res.Failures), n)
		}
		if res.Passed() != (res.ExitCode == 0 && len(res.Failures) == 0) {
			t.Errorf("Passed() = %v with exit %d and %d failures", res.Passed(), res.ExitCode, len(res.Failures))
		}
	})

	t.Run("legacy", func(t *testing.T) {
		res := ocitest.RunLegacyConformance(t, ocitest.LegacyOptions{Registry: reg.URL, Username: user, Password: pass})
		t.Logf("exit %d; specs: %s", res.ExitCode, res.Counts)
		for _, f := range res.Failures {
			t.Logf("failed: %s", f.Name)
		}
		if res.Err != nil {
			t.Fatalf("%v\n%s", res.Err, res.Report())
		}
		if res.Counts.Passed == 0 {
			t.Fatalf("no spec passed: report not read, or the login failed:\n%s", res.Report())
		}
		if res.Passed() != (res.ExitCode == 0 && res.Counts.Failed+res.Counts.Errors == 0) {
			t.Errorf("Passed() = %v with exit %d and counts %s", res.Passed(), res.ExitCode, res.Counts)
		}
	})
}

// TestConformanceConfigErrorIsFailure pins the trap ADR 0010 names: the
// runner exits 0 when its configuration does not load. That must not pass,
// even where an earlier run left a passing results.yaml.
func TestConformanceConfigErrorIsFailure(t *testing.T) {
	dir := t.TempDir()
	stale := "apis:\n  Ping: Pass\ndata:\n  Image: Pass\n"
	if err := os.WriteFile(filepath.Join(dir, "results.yaml"), []byte(stale), 0o644); err != nil {
		t.Fatal(err)
	}
	res := ocitest.RunConformance(t, ocitest.ConformanceOptions{
		Registry:   "http://127.0.0.1:1", // never reached
		Env:        map[string]string{"OCI_VERSION": "0.9"},
		ResultsDir: dir,
	})
	if res.ExitCode != 0 {
		t.Fatalf("the runner exited %d on a bad version; the trap this test pins is exit 0\n%s", res.ExitCode, res.Output)
	}
	if res.Passed() || res.Err == nil {
		t.Fatalf("a run whose configuration did not load passed (err %v)\n%s", res.Err, res.Report())
	}
	if !strings.Contains(res.Report(), "unsupported config version") {
		t.Errorf("the report does not show the runner's complaint:\n%s", res.Report())
	}
}
