package netguard

import (
	"errors"
	"fmt"
	"io"
)

// ErrTooLarge matches (with errors.Is) every *TooLargeError.
var ErrTooLarge = errors.New("netguard: body exceeds the size limit")

// TooLargeError reports a body longer than a limit.
type TooLargeError struct {
	Limit int64
}

// Error names the limit.
func (e *TooLargeError) Error() string {
	return fmt.Sprintf("response body exceeds the %d-byte limit", e.Limit)
}

// Is makes errors.Is(err, ErrTooLarge) true.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// LimitReader returns a reader of r that fails with a *TooLargeError once r
// turns out to hold more than n bytes. Unlike io.LimitReader it never
// truncates silently: the first n bytes are returned, and the next read
// fails if any byte follows.
func LimitReader(r io.Reader, n int64) io.Reader {
	return &limitedReader{r: r, left: n, limit: n}
}

type limitedReader struct {
	r     io.Reader
	left  int64 // bytes still allowed
	limit int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// One byte more tells a body of exactly limit bytes from a longer one.
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			return 0, &TooLargeError{Limit: l.limit}
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// ReadAll reads r to its end and returns what it holds, or a *TooLargeError
// (with the first n bytes) when it holds more than n bytes. It never reads
// more than n+1 bytes.
func ReadAll(r io.Reader, n int64) ([]byte, error) {
	return io.ReadAll(LimitReader(r, n))
}
