// Package nuget is the format for NuGet packages.
//
// Package ids are case-insensitive and stored lowercase. Versions are
// NuGet's SemVer 2 superset: one to four numeric parts (legacy
// "1.0.0.0"), optional pre-release labels and build metadata, with
// NuGet's normalisation ("1.0" is "1.0.0", "1.00.01" is "1.0.1", a zero
// fourth part is dropped, metadata is stripped) and order (labels compare
// case-insensitively). The manifest is the nuspec metadata as JSON.
package nuget
