// Package metatest is the contract suite every metadata backend must pass.
//
// A backend's test file calls [Run] with a function that opens a freshly
// migrated, empty store, [RunMigrate] with one that opens a store that has
// never been migrated, and [Bench] from a benchmark:
//
//	func TestSQLite(t *testing.T) { metatest.Run(t, openSQLite) }
//	func BenchmarkSQLite(b *testing.B) { metatest.Bench(b, openSQLiteB) }
//
// The suite exercises the store only through the exported API of package meta
// (plus [meta.Q.RawExec] where it must prove that the database itself refuses
// a change), so SQLite and PostgreSQL are held to exactly the same contract.
// Each subtest opens its own store; none depends on another's data.
package metatest
