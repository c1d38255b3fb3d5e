package format

// VersionNormalizer is implemented by formats in which several strings
// spell one version: PEP 440 has 1.0 == 1.0.0 == 1.0.0.0 and 1.0RC1 ==
// 1.0rc1; NuGet has 1.0 == 1.0.0 == 1.0.0.0 and ignores the case of
// pre-release labels and build metadata. The catalog stores each version
// as written and keeps it unique per package under its normalised form, so
// that a package cannot have two spellings of one version and a read by
// either spelling finds it. Formats that do not implement it have one
// spelling per version.
type VersionNormalizer interface {
	// NormalizeVersion returns the canonical spelling of a valid version:
	// two valid versions are the same version exactly when their canonical
	// spellings are equal (and CompareVersions then answers 0). It is
	// idempotent, and the canonical spelling is itself a valid version.
	NormalizeVersion(version string) string
}

// NormalizeVersion returns the spelling under which version is unique in
// format f: f's canonical spelling when f is a VersionNormalizer, else
// version unchanged.
func NormalizeVersion(f Format, version string) string {
	if n, ok := f.(VersionNormalizer); ok {
		return n.NormalizeVersion(version)
	}
	return version
}
