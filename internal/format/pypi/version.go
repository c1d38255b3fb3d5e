package pypi

import (
	"fmt"
	"regexp"
	"strings"
)

// MaxVersionLength bounds version strings. PEP 440 sets no limit.
const MaxVersionLength = 256

// versionRE is the permissive PEP 440 grammar of the spec's Appendix B,
// which accepts every spelling the normalisation rules allow ("1.0RC1",
// "1.0-post1", "v1.0"). Surrounding whitespace, which PEP 440 would strip,
// is rejected instead: a stored version should not carry it.
var versionRE = regexp.MustCompile(`^(?i)v?` +
	`(?:([0-9]+)!)?` + // epoch
	`([0-9]+(?:\.[0-9]+)*)` + // release
	`(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?([0-9]+)?)?` + // pre
	`(?:-([0-9]+)|[-_.]?(post|rev|r)[-_.]?([0-9]+)?)?` + // post
	`(?:[-_.]?(dev)[-_.]?([0-9]+)?)?` + // dev
	`(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$`) // local

// Version is a parsed PEP 440 version. Numbers are kept as decimal strings
// without leading zeros, so any size compares correctly.
type Version struct {
	Epoch   string   // "0" when absent
	Release []string // at least one component
	// Pre is "a", "b" or "rc" with PreN its number; "" when not a
	// pre-release.
	Pre, PreN string
	// Post is the post-release number, "" when not a post-release.
	Post string
	// Dev is the development release number, "" when not a dev release.
	Dev string
	// Local holds the local version label's segments, lowercased and
	// numeric ones without leading zeros; nil when there is none.
	Local []string
}

// Parse parses s as a PEP 440 version in any spelling the spec accepts.
func Parse(s string) (Version, error) {
	if s == "" {
		return Version{}, fmt.Errorf("must not be empty")
	}
	if len(s) > MaxVersionLength {
		return Version{}, fmt.Errorf("is %d characters long; at most %d are allowed", len(s), MaxVersionLength)
	}
	m := versionRE.FindStringSubmatch(s)
	if m == nil {
		return Version{}, fmt.Errorf("%q is not a PEP 440 version (for example 1.0, 2.1.3rc1, 1.0.post2, 1!2.0.dev3+local.7)", s)
	}
	v := Version{Epoch: "0"}
	if m[1] != "" {
		v.Epoch = trimZeros(m[1])
	}
	for _, r := range strings.Split(m[2], ".") {
		v.Release = append(v.Release, trimZeros(r))
	}
	if m[3] != "" {
		switch strings.ToLower(m[3]) {
		case "a", "alpha":
			v.Pre = "a"
		case "b", "beta":
			v.Pre = "b"
		default: // c, rc, pre, preview
			v.Pre = "rc"
		}
		v.PreN = trimZeros(m[4])
	}
	switch {
	case m[5] != "":
		v.Post = trimZeros(m[5])
	case m[6] != "":
		v.Post = trimZeros(m[7])
	}
	if m[8] != "" {
		v.Dev = trimZeros(m[9])
	}
	if m[10] != "" {
		v.Local = strings.FieldsFunc(strings.ToLower(m[10]), func(r rune) bool { return r == '-' || r == '_' || r == '.' })
		for i, seg := range v.Local {
			if isNumber(seg) {
				v.Local[i] = trimZeros(seg)
			}
		}
	}
	return v, nil
}

// trimZeros drops leading zeros from a decimal number; "" and "000" are
// "0".
func trimZeros(n string) string {
	n = strings.TrimLeft(n, "0")
	if n == "" {
		return "0"
	}
	return n
}

// String returns the normalised form of v (PEP 440 "Normalization"):
// "1.0RC1" is "1.0rc1", "1.0-post1" is "1.0.post1", "v01.0-dev" is
// "1.0.dev0".
func (v Version) String() string {
	var b strings.Builder
	if v.Epoch != "0" {
		b.WriteString(v.Epoch)
		b.WriteByte('!')
	}
	b.WriteString(strings.Join(v.Release, "."))
	if v.Pre != "" {
		b.WriteString(v.Pre)
		b.WriteString(v.PreN)
	}
	if v.Post != "" {
		b.WriteString(".post")
		b.WriteString(v.Post)
	}
	if v.Dev != "" {
		b.WriteString(".dev")
		b.WriteString(v.Dev)
	}
	if len(v.Local) > 0 {
		b.WriteByte('+')
		b.WriteString(strings.Join(v.Local, "."))
	}
	return b.String()
}

// NormalizeVersion returns the PEP 440 normal form of s.
func NormalizeVersion(s string) (string, error) {
	v, err := Parse(s)
	if err != nil {
		return "", err
	}
	return v.String(), nil
}

// Canonical returns v's normal form without the trailing zero segments of
// its release ("1.0.0" and "1.0" are "1", "2.10.0rc1" is "2.10rc1"): equal
// for exactly the versions Compare finds equal. It is packaging's
// canonicalize_version, the key under which PyPI keeps a project's
// releases unique.
func (v Version) Canonical() string {
	r := v.Release
	for len(r) > 1 && r[len(r)-1] == "0" {
		r = r[:len(r)-1]
	}
	v.Release = r
	return v.String()
}
