package ocitest

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/testenv"
)

// ConformanceTool is the binary of the distribution-spec conformance
// runner that scripts/test.sh builds (pinned there).
const ConformanceTool = "oci-conformance"

// ConformanceOptions says what registry the runner tests and how.
type ConformanceOptions struct {
	// Registry is the registry's root URL, http://host:port (required).
	Registry string
	// Repo1 and Repo2 are the names pushed to (OCI_REPO1, OCI_REPO2; Repo2
	// is the source of cross-repository mounts). Default conf-a/app and
	// conf-b/app, the names ADR 0010's driver creates.
	Repo1, Repo2 string
	// Username and Password log in with Basic (or trade it for a token);
	// empty for anonymous.
	Username, Password string
	// Env adds or overrides OCI_* settings, applied last: OCI_LOG=debug to
	// see every request, OCI_FILTER_TEST to run a part. A run that turns a
	// check off no longer passes (it reports Disabled). OCI_RESULTS_DIR is
	// ResultsDir's.
	Env map[string]string
	// ResultsDir receives results.yaml, junit.xml and report.html; default
	// a directory of t.TempDir (set it to keep the HTML report).
	ResultsDir string
	// Timeout bounds the run (default 20 minutes, and before the test's
	// own deadline).
	Timeout time.Duration
}

// conformanceToggles is every check ADR 0010 §7 requires: the runner's
// defaults for spec 1.1 written out, so that a changed default cannot
// drop a check unnoticed, plus the four 1.1+dev checks it adds. Sparse
// manifests (descriptors whose blobs were never pushed) stay off.
var conformanceToggles = map[string]string{
	"OCI_API_PING":                    "true",
	"OCI_API_PULL":                    "true",
	"OCI_API_PUSH":                    "true",
	"OCI_API_BLOBS_ATOMIC":            "true",
	"OCI_API_BLOBS_DELETE":            "true",
	"OCI_API_BLOBS_MOUNT_ANONYMOUS":   "true",
	"OCI_API_BLOBS_UPLOAD_CANCEL":     "true",
	"OCI_API_BLOBS_DIGEST_HEADER":     "true",
	"OCI_API_MANIFESTS_ATOMIC":        "true",
	"OCI_API_MANIFESTS_DELETE":        "true",
	"OCI_API_MANIFESTS_TAG_PARAM":     "true",
	"OCI_API_MANIFESTS_DIGEST_HEADER": "true",
	"OCI_API_TAGS_ATOMIC":             "true",
	"OCI_API_TAGS_DELETE":             "true",
	"OCI_API_TAGS_LIST":               "true",
	"OCI_API_REFERRER":                "true",
	"OCI_DATA_IMAGE":                  "true",
	"OCI_DATA_INDEX":                  "true",
	"OCI_DATA_INDEX_LIST":             "true",
	"OCI_DATA_SPARSE":                 "false",
	"OCI_DATA_ARTIFACT":               "true",
	"OCI_DATA_SUBJECT":                "true",
	"OCI_DATA_SUBJECT_MISSING":        "true",
	"OCI_DATA_ARTIFACT_LIST":          "true",
	"OCI_DATA_SUBJECT_LIST":           "true",
	"OCI_DATA_DATA_FIELD":             "true",
	"OCI_DATA_NONDISTRIBUTABLE":       "true",
	"OCI_DATA_CUSTOM_FIELDS":          "true",
	"OCI_DATA_NO_LAYERS":              "true",
	"OCI_DATA_EMPTY_BLOB":             "true",
	"OCI_DATA_SHA512":                 "true",
}

// offByDesign are the results.yaml data entries that conformanceToggles
// turns off, which the runner lists as Disabled rather than leaving out:
// they do not count against a pass.
var offByDesign = map[string]bool{"Sparse Manifests": true}

