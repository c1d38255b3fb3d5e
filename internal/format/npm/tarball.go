package npm

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Tarball is what a package tarball says about itself: the name and
// version in its package.json.
type Tarball struct {
	Name, Version string
}

// ErrTarball is the class of a tarball npm could not, or must not, unpack.
var ErrTarball = errors.New("invalid npm tarball")

// Limits of what InspectTarball reads.
const (
	// MaxUnpackedBytes bounds a tarball's unpacked size: a few kilobytes of
	// gzip can claim gigabytes (npmjs.com refuses far less).
	MaxUnpackedBytes = 2 << 30
	// maxPackageJSON bounds the package.json read into memory.
	maxPackageJSON = 8 << 20
)

func tarballErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrTarball, fmt.Sprintf(format, args...))
}

// InspectTarball reads a package tarball (a gzip-compressed tar) from r to
// its end and returns what its package.json says. npm unpacks a tarball
// into one directory, stripping each member's first path component
// ("package/"), so the package.json that counts is the one directly below
// that component; every copy of it must agree, since the last one unpacked
// wins. It refuses, wrapping ErrTarball:
//   - bytes that are not gzip, or a gzip or tar stream that ends early
//     (a truncated upload) or fails its checksum;
//   - members whose path is absolute or climbs out with "..", and links
//     whose target does (unpacking them would write outside the package);
//   - devices and FIFOs, which no package contains;
//   - an archive without package/package.json, or whose package.json has
//     no string name and version;
//   - more than MaxUnpackedBytes unpacked.
//
// Bytes after the gzip stream are read and ignored, as npm ignores them.
func InspectTarball(r io.Reader) (Tarball, error) { return inspect(r, MaxUnpackedBytes) }

func inspect(r io.Reader, maxUnpacked int64) (Tarball, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return Tarball{}, tarballErr("not gzip: %v", err)
	}
	zr.Multistream(false)
	unpacked := &limitedReader{r: zr, left: maxUnpacked}
	tr := tar.NewReader(unpacked)
	var found *Tarball
	for {
		before := unpacked.read
		hdr, err := tr.Next()
		if err == io.EOF {
			// Go's tar takes a stream that stops between members for a
			// whole archive; npm pack always ends it with two zero blocks.
			if unpacked.read-before < 2*blockSize {
				return Tarball{}, tarballErr("the archive ends early (truncated)")
			}
			break
		}
		if err != nil {
			return Tarball{}, archiveErr(err, maxUnpacked)
		}
		if err := checkMember(hdr); err != nil {
			return Tarball{}, err
		}
		if isPackageJSON(hdr) {
			t, err := readPackageJSON(tr, hdr.Name, maxUnpacked)
			if err != nil {
				return Tarball{}, err
			}
			if found != nil && *found != t {
				return Tarball{}, tarballErr("the archive holds two package.json files that disagree (%s@%s and %s@%s)", found.Name, found.Version, t.Name, t.Version)
			}
			found = &t
		}
		// Read here, not skipped by Next, so that the end check above
		// counts only what follows the last member.
		if _, err := io.Copy(io.Discard, tr); err != nil {
			return Tarball{}, archiveErr(err, maxUnpacked)
		}
	}
	// The rest of the gzip stream (tar padding), then its checksum.
	if _, err := io.Copy(io.Discard, unpacked); err != nil {
		return Tarball{}, archiveErr(err, maxUnpacked)
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return Tarball{}, err
	}
	if found == nil {
		return Tarball{}, tarballErr("the archive has no package/package.json")
	}
	return *found, nil
}

// archiveErr classes a failure to read the archive: too large, or
// truncated or corrupt.
func archiveErr(err error, maxUnpacked int64) error {
	if errors.Is(err, errUnpackedTooLarge) {
		return tarballErr("it unpacks to more than %d bytes", maxUnpacked)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return tarballErr("the archive ends early (truncated)")
	}
	return tarballErr("the archive is corrupt: %v", err)
}

