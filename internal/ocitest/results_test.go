package ocitest

import (
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The parsers are tested on trimmed real reports, so that they are checked
// on every machine, with or without the suites installed.

func TestReadRunnerResults(t *testing.T) {
	apis, data, err := readResultsYAML(filepath.Join("testdata", "runner", "results.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	wantAPIs := map[string]string{"Blob delete": "Pass", "Ping": "Pass", "Referrers": "FAIL", "Tag listing": "FAIL"}
	wantData := map[string]string{"Image": "Pass", "Missing Subject": "FAIL", "Sparse Manifests": "Disabled"}
	if !reflect.DeepEqual(apis, wantAPIs) || !reflect.DeepEqual(data, wantData) {
		t.Errorf("apis %v, data %v; want %v, %v", apis, data, wantAPIs, wantData)
	}

	checks, tests, failures, err := readRunnerJUnit(filepath.Join("testdata", "runner", "junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Counts{Passed: 7, Failed: 3, Skipped: 2}); checks != want {
		t.Errorf("checks %+v, want %+v", checks, want)
	}
	if want := (Counts{Passed: 1, Failed: 1, Errors: 1, Skipped: 1}); tests != want {
		t.Errorf("tests %+v, want %+v", tests, want)
	}
	var names []string
	for _, f := range failures {
		names = append(names, f.Name+" "+f.Status)
	}
	want := []string{"OCI Conformance Test/empty/referrers failure", "OCI Conformance Test/image/pull/manifest-by-tag error"}
	if !slices.Equal(names, want) {
		t.Errorf("failures %q, want %q", names, want)
	}
	if len(failures) > 0 && !strings.Contains(failures[0].Message, "received 404") {
		t.Errorf("failure message %q lacks the runner's error", failures[0].Message)
	}
}

func TestConformanceProblems(t *testing.T) {
	pass := ConformanceResult{
		APIs: map[string]string{"Ping": "Pass"},
		Data: map[string]string{"Image": "Pass", "Sparse Manifests": "Disabled"},
	}
	tests := []struct {
		name string
		edit func(*ConformanceResult)
		want []string // substrings of the problems, in order; none: passed
	}{
		{"all pass, sparse off by design", func(*ConformanceResult) {}, nil},
		{"exit status", func(r *ConformanceResult) { r.ExitCode = 1 }, []string{"status 1"}},
		{"config did not load: exit 0, no results", func(r *ConformanceResult) {
			r.APIs, r.Data, r.Err = nil, nil, errNoResults
		}, []string{"no results.yaml"}},
		{"empty results", func(r *ConformanceResult) { r.APIs = nil }, []string{"no APIs"}},
		{"api not passing", func(r *ConformanceResult) { r.APIs = map[string]string{"Ping": "Pass", "Referrers": "Skip"} }, []string{"apis: Referrers: Skip"}},
		{"other data disabled", func(r *ConformanceResult) {
			r.Data = map[string]string{"Image": "Disabled", "Sparse Manifests": "Disabled"}
		}, []string{"data: Image: Disabled"}},
		{"data never run", func(r *ConformanceResult) { r.Data = map[string]string{"Image": "Unknown"} }, []string{"data: Image: Unknown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := pass
			tt.edit(&r)
			got := r.Problems()
			if len(got) != len(tt.want) || r.Passed() != (len(tt.want) == 0) {
				t.Fatalf("problems %q, passed %v; want %q", got, r.Passed(), tt.want)
			}
			for i := range got {
				if !strings.Contains(got[i], tt.want[i]) {
					t.Errorf("problem %d %q lacks %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestReadGinkgoJUnit(t *testing.T) {
	counts, failures, err := readGinkgoJUnit(filepath.Join("testdata", "legacy", "junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	// The passed reporter node is no spec; the panicked BeforeSuite is an error.
	if want := (Counts{Passed: 1, Failed: 1, Errors: 1, Skipped: 1, Disabled: 1}); counts != want {
		t.Errorf("counts %+v, want %+v", counts, want)
	}
	if len(failures) != 2 {
		t.Fatalf("failures %+v, want the cross-mount spec and the BeforeSuite", failures)
	}
	if f := failures[0]; f.Status != "failed" || !strings.Contains(f.Name, "Cross-mounting") ||
		!strings.Contains(f.Message, "02_push_test.go:311") {
		t.Errorf("failure %+v: want the spec, its state and the description with its location", f)
	}
	if f := failures[1]; f.Name != "[BeforeSuite]" || f.Status != "panicked" || !strings.Contains(f.Message, "nil pointer") {
		t.Errorf("failure %+v: want the panicked BeforeSuite with its message", f)
	}
	r := LegacyResult{Counts: counts, Failures: failures}
	if r.Passed() || !strings.Contains(r.Report(), "202") {
		t.Errorf("a run with a failed spec passed, or its report lacks the failure:\n%s", r.Report())
	}
}

func TestReadMissingReports(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := readResultsYAML(filepath.Join(dir, "results.yaml")); err == nil {
		t.Error("no results.yaml: no error")
	}
	if _, _, _, err := readRunnerJUnit(filepath.Join(dir, "junit.xml")); err == nil {
		t.Error("no runner junit.xml: no error")
	}
	if _, _, err := readGinkgoJUnit(filepath.Join(dir, "junit.xml")); err == nil {
		t.Error("no Ginkgo junit.xml: no error")
	}
}

func TestSuiteEnvDropsInheritedOCISettings(t *testing.T) {
	t.Setenv("OCI_ROOT_URL", "http://elsewhere:5000") // the runner honours this legacy name too
	t.Setenv("OCI_DATA_SHA512", "false")
	t.Setenv("ARTIFORTRESS_KEEP", "1")
	env := suiteEnv(map[string]string{"OCI_REGISTRY": "127.0.0.1:1", "OCI_DATA_SHA512": "true"})
	for _, kv := range env {
		if strings.HasPrefix(kv, "OCI_") && kv != "OCI_REGISTRY=127.0.0.1:1" && kv != "OCI_DATA_SHA512=true" {
			t.Errorf("inherited %s reaches the suite", kv)
		}
	}
	if !slices.Contains(env, "ARTIFORTRESS_KEEP=1") {
		t.Error("non-OCI variables are dropped")
	}
}
