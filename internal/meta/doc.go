// Package meta is the metadata store: the single source of truth for tokens,
// repositories, role bindings and the audit trail (and, as the product grows,
// packages, versions and the outbox). It runs on two SQL engines behind one code
// path: SQLite (the embedded default, pure Go, WAL) and PostgreSQL (for several
// nodes). Queries are written once with `?` placeholders and rebound per dialect;
// each dialect has its own ordered, embedded migration set.
//
// Callers read through *DB and change state through DB.Tx, which hands them a *Tx
// offering the same methods. A state change and its audit record are written in
// the same transaction, so either both commit or neither does.
//
// Times are stored as Unix microseconds (BIGINT) in both dialects.
package meta
