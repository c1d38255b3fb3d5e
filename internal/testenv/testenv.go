// Package testenv holds what tests ask of the machine they run on: whether
// they run in CI, and the official clients they drive.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// InCI reports whether the tests run in CI (CI=true or CI=1), where a
// missing dependency fails a suite instead of skipping it.
func InCI() bool {
	v := os.Getenv("CI")
	return v == "true" || v == "1"
}

// Tool returns the path of an official client the test drives (npm, curl,
// twine, …): a missing one skips the test on a workstation and fails it in
// CI, where scripts/test.sh installs it.
func Tool(t testing.TB, name string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		if InCI() {
			t.Fatalf("%s is required in CI (scripts/test.sh installs it): %v", name, err)
		}
		t.Skipf("%s not installed: %v", name, err)
	}
	return bin
}