// checkMember refuses members unpacking could abuse. npm strips each
// member's first component, so paths are judged below it.
func checkMember(hdr *tar.Header) error {
	if isAbsolute(hdr.Name) || strings.ContainsRune(hdr.Name, 0) || hasDotDot(hdr.Name) {
		return tarballErr("member %q is outside the package", hdr.Name)
	}
	switch hdr.Typeflag {
	case tar.TypeSymlink:
		// A symbolic link's target is relative to the link's directory.
		if isAbsolute(hdr.Linkname) || escapes(stripTop(hdr.Name)+"/../"+hdr.Linkname) {
			return tarballErr("link %q points outside the package (%q)", hdr.Name, hdr.Linkname)
		}
	case tar.TypeLink:
		// A hard link's target is another member.
		if isAbsolute(hdr.Linkname) || hasDotDot(hdr.Linkname) {
			return tarballErr("link %q points outside the package (%q)", hdr.Name, hdr.Linkname)
		}
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		return tarballErr("member %q is a device or FIFO", hdr.Name)
	}
	return nil
}

// isAbsolute reports a path rooted anywhere: "/x", "\x", or a Windows
// drive ("C:x").
func isAbsolute(p string) bool {
	return strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) || len(p) >= 2 && p[1] == ':'
}

// segments splits a member path; backslashes count as separators, as tar
// on Windows takes them.
func segments(p string) []string {
	return strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == '\\' })
}

// hasDotDot reports a ".." segment anywhere (npm's tar skips such members).
func hasDotDot(p string) bool {
	for _, seg := range segments(p) {
		if seg == ".." {
			return true
		}
	}
	return false
}

// stripTop drops a member's first component, as npm does when unpacking.
func stripTop(p string) string {
	segs := segments(p)
	for len(segs) > 0 && segs[0] == "." {
		segs = segs[1:]
	}
	if len(segs) == 0 {
		return ""
	}
	return strings.Join(segs[1:], "/")
}

// escapes reports whether a path relative to the package directory
// resolves outside it.
func escapes(p string) bool {
	if strings.ContainsRune(p, 0) {
		return true
	}
	depth := 0
	for _, seg := range segments(p) {
		switch seg {
		case ".":
		case "..":
			depth--
			if depth < 0 {
				return true
			}
		default:
			depth++
		}
	}
	return false
}

// isPackageJSON reports the package.json npm reads: a regular file right
// below the member's first component.
func isPackageJSON(hdr *tar.Header) bool {
	if hdr.Typeflag != tar.TypeReg {
		return false
	}
	top, rest, ok := strings.Cut(strings.TrimPrefix(hdr.Name, "./"), "/")
	return ok && top != "" && rest == "package.json"
}

func readPackageJSON(r io.Reader, name string, maxUnpacked int64) (Tarball, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxPackageJSON+1))
	if err != nil {
		return Tarball{}, archiveErr(err, maxUnpacked)
	}
	if len(raw) > maxPackageJSON {
		return Tarball{}, tarballErr("%s is larger than %d bytes", name, maxPackageJSON)
	}
	var doc struct {
		Name    any `json:"name"`
		Version any `json:"version"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return Tarball{}, tarballErr("%s is not JSON: %v", name, err)
	}
	n, okName := doc.Name.(string)
	v, okVersion := doc.Version.(string)
	if !okName || !okVersion {
		return Tarball{}, tarballErr("%s has no string name and version", name)
	}
	return Tarball{Name: n, Version: v}, nil
}

var errUnpackedTooLarge = errors.New("unpacked size over the limit")

// blockSize is tar's block size.
const blockSize = 512

// limitedReader fails, rather than stops, past its limit, and counts what
// it read.
type limitedReader struct {
	r    io.Reader
	left int64
	read int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, errUnpackedTooLarge
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	l.read += int64(n)
	return n, err
}
