package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"
)

func testData(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.NewChaCha8([32]byte{byte(n), byte(n >> 8), byte(n >> 16)}).Read(b)
	return b
}

// pipeSizes straddle every chunk and ring boundary.
var pipeSizes = []int{
	0, 1, 2,
	chunkSize - 1, chunkSize, chunkSize + 1,
	2*chunkSize - 1, 2 * chunkSize,
	chunksInFlight*chunkSize - 1, chunksInFlight * chunkSize, chunksInFlight*chunkSize + 1,
	5*chunkSize + 7,
	(2*chunksInFlight+1)*chunkSize + 3,
}

// collector is a writer that checks it is never called concurrently and
// keeps a copy of what it was given.
type collector struct {
	buf    bytes.Buffer
	busy   atomic.Bool
	delay  time.Duration
	writes int
}

func (c *collector) Write(p []byte) (int, error) {
	if !c.busy.CompareAndSwap(false, true) {
		panic("concurrent Write")
	}
	defer c.busy.Store(false)
	c.writes++
	if c.delay > 0 {
		time.Sleep(c.delay)
	}
	return c.buf.Write(p)
}

func checkPipe(t *testing.T, what string, r io.Reader, data []byte, w *collector) {
	t.Helper()
	sums, err := pipe(context.Background(), w, r, 0)
	if err != nil {
		t.Fatalf("%s: pipe: %v", what, err)
	}
	sum := sha256.Sum256(data)
	if sums.Digest != FromSum(sum[:]) || sums.Size != int64(len(data)) {
		t.Errorf("%s: sums = %+v, want %s, %d", what, sums, FromSum(sum[:]), len(data))
	}
	if !bytes.Equal(w.buf.Bytes(), data) {
		t.Errorf("%s: the writer got %d bytes that differ from the %d read", what, w.buf.Len(), len(data))
	}
}

func TestPipeSizes(t *testing.T) {
	for _, n := range pipeSizes {
		data := testData(n)
		checkPipe(t, fmt.Sprintf("%d bytes", n), bytes.NewReader(data), data, &collector{})
	}
}

func TestPipeShortReads(t *testing.T) {
	for _, n := range []int{0, 1, chunkSize - 1, chunkSize + 1, 3*chunkSize + 5} {
		data := testData(n)
		readers := map[string]io.Reader{
			"half":     iotest.HalfReader(bytes.NewReader(data)),
			"data+EOF": iotest.DataErrReader(bytes.NewReader(data)),
			"random":   &randomShortReader{r: bytes.NewReader(data), rng: rand.New(rand.NewPCG(1, uint64(n)))},
		}
		if n < 100_000 {
			readers["one byte"] = iotest.OneByteReader(bytes.NewReader(data))
		}
		for name, r := range readers {
			checkPipe(t, fmt.Sprintf("%d bytes, %s reads", n, name), r, data, &collector{})
		}
	}
}

// randomShortReader returns between 0 and 70000 bytes per Read.
type randomShortReader struct {
	r   io.Reader
	rng *rand.Rand
}

func (s *randomShortReader) Read(p []byte) (int, error) {
	n := s.rng.IntN(70_000)
	if n < len(p) {
		p = p[:n]
	}
	return s.r.Read(p)
}

func TestPipeSlowWriter(t *testing.T) {
	// Backpressure: the reader fills the ring and waits; no buffer is
	// overwritten while the writer still holds it.
	data := testData(3*chunksInFlight*chunkSize + 11)
	w := &collector{delay: time.Millisecond}
	checkPipe(t, "slow writer", bytes.NewReader(data), data, w)
	if want := (len(data) + chunkSize - 1) / chunkSize; w.writes != want {
		t.Errorf("%d writes, want one per chunk (%d)", w.writes, want)
	}
}

// countingReader returns zeros forever (or up to limit) and counts them.
type countingReader struct {
	n     atomic.Int64
	limit int64 // 0: endless
}

