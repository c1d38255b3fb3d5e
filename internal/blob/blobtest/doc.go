// Package blobtest is the conformance suite every [blob.Store] passes.
//
// A store's tests call [Run] with a constructor that returns a fresh, empty
// store for each subtest, and [Bench] from a benchmark:
//
//	func TestConformance(t *testing.T) {
//		blobtest.Run(t, func(t *testing.T) blob.Store {
//			s, err := filestore.New(t.TempDir())
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// The suite checks the contract documented on [blob.Store], [blob.Writer]
// and the optional [blob.Presigner] capability (subtests needing it are
// skipped for stores without it), plus [blob.Ingest] and
// [blob.ComputeChecksums] running on top of the store. Subtests run in
// parallel, so the constructor must be safe for concurrent use.
package blobtest
