package npm

import (
	"errors"
	"io"
	"strings"

	"github.com/artifortress/artifortress/internal/fault"
	npmformat "github.com/artifortress/artifortress/internal/format/npm"
)

// Codes of tarballs npm publish sends that are refused.
const (
	// CodeTarballInvalid: the tarball is not one npm could safely unpack:
	// not gzip, truncated, corrupt, without package/package.json, with
	// members or links outside the package, or too large unpacked [400].
	CodeTarballInvalid = "npm_tarball_invalid"
	// CodeTarballMismatch: the tarball's package.json names another
	// package or version than the publish [400].
	CodeTarballMismatch = "npm_tarball_mismatch"
)

// tarballCheck opens a tarball while it streams into the blob store: the
// bytes written to it are unpacked (never held) by npmformat.InspectTarball
// in a goroutine, so the check costs no second read of the blob.
type tarballCheck struct {
	pw   *io.PipeWriter
	done chan inspection
}

type inspection struct {
	tarball npmformat.Tarball
	err     error
}

func startTarballCheck() *tarballCheck {
	pr, pw := io.Pipe()
	c := &tarballCheck{pw: pw, done: make(chan inspection, 1)}
	go func() {
		t, err := npmformat.InspectTarball(pr)
		// A refused tarball still reads to the end: the publish keeps
		// writing until its body is read, and reports the refusal then.
		_, _ = io.Copy(io.Discard, pr)
		c.done <- inspection{t, err}
	}()
	return c
}

func (c *tarballCheck) Write(p []byte) (int, error) { return c.pw.Write(p) }

// stop ends the inspection early (the upload failed); it is safe after
// result.
func (c *tarballCheck) stop() { c.pw.CloseWithError(errors.New("the upload ended")) }

// result waits for the inspection of everything written and checks the
// tarball is the package.json of name@version.
func (c *tarballCheck) result(name, version string) error {
	_ = c.pw.Close()
	got := <-c.done
	switch {
	case errors.Is(got.err, npmformat.ErrTarball):
		return fault.Coded(fault.KindBadRequest, CodeTarballInvalid, "%v", got.err)
	case got.err != nil:
		return got.err
	case strings.TrimSpace(got.tarball.Name) != name || cleanVersion(got.tarball.Version) != version:
		return fault.Coded(fault.KindBadRequest, CodeTarballMismatch,
			"the tarball's package.json says %s@%s, the publish is of %s@%s", got.tarball.Name, got.tarball.Version, name, version).
			With("tarballName", got.tarball.Name).With("tarballVersion", got.tarball.Version)
	}
	return nil
}

// cleanVersion is a version as npm publishes it from package.json (npm
// cleans "v1.0.0" and "=1.0.0" to "1.0.0"; the tarball keeps the file as
// written).
func cleanVersion(v string) string {
	return strings.TrimLeft(strings.TrimSpace(v), "=v")
}
