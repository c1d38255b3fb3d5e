package netguard_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/artifortress/artifortress/internal/netguard"
)

func TestReadAll(t *testing.T) {
	for _, c := range []struct {
		name    string
		size    int
		limit   int64
		tooLong bool
	}{
		{"empty", 0, 10, false},
		{"under", 9, 10, false},
		{"exact", 10, 10, false},
		{"one_over", 11, 10, true},
		{"far_over", 1 << 20, 10, true},
		{"zero_limit_empty", 0, 0, false},
		{"zero_limit_one", 1, 0, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := strings.Repeat("x", c.size)
			counted := &countingReader{r: iotest.HalfReader(strings.NewReader(src))}
			got, err := netguard.ReadAll(counted, c.limit)
			if c.tooLong {
				if !errors.Is(err, netguard.ErrTooLarge) {
					t.Fatalf("error = %v, want ErrTooLarge", err)
				}
				if int64(len(got)) != c.limit {
					t.Errorf("returned %d bytes, want the first %d", len(got), c.limit)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != src {
					t.Errorf("got %d bytes, want %d", len(got), c.size)
				}
			}
			if counted.n > c.limit+1 {
				t.Errorf("read %d bytes from the source, want at most limit+1 = %d", counted.n, c.limit+1)
			}
		})
	}
}

func TestLimitReaderMessage(t *testing.T) {
	_, err := io.Copy(io.Discard, netguard.LimitReader(bytes.NewReader(make([]byte, 100)), 64))
	if err == nil || err.Error() != "response body exceeds the 64-byte limit" {
		t.Fatalf("error = %v", err)
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