func (r *countingReader) Read(p []byte) (int, error) {
	if r.limit > 0 {
		left := r.limit - r.n.Load()
		if left <= 0 {
			return 0, io.EOF
		}
		if int64(len(p)) > left {
			p = p[:left]
		}
	}
	clear(p)
	r.n.Add(int64(len(p)))
	return len(p), nil
}

// failingWriter fails once it has accepted after bytes.
type failingWriter struct {
	n, after int64
	err      error
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n+int64(len(p)) > w.after {
		k := max(w.after-w.n, 0)
		w.n += k
		return int(k), w.err
	}
	w.n += int64(len(p))
	return len(p), nil
}

// maxOverread is how far the reader may run ahead of a failed writer: the
// chunks in flight plus the one being read.
const maxOverread = (chunksInFlight + 2) * chunkSize

func TestPipeWriterFails(t *testing.T) {
	for _, after := range []int64{0, 1, chunkSize, 10*chunkSize + 3} {
		disk := errors.New("disk full")
		r := &countingReader{} // endless: the pipe must stop on its own
		w := &failingWriter{after: after, err: disk}
		done := make(chan error, 1)
		go func() {
			_, err := pipe(context.Background(), w, r, 0)
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, disk) {
				t.Errorf("writer failing after %d bytes: pipe = %v, want the write error", after, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("writer failing after %d bytes: pipe still reading (%d bytes) after 30s", after, r.n.Load())
		}
		if n := r.n.Load(); n > after+maxOverread {
			t.Errorf("writer failing after %d bytes: the reader was drained to %d bytes, want at most %d",
				after, n, after+maxOverread)
		}
	}
}

func TestPipeReaderFails(t *testing.T) {
	broken := errors.New("connection reset")
	data := testData(2*chunkSize + 9)
	r := io.MultiReader(bytes.NewReader(data), iotest.ErrReader(broken))
	w := &collector{}
	if _, err := pipe(context.Background(), w, r, 0); !errors.Is(err, broken) {
		t.Errorf("pipe = %v, want the read error", err)
	}
	// TimeoutReader: the second read fails.
	if _, err := pipe(context.Background(), &collector{}, iotest.TimeoutReader(bytes.NewReader(data)), 0); !errors.Is(err, iotest.ErrTimeout) {
		t.Errorf("pipe = %v, want iotest.ErrTimeout", err)
	}
}

func TestPipeMaxSize(t *testing.T) {
	for _, limit := range []int64{1, chunkSize - 1, chunkSize, 3*chunkSize + 1} {
		// Exactly the limit passes.
		data := testData(int(limit))
		sums, err := pipe(context.Background(), &collector{}, bytes.NewReader(data), limit)
		if err != nil || sums.Size != limit {
			t.Errorf("limit %d, %d bytes: %+v, %v", limit, limit, sums, err)
		}
		// One more byte fails.
		data = testData(int(limit) + 1)
		if _, err := pipe(context.Background(), &collector{}, bytes.NewReader(data), limit); !errors.Is(err, ErrTooLarge) {
			t.Errorf("limit %d, %d bytes: %v, want ErrTooLarge", limit, limit+1, err)
		}
		// An endless stream stops soon after the limit.
		r := &countingReader{}
		if _, err := pipe(context.Background(), &collector{}, r, limit); !errors.Is(err, ErrTooLarge) {
			t.Errorf("limit %d, endless: %v, want ErrTooLarge", limit, err)
		}
		if n := r.n.Load(); n > limit+chunkSize {
			t.Errorf("limit %d: read %d bytes, want at most %d", limit, n, limit+chunkSize)
		}
	}
}

func TestPipeContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := &countingReader{}
	if _, err := pipe(ctx, &collector{}, r, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("pipe with a canceled context = %v", err)
	}
	if r.n.Load() != 0 {
		t.Errorf("read %d bytes with a canceled context", r.n.Load())
	}

	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	r = &countingReader{}
	w := &cancelAfter{after: 5 * chunkSize, cancel: cancel}
	if _, err := pipe(ctx, w, r, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("pipe canceled midway = %v", err)
	}
	if n := r.n.Load(); n > 5*chunkSize+maxOverread {
		t.Errorf("read %d bytes after cancellation at %d", n, 5*chunkSize)
	}
}

