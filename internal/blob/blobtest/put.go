package blobtest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/artifortress/artifortress/internal/blob"
)

// testPut: blob.Put stores a verified, checked stream under its digest and
// leaves nothing staged, whether the store's writer commits straight into
// the blob (blob.BlobCommitter) or stages and promotes; a refused stream
// (verification or check) leaves neither a blob nor a staged object; the
// same bytes put again, or concurrently, are one intact blob.
func testPut(t *testing.T, s blob.Store) {
	ctx := t.Context()
	data := randomBytes(7, 300_000)
	d := digestOf(data)

	sums, err := blob.Put(ctx, s, "put/a", bytes.NewReader(data), blob.Expect{Digest: d, Size: int64(len(data))}, nil)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if sums.Digest != d || sums.Size != int64(len(data)) {
		t.Errorf("Put = %s/%d, want %s/%d", short(sums.Digest), sums.Size, short(d), len(data))
	}
	equalBytes(t, "put blob", readBlob(t, s, d, 0, -1), data)
	wantNotStaged(t, s, "put/a")

	// The same bytes again (another name): deduplicated, still intact.
	if _, err := blob.Put(ctx, s, "put/b", bytes.NewReader(data), blob.Expect{Size: -1}, nil); err != nil {
		t.Fatalf("Put again: %v", err)
	}
	equalBytes(t, "blob put twice", readBlob(t, s, d, 0, -1), data)

	other := randomBytes(8, 1000)
	od := digestOf(other)
	_, err = blob.Put(ctx, s, "put/bad", bytes.NewReader(other), blob.Expect{Digest: d, Size: -1}, nil)
	var ve *blob.VerificationError
	if !errors.As(err, &ve) || ve.Field != "digest" {
		t.Errorf("Put with the wrong digest = %v, want a digest *blob.VerificationError", err)
	}
	wantNoBlob(t, s, od)
	refused := errors.New("refused by the check")
	var checked blob.Sums
	_, err = blob.Put(ctx, s, "put/checked", bytes.NewReader(other), blob.Expect{Size: -1}, func(s blob.Sums) error {
		checked = s
		return refused
	})
	if !errors.Is(err, refused) {
		t.Errorf("Put refused by its check = %v, want the check's error", err)
	}
	if checked.Digest != od || checked.Size != int64(len(other)) {
		t.Errorf("the check saw %s/%d, want %s/%d", short(checked.Digest), checked.Size, short(od), len(other))
	}
	wantNoBlob(t, s, od)
	if got := staged(t, s, ""); len(got) != 0 {
		t.Errorf("after Put, ListStaged = %q, want nothing", got)
	}

	// Concurrent puts of the same new bytes all succeed: one intact blob.
	same := randomBytes(9, 200_000)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = blob.Put(ctx, s, fmt.Sprintf("put/c%d", i), bytes.NewReader(same), blob.Expect{Size: -1}, nil)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent Put %d: %v", i, err)
		}
	}
	equalBytes(t, "blob put concurrently", readBlob(t, s, digestOf(same), 0, -1), same)
	if got := staged(t, s, ""); len(got) != 0 {
		t.Errorf("after concurrent Puts, ListStaged = %q, want nothing", got)
	}
}
