package pypi

import "testing"

// The test helpers of this package that its end-to-end tests (package
// pypi_test, which runs whole nodes) reuse.
var (
	BuildDists = buildDists
	Twine      = twine
)

// TwineBody is the form twine sends to upload content as filename, with
// its Content-Type.
func TwineBody(t testing.TB, name, version, filetype, filename, content string) ([]byte, string) {
	return form(t, twineForm(name, version, filetype, filename, content)), formContentType
}

// GoWheel is a zip archive of files (name, content).
func GoWheel(t testing.TB, files ...[2]string) []byte { return goWheel(t, files...) }
