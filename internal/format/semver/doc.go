// Package semver parses Semantic Versioning 2.0.0 strings strictly, as
// written at semver.org, and orders them by precedence.
//
// It is shared by the formats whose ecosystems version by SemVer (npm,
// Cargo, Helm) and by the formats that need SemVer-shaped pieces. There is
// no loose mode: no leading "v", no missing minor or patch, no leading
// zeros in numeric identifiers, no ranges.
package semver
