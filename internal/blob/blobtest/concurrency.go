package blobtest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/artifortress/artifortress/internal/blob"
)

func testConcurrentPromoteSameDigest(t *testing.T, s blob.Store) {
	const n = 8
	data := randomBytes(13, 200_000)
	d := digestOf(data)
	for i := range n {
		put(t, s, fmt.Sprintf("cp/%d", i), data)
	}
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Go(func() {
			start.Wait()
			errs[i] = s.Promote(context.Background(), fmt.Sprintf("cp/%d", i), d)
		})
	}
	start.Done()
	done.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Promote %d: %v", i, err)
		}
	}
	if got := blobs(t, s); len(got) != 1 || got[d].Size != int64(len(data)) {
		t.Errorf("List = %v, want one blob %s", got, short(d))
	}
	equalBytes(t, "blob", readBlob(t, s, d, 0, -1), data)
	if got := staged(t, s, ""); len(got) != 0 {
		t.Errorf("staged objects left after promotion: %q", got)
	}
}

func testConcurrentPromoteSameName(t *testing.T, s blob.Store) {
	// Retries racing each other: all succeed, whichever moves the object.
	const n = 8
	data := randomBytes(17, 50_000)
	d := digestOf(data)
	put(t, s, "same/obj", data)
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Go(func() {
			start.Wait()
			errs[i] = s.Promote(context.Background(), "same/obj", d)
		})
	}
	start.Done()
	done.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Promote %d: %v", i, err)
		}
	}
	equalBytes(t, "blob", readBlob(t, s, d, 0, -1), data)
	wantNotStaged(t, s, "same/obj")
}

func testConcurrentWriters(t *testing.T, s blob.Store) {
	ctx := t.Context()
	const n = 16
	names := make([]string, n)
	datas := make([][]byte, n)
	writers := make([]blob.Writer, n)
	for i := range n {
		if i%2 == 0 {
			names[i] = fmt.Sprintf("cw/shared/%02d", i) // one directory
		} else {
			names[i] = fmt.Sprintf("cw/own-%02d/obj", i)
		}
		datas[i] = randomBytes(uint64(100+i), 10_000+i*5_000)
		w, err := s.NewWriter(ctx, names[i])
		if err != nil {
			t.Fatal(err)
		}
		writers[i] = w
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			data := datas[i]
			for len(data) > 0 {
				k := min(len(data), 4096)
				if _, err := writers[i].Write(data[:k]); err != nil {
					errs[i] = err
					_ = writers[i].Cancel(ctx)
					return
				}
				data = data[k:]
			}
			_, errs[i] = writers[i].Commit(ctx)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	for i, name := range names {
		equalBytes(t, name, readStaged(t, s, name), datas[i])
	}
	if got := staged(t, s, "cw/"); len(got) != n {
		t.Errorf("ListStaged found %d objects, want %d", len(got), n)
	}
}

func testConcurrentDeleteStaged(t *testing.T, s blob.Store) {
	// Deleting one upload's objects never disturbs a writer of a name next
	// to them, even while the deleted names' directories (in a store that
	// has them) are being removed.
	ctx := t.Context()
	const rounds = 50
	for i := range rounds {
		deleted := fmt.Sprintf("del/%d/x/part", i)
		kept := fmt.Sprintf("del/%d/keep/part", i)
		put(t, s, deleted, []byte("x"))
		var start, wg sync.WaitGroup
		start.Add(1)
		var deleteErr, putErr error
		wg.Go(func() {
			start.Wait()
			deleteErr = s.DeleteStaged(ctx, fmt.Sprintf("del/%d/x/", i))
		})
		wg.Go(func() {
			start.Wait()
			w, err := s.NewWriter(ctx, kept)
			if err != nil {
				putErr = err
				return
			}
			if _, err := w.Write([]byte("kept")); err != nil {
				putErr = err
				_ = w.Cancel(ctx)
				return
			}
			_, putErr = w.Commit(ctx)
		})
		start.Done()
		wg.Wait()
		if deleteErr != nil {
			t.Fatalf("round %d: DeleteStaged: %v", i, deleteErr)
		}
		if putErr != nil {
			t.Fatalf("round %d: writing %q next to a DeleteStaged: %v", i, kept, putErr)
		}
		equalBytes(t, kept, readStaged(t, s, kept), []byte("kept"))
		wantNotStaged(t, s, deleted)
	}
}
