package ocitest

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/testenv"
)

// LegacyConformanceTool is the test binary of the 2023 Ginkgo conformance
// suite that scripts/test.sh builds (pinned there).
const LegacyConformanceTool = "oci-conformance-legacy"

// LegacyOptions says what registry the legacy suite tests and how.
type LegacyOptions struct {
	// Registry is the registry's root URL, http://host:port (required).
	Registry string
	// Namespace and CrossmountNamespace are the names pushed to and
	// mounted from. Default conf-a/legacy and conf-b/legacy: the
	// repositories of the runner, other images, so the two suites can
	// share a registry without seeing each other's tags.
	Namespace, CrossmountNamespace string
	// Username and Password log in; empty for anonymous.
	Username, Password string
	// Env adds or overrides OCI_* settings, applied last (OCI_DEBUG=1
	// prints every request). OCI_REPORT_DIR is ReportDir's.
	Env map[string]string
	// ReportDir receives junit.xml and report.html; default a directory of
	// t.TempDir.
	ReportDir string
	// Timeout bounds the run (default 20 minutes, and before the test's
	// own deadline).
	Timeout time.Duration
}

// LegacyResult is what one run of the legacy suite gave. Its counts are of
// Ginkgo specs ("Ran 75 of 79 Specs"), not of checks.
type LegacyResult struct {
	ExitCode int    // the test binary's exit status; -1 if it did not finish
	Output   string // what it printed (Ginkgo's progress and summary)
	Dir      string // where junit.xml and report.html are
	Counts   Counts // specs by outcome; Disabled counts pending specs
	// Failures are the failed specs, and any suite node (a BeforeSuite, a
	// reporter) that did not pass, in run order.
	Failures []Failure
	Err      error // why the run or its report could not be read; nil when both were
}

// RunLegacyConformance runs the legacy suite's workflows (pull, push,
// content discovery, content management, with automatic cross-mount)
// against opts.Registry and reads its JUnit report. Like RunConformance it
// fails the test only when the suite cannot run.
func RunLegacyConformance(t testing.TB, opts LegacyOptions) LegacyResult {
	t.Helper()
	bin := testenv.Tool(t, LegacyConformanceTool)
	registryHost(t, opts.Registry)
	res := LegacyResult{Dir: opts.ReportDir}
	if res.Dir == "" {
		res.Dir = filepath.Join(t.TempDir(), "report")
	}
	// Made here: the suite's HTML reporter runs before its JUnit reporter,
	// the one that would create the directory, and fails without it.
	prepareDir(t, res.Dir, "junit.xml")
	vars := map[string]string{
		"OCI_ROOT_URL":                strings.TrimSuffix(opts.Registry, "/"),
		"OCI_NAMESPACE":               orDefault(opts.Namespace, "conf-a/legacy"),
		"OCI_CROSSMOUNT_NAMESPACE":    orDefault(opts.CrossmountNamespace, "conf-b/legacy"),
		"OCI_USERNAME":                opts.Username,
		"OCI_PASSWORD":                opts.Password,
		"OCI_TEST_PULL":               "1",
		"OCI_TEST_PUSH":               "1",
		"OCI_TEST_CONTENT_DISCOVERY":  "1",
		"OCI_TEST_CONTENT_MANAGEMENT": "1",
		"OCI_HIDE_SKIPPED_WORKFLOWS":  "1",
		"OCI_AUTOMATIC_CROSSMOUNT":    "1",
	}
	for k, v := range opts.Env {
		vars[k] = v
	}
	vars["OCI_REPORT_DIR"] = res.Dir // where the report is read from
	var err error
	res.ExitCode, res.Output, err = runSuite(t, bin, []string{"-ginkgo.no-color"}, suiteEnv(vars), opts.Timeout)
	if err != nil {
		res.Err = err
		return res
	}
	res.Counts, res.Failures, res.Err = readGinkgoJUnit(filepath.Join(res.Dir, "junit.xml"))
	return res
}

// Passed reports whether the registry passed: the suite exited 0, its
// report was read, some spec passed and none failed.
func (r LegacyResult) Passed() bool { return len(r.Problems()) == 0 }

// Problems lists why the run did not pass, one line each; none if it did.
func (r LegacyResult) Problems() []string {
	p := runProblems("suite", r.ExitCode, r.Err)
	if r.Err == nil && r.Counts.Passed == 0 {
		p = append(p, "no spec passed")
	}
	if n := r.Counts.Failed + r.Counts.Errors; n > 0 {
		p = append(p, fmt.Sprintf("%d specs failed", n))
	}
	return p
}

// Report is the text a failing test prints: the counts, why it did not
// pass, and each failure with the start of its message.
func (r LegacyResult) Report() string {
	var b strings.Builder
	fmt.Fprintf(&b, "OCI conformance (legacy Ginkgo suite): %s\n", r.Counts)
	writeReport(&b, r.Problems(), r.Failures, r.Output, r.Err != nil, r.Dir)
	return b.String()
}
