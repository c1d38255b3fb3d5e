package ocitest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// defaultTimeout bounds one suite run when the options give none: the
// runner takes about 20 s against Distribution here and the legacy suite
// one, so this only stops a hung registry from holding CI until its own
// limit.
const defaultTimeout = 20 * time.Minute

// Counts tallies checks (the runner) or specs (the legacy suite) by outcome.
type Counts struct {
	Passed   int
	Failed   int // the registry broke the spec
	Errors   int // the suite could not run the check (often also the registry's fault)
	Skipped  int // the suite skipped it, e.g. after an earlier failure
	Disabled int // turned off by the configuration
}

// Total is the number of checks or specs counted.
func (c Counts) Total() int { return c.Passed + c.Failed + c.Errors + c.Skipped + c.Disabled }

// String is the one-line summary a test log shows.
func (c Counts) String() string {
	return fmt.Sprintf("%d passed, %d failed, %d errors, %d skipped, %d disabled (%d total)",
		c.Passed, c.Failed, c.Errors, c.Skipped, c.Disabled, c.Total())
}

// Failure is one failed (or errored) test with what the suite said about it.
type Failure struct {
	Name    string // the suite's name of the test, e.g. "OCI Conformance Test/empty/referrers"
	Status  string // the suite's word for it: failure or error (runner); failed, timedout, panicked… (legacy)
	Message string // the assertion or error text
}

// registryHost checks that raw is a plain http URL of a registry root and
// returns its host:port. Both suites take TLS settings the tests here never
// need (everything listens on 127.0.0.1), so https is refused rather than
// half supported.
func registryHost(t testing.TB, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host == "" || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" {
		t.Fatalf("ocitest: registry %q must be an http URL with no path, like http://127.0.0.1:5000", raw)
	}
	return u.Host
}

// prepareDir creates a suite's report directory and removes the reports
// of an earlier run from it: a run that writes none must not be judged by
// them.
func prepareDir(t testing.TB, dir string, reports ...string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("ocitest: %v", err)
	}
	for _, name := range reports {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("ocitest: %v", err)
		}
	}
}

// suiteEnv is this process's environment less every OCI_* variable, plus
// vars (sorted, for a reproducible command line in logs). The suites read
// dozens of OCI_* settings, the runner honours the legacy names too, so one
// left in a developer's shell would silently change what is tested.
func suiteEnv(vars map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OCI_") {
			env = append(env, kv)
		}
	}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+vars[k])
	}
	return env
}

// runSuite runs bin with args and env in a fresh empty directory (the
// runner would otherwise read an ./oci-conformance.yaml left in the package
// directory), and returns its exit code and everything it printed. A suite
// that fails exits non-zero; only a binary that cannot start, or that
// outlives timeout (or the test's deadline), is an error.
func runSuite(t testing.TB, bin string, args, env []string, timeout time.Duration) (int, string, error) {
	t.Helper()
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	deadline := time.Now().Add(timeout)
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		// Stop a little before go test's own -timeout panics, so the
		// report of a slow registry is still printed.
		if td, ok := d.Deadline(); ok && td.Add(-30*time.Second).Before(deadline) {
			deadline = td.Add(-30 * time.Second)
		}
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return -1, out.String(), fmt.Errorf("%s did not finish by %s: %w", bin, deadline.Format(time.TimeOnly), ctx.Err())
	case errors.As(err, &exit):
		return exit.ExitCode(), out.String(), nil
	case err != nil:
		return -1, out.String(), fmt.Errorf("run %s: %w", bin, err)
	}
	return 0, out.String(), nil
}
