// Package policy compiles and evaluates publishing policies: named CEL
// (https://cel.dev) expressions a version must satisfy when it is published,
// promoted or checked in a dry run.
//
// A Policy's Expression must type-check to bool; true means the version
// complies. When it is false the policy's Action applies: "deny" rejects the
// version, "quarantine" holds it. When evaluation fails — a runtime error such
// as reading a missing manifest key without has(), a result that is not a
// bool, running past the timeout (100ms by default) or the cost limit
// (1,000,000 by default), or an expression that no longer compiles — the
// policy's OnError ("deny" or "quarantine") applies instead, so a broken
// policy fails closed. Across policies, deny beats quarantine beats allow.
//
// # Variables
//
// An expression sees these variables; any other top-level name is a compile
// error, and so is selecting a key that repo, version or principal does not
// have (version.nmae).
//
//	repo       map(string, string)  key, type, format
//	version    map(string, dyn)     the version being published or promoted:
//	    id, format, namespace, name, package, version, createdBy   string
//	    entries              list of map(string, dyn): path, digest, mediaType (string), size (int, bytes)
//	    size                 int: the sum of the entries' sizes
//	    labels               map(string, string), empty when the version has none
//	    upstreamPublishedAt  timestamp: when a remote repository's upstream published
//	                         the version; the key is absent for local versions, so
//	                         test it with has(version.upstreamPublishedAt)
//	manifest   dyn                  the version's decoded JSON manifest (package.json,
//	                                PyPI metadata, ...); an empty map when there is none.
//	                                Whole JSON numbers are int (within ±2^53), others double.
//	                                Test optional keys with has(manifest.key).
//	principal  map(string, string)  subject: who publishes or promotes
//	stage      string               "publish", "promote" or "dry-run"
//	now        timestamp            the time of the evaluation
//
// # Functions
//
// The CEL standard library (size, in, has, all, exists, exists_one, map,
// filter, matches with RE2 syntax, timestamp and duration arithmetic, ...),
// the strings extension (lowerAscii, upperAscii, split, replace, trim,
// indexOf, substring, join, format, ...), and:
//
//	isSemver(string) bool   strict Semantic Versioning 2.0.0, no leading "v"
//
// Duration, timestamp and regular-expression literals are checked when the
// policy is validated.
//
// # Examples
//
//	version.entries.all(e, e.size <= 10485760)                  every file at most 10 MiB
//	!has(manifest.license) || !(manifest.license in ['GPL-3.0-only', 'AGPL-3.0-only'])
//	isSemver(version.version)                                   SemVer required
//	!has(version.upstreamPublishedAt) || now - version.upstreamPublishedAt >= duration('72h')
//	                                                            remote versions at least 3 days old
//	'team' in version.labels                                    a team label is required
package policy
