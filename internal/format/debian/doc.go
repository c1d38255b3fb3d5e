// Package debian is the format for Debian binary packages served to apt.
//
// Package names follow Debian policy §5.6.1; versions are
// [epoch:]upstream_version[-debian_revision] (§5.6.12), ordered with
// dpkg's algorithm (verrevcmp), re-implemented in compare.go. The manifest
// is the package's control fields as JSON.
package debian
