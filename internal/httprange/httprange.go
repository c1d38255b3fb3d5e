// Package httprange parses HTTP Range headers (RFC 9110 §14) against a
// representation of known size, and evaluates the preconditions that decide
// whether a range applies.
package httprange

import (
	"errors"
	"strconv"
	"strings"
)

// Range is a satisfiable byte range: Length bytes from Start.
type Range struct {
	Start, Length int64
}

// ContentRange renders the Content-Range value of r within size.
func (r Range) ContentRange(size int64) string {
	return "bytes " + strconv.FormatInt(r.Start, 10) + "-" + strconv.FormatInt(r.Start+r.Length-1, 10) + "/" + strconv.FormatInt(size, 10)
}

// ErrUnsatisfiable: the header is valid but no range overlaps the
// representation (answer 416 with Content-Range: bytes */size).
var ErrUnsatisfiable = errors.New("range not satisfiable")

// MaxRanges bounds how many ranges one request may ask for; past it the
// header is ignored and the whole representation is served, so a request
// cannot make the server write many overlapping copies.
const MaxRanges = 64

// Parse returns the satisfiable ranges of header for a representation of
// size bytes, in the order asked. It returns nil, nil when the header is
// absent, syntactically invalid, not in bytes, or asks for too many ranges:
// the server then ignores it and sends the whole representation (RFC 9110
// §14.2 permits ignoring Range). It returns ErrUnsatisfiable when the header
// is valid but no range can be satisfied.
func Parse(header string, size int64) ([]Range, error) {
	unit, set, ok := strings.Cut(header, "=")
	if !ok || strings.TrimSpace(unit) != "bytes" {
		return nil, nil
	}
	specs := strings.Split(set, ",")
	if len(specs) > MaxRanges {
		return nil, nil
	}
	var out []Range
	valid := 0
	for _, spec := range specs {
		spec = strings.TrimSpace(spec)
		if spec == "" {
			continue // RFC 9110 allows empty list elements
		}
		first, last, ok := strings.Cut(spec, "-")
		if !ok {
			return nil, nil
		}
		first, last = strings.TrimSpace(first), strings.TrimSpace(last)
		switch {
		case first == "": // suffix: the last N bytes
			n, ok := digits(last)
			if !ok {
				return nil, nil
			}
			valid++
			if n == 0 || size == 0 {
				continue // unsatisfiable on its own
			}
			n = min(n, size)
			out = append(out, Range{Start: size - n, Length: n})
		default:
			start, ok := digits(first)
			if !ok {
				return nil, nil
			}
			end := int64(-1)
			if last != "" {
				if end, ok = digits(last); !ok || end < start {
					return nil, nil
				}
			}
			valid++
			if start >= size {
				continue
			}
			if end < 0 || end >= size {
				end = size - 1
			}
			out = append(out, Range{Start: start, Length: end - start + 1})
		}
	}
	if valid == 0 {
		return nil, nil
	}
	if len(out) == 0 {
		return nil, ErrUnsatisfiable
	}
	return out, nil
}

// digits parses a non-empty run of ASCII digits that fits an int64.
func digits(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