// cancelAfter cancels a context once it has accepted after bytes.
type cancelAfter struct {
	n, after int64
	cancel   context.CancelFunc
}

func (w *cancelAfter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	if w.n >= w.after {
		w.cancel()
	}
	return len(p), nil
}

func TestExpectVerify(t *testing.T) {
	d := FromSum(make([]byte, 32))
	other := FromSum(bytes.Repeat([]byte{1}, 32))
	s := Sums{Digest: d, Size: 10}
	cases := []struct {
		exp   Expect
		field string
	}{
		{Expect{Size: -1}, ""},
		{Expect{Digest: d, Size: 10}, ""},
		{Expect{Digest: d, Size: -1}, ""},
		{Expect{Size: 10}, ""},
		{Expect{Size: 0}, "length"}, // 0 is a size, not "unknown"
		{Expect{Size: 11}, "length"},
		{Expect{Digest: other, Size: -1}, "digest"},
		{Expect{Digest: other, Size: 9}, "length"}, // length is checked first
	}
	for _, c := range cases {
		err := c.exp.verify(s)
		var ve *VerificationError
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%+v: %v, want nil", c.exp, err)
		case c.field != "" && (!errors.As(err, &ve) || ve.Field != c.field):
			t.Errorf("%+v: %v, want a %s mismatch", c.exp, err, c.field)
		}
	}
	ve := &VerificationError{Field: "length", Expected: "1", Actual: "2"}
	if ve.Error() != "length mismatch: expected 1, got 2" {
		t.Errorf("Error() = %q", ve.Error())
	}
}

// memStore is the smallest Store Ingest needs; the other methods are
// unused here (the conformance suite covers real stores).
type memStore struct {
	Store
	objects   map[string][]byte
	cancelled int
	failWrite error
}

type memWriter struct {
	s    *memStore
	name string
	buf  bytes.Buffer
}

func (m *memStore) NewWriter(_ context.Context, name string) (Writer, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	return &memWriter{s: m, name: name}, nil
}

func (w *memWriter) Write(p []byte) (int, error) {
	if w.s.failWrite != nil {
		return 0, w.s.failWrite
	}
	return w.buf.Write(p)
}
func (w *memWriter) Size() int64 { return int64(w.buf.Len()) }
func (w *memWriter) Commit(context.Context) (Info, error) {
	w.s.objects[w.name] = w.buf.Bytes()
	return Info{Name: w.name, Size: int64(w.buf.Len())}, nil
}
func (w *memWriter) Cancel(context.Context) error { w.s.cancelled++; return nil }

func TestIngest(t *testing.T) {
	ctx := context.Background()
	data := testData(3*chunkSize + 1)
	sum := sha256.Sum256(data)
	d := FromSum(sum[:])

	m := &memStore{objects: map[string][]byte{}}
	sums, err := Ingest(ctx, m, "a/b", bytes.NewReader(data), Expect{Digest: d, Size: int64(len(data))})
	if err != nil || sums.Digest != d || !bytes.Equal(m.objects["a/b"], data) {
		t.Fatalf("Ingest = %+v, %v", sums, err)
	}

	_, err = Ingest(ctx, m, "a/c", bytes.NewReader(data), Expect{Size: 1})
	var ve *VerificationError
	if !errors.As(err, &ve) || m.cancelled != 1 || m.objects["a/c"] != nil {
		t.Errorf("mismatch: err %v, %d cancels, staged %v", err, m.cancelled, m.objects["a/c"] != nil)
	}

	m.failWrite = errors.New("no space")
	if _, err := Ingest(ctx, m, "a/d", bytes.NewReader(data), Expect{Size: -1}); !errors.Is(err, m.failWrite) || m.cancelled != 2 {
		t.Errorf("write failure: err %v, %d cancels", err, m.cancelled)
	}

	if _, err := Ingest(ctx, m, "../x", bytes.NewReader(data), Expect{Size: -1}); err == nil {
		t.Errorf("Ingest to an invalid name succeeded")
	}
}
