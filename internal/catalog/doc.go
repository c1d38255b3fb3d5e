// Package catalog is what every format is a view of: packages of a
// repository, their versions (draft → published → tombstoned), each
// version's entries (files: a path and a committed blob) and manifest (one
// JSON document, validated by the version's format), and tags (mutable
// named pointers to versions).
//
// Publishing is one transaction: the state change, the audit record and the
// version.published outbox event commit together or not at all. After
// publish the database itself refuses any change to the version, its entries
// or its manifest, except the move to tombstoned.
//
// The catalog knows nothing of npm or OCI: it asks a format.Format for
// names, version order and manifest rules.
package catalog
