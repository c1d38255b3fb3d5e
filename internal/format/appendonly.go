package format

// Appender is implemented by the formats whose versions gain files after
// they are published (ADR 0009): clients upload a version's files in
// separate requests with no call that says the version is complete (twine
// sends a release's wheel and sdist one by one; a generic version's files
// arrive one PUT at a time). A published version of such a format may gain
// a file at a new path; its existing files, manifest and labels never
// change. Versions of other formats are sealed by their publish. The
// database enforces the same list (migration 0012).
type Appender interface {
	// AppendsFiles reports that published versions may gain files.
	AppendsFiles() bool
}

// AppendOnly reports whether published versions of f may gain files.
func AppendOnly(f Format) bool {
	a, ok := f.(Appender)
	return ok && a.AppendsFiles()
}
