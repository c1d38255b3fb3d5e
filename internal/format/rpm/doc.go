// Package rpm is the format for RPM packages served to dnf, yum and
// zypper.
//
// A version is "[epoch:]version[-release]" (an EVR), ordered as rpm does:
// epochs numerically, then version and release with rpmvercmp,
// re-implemented in compare.go (including the "~" and "^" rules). The
// manifest is the header's name, epoch, version, release and arch.
package rpm