// ConformanceResult is what one run of the runner gave.
type ConformanceResult struct {
	ExitCode int    // the runner's exit status; -1 if it did not finish
	Output   string // what it printed: its own report, then any warnings
	Dir      string // where results.yaml, junit.xml and report.html are
	// APIs and Data are results.yaml's "apis:" and "data:" sections: an API
	// or data type → Pass, FAIL, Error, Skip, Disabled or Unknown.
	APIs, Data map[string]string
	// Counts are the checks by outcome, the totals the runner prints (a
	// test can make several checks); Tests are the tests (the leaves of
	// its tree, as in junit.xml) by outcome.
	Counts, Tests Counts
	Failures      []Failure // the failed or errored tests, in run order
	// Err says why the run or its results could not be read (the runner
	// exits 0, writing nothing, when its configuration does not load); nil
	// when both were.
	Err error
}

// RunConformance runs the conformance runner against opts.Registry with
// every check on, and reads its results. It fails the test only when the
// runner cannot run; a registry that fails checks is for the caller to
// judge with Passed.
func RunConformance(t testing.TB, opts ConformanceOptions) ConformanceResult {
	t.Helper()
	bin := testenv.Tool(t, ConformanceTool)
	host := registryHost(t, opts.Registry)
	res := ConformanceResult{Dir: opts.ResultsDir}
	if res.Dir == "" {
		res.Dir = filepath.Join(t.TempDir(), "results")
	}
	prepareDir(t, res.Dir, "results.yaml", "junit.xml")
	vars := map[string]string{
		"OCI_REGISTRY": host,
		"OCI_TLS":      "disabled",
		"OCI_REPO1":    orDefault(opts.Repo1, "conf-a/app"),
		"OCI_REPO2":    orDefault(opts.Repo2, "conf-b/app"),
		"OCI_USERNAME": opts.Username,
		"OCI_PASSWORD": opts.Password,
		"OCI_VERSION":  "1.1",
	}
	for k, v := range conformanceToggles {
		vars[k] = v
	}
	for k, v := range opts.Env {
		vars[k] = v
	}
	vars["OCI_RESULTS_DIR"] = res.Dir // where the results are read from
	var err error
	res.ExitCode, res.Output, err = runSuite(t, bin, nil, suiteEnv(vars), opts.Timeout)
	if err != nil {
		res.Err = err
		return res
	}
	res.APIs, res.Data, res.Err = readResultsYAML(filepath.Join(res.Dir, "results.yaml"))
	if res.Err != nil {
		return res
	}
	res.Counts, res.Tests, res.Failures, res.Err = readRunnerJUnit(filepath.Join(res.Dir, "junit.xml"))
	return res
}

// Passed reports whether the registry conforms: the runner exited 0, and
// every API and data type of results.yaml is Pass (but those switched off
// by design, which are Disabled). The exit status alone is not enough: the
// runner exits 0 when its configuration fails to load.
func (r ConformanceResult) Passed() bool { return len(r.Problems()) == 0 }

// Problems lists why the run did not pass, one line each; none if it did.
func (r ConformanceResult) Problems() []string {
	p := runProblems("runner", r.ExitCode, r.Err)
	if r.Err == nil && (len(r.APIs) == 0 || len(r.Data) == 0) {
		p = append(p, "results.yaml lists no APIs or no data types")
	}
	p = append(p, notPassing("apis", r.APIs, nil)...)
	p = append(p, notPassing("data", r.Data, offByDesign)...)
	return p
}

// notPassing lists the entries of a results.yaml section that are not
// Pass, sorted, except Disabled ones that allowed names.
func notPassing(section string, m map[string]string, allowed map[string]bool) []string {
	var p []string
	for name, status := range m {
		if status == "Pass" || (status == "Disabled" && allowed[name]) {
			continue
		}
		p = append(p, fmt.Sprintf("%s: %s: %s", section, name, status))
	}
	sort.Strings(p)
	return p
}

// Report is the text a failing test prints: the counts, why it did not
// pass, and each failure with the start of its message. The full messages
// are in Failures, the HTML report in Dir.
func (r ConformanceResult) Report() string {
	var b strings.Builder
	fmt.Fprintf(&b, "OCI conformance (runner): checks: %s; tests: %s\n", r.Counts, r.Tests)
	writeReport(&b, r.Problems(), r.Failures, r.Output, r.Err != nil, r.Dir)
	return b.String()
}

// orDefault returns v, or def when v is empty.
func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
