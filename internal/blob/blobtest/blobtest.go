package blobtest

import (
	"testing"

	"github.com/artifortress/artifortress/internal/blob"
)

// Run runs the conformance suite against the stores newStore returns. Each
// subtest calls newStore once and expects an empty store it may fill; the
// subtests run in parallel.
func Run(t *testing.T, newStore func(t *testing.T) blob.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s blob.Store)
	}{
		{"StagedWriteCommitRead", testStagedWriteCommitRead},
		{"StagedReplace", testStagedReplace},
		{"WriterCancel", testWriterCancel},
		{"WriterClosed", testWriterClosed},
		{"InvalidNames", testInvalidNames},
		{"LongName", testLongName},
		{"ListStagedPrefix", testListStagedPrefix},
		{"ListStagedCallbackError", testListStagedCallbackError},
		{"DeleteStagedPrefix", testDeleteStagedPrefix},
		{"StagingIsNotBlobs", testStagingIsNotBlobs},
		{"Promote", testPromote},
		{"PromoteDedupe", testPromoteDedupe},
		{"PromoteRetry", testPromoteRetry},
		{"PromoteMissing", testPromoteMissing},
		{"OpenRange", testOpenRange},
		{"MissingBlob", testMissingBlob},
		{"InvalidDigest", testInvalidDigest},
		{"Delete", testDelete},
		{"List", testList},
		{"ZeroBytes", testZeroBytes},
		{"IngestLarge", testIngestLarge},
		{"IngestVerification", testIngestVerification},
		{"IngestContextCanceled", testIngestContextCanceled},
		{"Put", testPut},
		{"ConcurrentPromoteSameDigest", testConcurrentPromoteSameDigest},
		{"ConcurrentPromoteSameName", testConcurrentPromoteSameName},
		{"ConcurrentWriters", testConcurrentWriters},
		{"ConcurrentDeleteStaged", testConcurrentDeleteStaged},
		{"Ping", testPing},
		{"PresignPut", testPresignPut},
		{"PresignGet", testPresignGet},
		{"ComputeChecksums", testComputeChecksums},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}
