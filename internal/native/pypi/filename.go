package pypi

import (
	"strings"

	"github.com/artifortress/artifortress/internal/fault"
	pyformat "github.com/artifortress/artifortress/internal/format/pypi"
)

// File types, as the upload form's filetype field names them.
const (
	FileTypeSdist = "sdist"
	FileTypeWheel = "bdist_wheel"
)

// MaxFilenameLength bounds distribution file names (the common file system
// limit).
const MaxFilenameLength = 255

// Dist is a parsed distribution file name.
type Dist struct {
	Filename string
	// FileType is FileTypeWheel or FileTypeSdist.
	FileType string
	// Name and Version are spelled as in the file name ("foo_bar", "1.0rc1").
	Name, Version string
	// Build is a wheel's optional build tag ("" when none); Python, ABI and
	// Platform are its compatibility tags ("py3", "none", "any"). All are ""
	// for an sdist.
	Build, Python, ABI, Platform string
}

// ParseFilename parses a wheel name,
// {dist}-{version}(-{build})?-{python}-{abi}-{platform}.whl (PEP 427, with
// the PEP 491 escaping that leaves no "-" in {dist} or {version}), or an
// sdist name, {name}-{version}.tar.gz or the legacy {name}-{version}.zip,
// split at the last "-" as packaging's parse_sdist_filename does.
//
// Only ASCII letters, digits and "._-+!" are allowed, so that path
// separators, control characters, quotes and spaces are refused; so are
// "..", a leading "." or "-", and names over MaxFilenameLength bytes.
func ParseFilename(filename string) (Dist, error) {
	if err := checkFilename(filename); err != nil {
		return Dist{}, err
	}
	switch {
	case strings.HasSuffix(filename, ".whl"):
		return parseWheel(filename)
	case strings.HasSuffix(filename, ".tar.gz"):
		return parseSdist(filename, ".tar.gz")
	case strings.HasSuffix(filename, ".zip"):
		return parseSdist(filename, ".zip")
	}
	return Dist{}, badFilename(filename, "is neither a wheel (.whl) nor an sdist (.tar.gz, .zip)")
}

func badFilename(filename, format string, args ...any) *fault.Error {
	e := fault.Coded(fault.KindBadRequest, CodeFilenameInvalid, "file name %q "+format, append([]any{filename}, args...)...)
	return e.With("filename", filename)
}

// checkFilename refuses names that are unsafe anywhere a file name goes:
// paths, URLs, HTML, logs.
func checkFilename(filename string) error {
	switch {
	case filename == "":
		return fault.Coded(fault.KindBadRequest, CodeFilenameInvalid, "the file name is empty")
	case len(filename) > MaxFilenameLength:
		return fault.Coded(fault.KindBadRequest, CodeFilenameInvalid, "the file name is %d bytes long; at most %d are allowed", len(filename), MaxFilenameLength).
			With("filename", truncate(filename, 64))
	case strings.ContainsAny(filename, `/\`):
		return badFilename(filename, "contains a path separator; give the bare file name")
	case strings.Contains(filename, ".."):
		return badFilename(filename, `contains ".."`)
	case filename[0] == '.' || filename[0] == '-':
		return badFilename(filename, "starts with %q", filename[:1])
	}
	for i := 0; i < len(filename); i++ {
		c := filename[i]
		switch {
		case c < 0x20 || c == 0x7f:
			return badFilename(filename, "contains the control character %#02x", c)
		case c >= 0x80:
			return badFilename(filename, "contains a non-ASCII character; distribution file names are ASCII")
		case !filenameChar(c):
			return badFilename(filename, "contains %q; only ASCII letters, digits and \"._-+!\" are allowed", c)
		}
	}
	return nil
}

func filenameChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("._-+!", c) >= 0
}

// tagChar: wheel build and compatibility tags ("cp312", "manylinux_2_17_x86_64.manylinux2014_x86_64").
func tagChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.'
}

func validTag(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tagChar(s[i]) {
			return false
		}
	}
	return true
}

func parseWheel(filename string) (Dist, error) {
	parts := strings.Split(strings.TrimSuffix(filename, ".whl"), "-")
	if len(parts) != 5 && len(parts) != 6 {
		return Dist{}, badFilename(filename, "is not a wheel name {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl: it has %d \"-\"-separated parts, not 5 or 6", len(parts))
	}
	d := Dist{Filename: filename, FileType: FileTypeWheel, Name: parts[0], Version: parts[1]}
	if err := checkNameVersion(filename, d.Name, d.Version); err != nil {
		return Dist{}, err
	}
	tags := parts[2:]
	if len(parts) == 6 {
		d.Build, tags = parts[2], parts[3:]
		if !validTag(d.Build) || d.Build[0] < '0' || d.Build[0] > '9' {
			return Dist{}, badFilename(filename, "has the build tag %q; a build tag starts with a digit", d.Build)
		}
	}
	d.Python, d.ABI, d.Platform = tags[0], tags[1], tags[2]
	for _, tag := range tags {
		if !validTag(tag) {
			return Dist{}, badFilename(filename, "has the compatibility tag %q; tags are letters, digits, \"_\" and \".\"", tag)
		}
	}
	return d, nil
}

func parseSdist(filename, ext string) (Dist, error) {
	stem := strings.TrimSuffix(filename, ext)
	i := strings.LastIndexByte(stem, '-')
	if i < 0 {
		return Dist{}, badFilename(filename, "is not an sdist name {name}-{version}%s", ext)
	}
	d := Dist{Filename: filename, FileType: FileTypeSdist, Name: stem[:i], Version: stem[i+1:]}
	if err := checkNameVersion(filename, d.Name, d.Version); err != nil {
		return Dist{}, err
	}
	return d, nil
}

func checkNameVersion(filename, name, version string) error {
	if _, _, err := pyformat.ParseName(name); err != nil {
		return badFilename(filename, "does not start with a project name: %s", fieldMessage(err))
	}
	if _, err := pyformat.Parse(version); err != nil {
		return badFilename(filename, "has no valid version: %q %v", version, err)
	}
	return nil
}

// Check reports whether the file is of the project name (compared in PEP
// 503 normal form), of version (compared under PEP 440, so "1.0" matches
// "1.0.0") and of filetype ("sdist", "bdist_wheel"). name and version are
// what the upload form declares.
func (d Dist) Check(name, version, filetype string) error {
	mismatch := func(format string, args ...any) *fault.Error {
		return fault.Coded(fault.KindBadRequest, CodeFilenameMismatch, "file name %q "+format, append([]any{d.Filename}, args...)...).
			With("filename", d.Filename)
	}
	if filetype != d.FileType {
		return mismatch("is of type %s, but the upload says filetype %q", d.FileType, filetype).With("field", "filetype")
	}
	_, want, err := pyformat.ParseName(name)
	if err != nil {
		return mismatch("cannot be checked against the project name %q: %s", name, fieldMessage(err)).With("field", "name")
	}
	if got := pyformat.Normalize(d.Name); got != want {
		return mismatch("is of project %q, but the upload is for %q; start the file name with %q", got, want, strings.ReplaceAll(want, "-", "_")).With("field", "name")
	}
	wantV, err := pyformat.Parse(version)
	if err != nil {
		return mismatch("cannot be checked against the version %q: %v", version, err).With("field", "version")
	}
	gotV, err := pyformat.Parse(d.Version)
	if err != nil || pyformat.Compare(gotV, wantV) != 0 {
		return mismatch("is of version %q, but the upload is for version %q", d.Version, version).With("field", "version")
	}
	return nil
}
