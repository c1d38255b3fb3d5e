package httprange

import (
	"errors"
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	const size = 100
	cases := []struct {
		h    string
		want []Range
		err  error
	}{
		{"", nil, nil},
		{"bytes=0-0", []Range{{0, 1}}, nil},
		{"bytes=10-19", []Range{{10, 10}}, nil},
		{"bytes=90-", []Range{{90, 10}}, nil},
		{"bytes=-5", []Range{{95, 5}}, nil},
		{"bytes=-500", []Range{{0, 100}}, nil},
		{"bytes=0-500", []Range{{0, 100}}, nil},
		{"bytes=0-1, 5-6 ,-1", []Range{{0, 2}, {5, 2}, {99, 1}}, nil},
		{"bytes=0-1,,5-6", []Range{{0, 2}, {5, 2}}, nil},
		{"bytes=100-", nil, ErrUnsatisfiable},
		{"bytes=-0", nil, ErrUnsatisfiable},
		{"bytes=100-200,-0", nil, ErrUnsatisfiable},
		{"bytes=100-200,0-0", []Range{{0, 1}}, nil},
		{"bytes=5-2", nil, nil},
		{"bytes=abc", nil, nil},
		{"bytes=1-2-3", nil, nil},
		{"bytes=+1-2", nil, nil},
		{"bytes=", nil, nil},
		{"items=0-1", nil, nil},
		{"bytes=99999999999999999999-", nil, nil},
	}
	for _, c := range cases {
		got, err := Parse(c.h, size)
		if !errors.Is(err, c.err) || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Parse(%q) = %v, %v; want %v, %v", c.h, got, err, c.want, c.err)
		}
	}
	if got, err := Parse("bytes=0-0", 0); !errors.Is(err, ErrUnsatisfiable) {
		t.Errorf("empty representation: %v %v", got, err)
	}
}

// FuzzParse checks that every range Parse returns lies inside the
// representation and is non-empty, whatever the header.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"bytes=0-0", "bytes=-1", "bytes=10-", "bytes=0-9,20-29", "bytes=", "bytes=-0", "bytes=5-2", "bytes= 1 - 2 "} {
		f.Add(s, int64(100))
	}
	f.Fuzz(func(t *testing.T, h string, size int64) {
		if size < 0 {
			size = -size
		}
		if size < 0 {
			return
		}
		rs, err := Parse(h, size)
		if err != nil && !errors.Is(err, ErrUnsatisfiable) {
			t.Fatalf("unexpected error %v", err)
		}
		if len(rs) > MaxRanges {
			t.Fatalf("%d ranges", len(rs))
		}
		for _, r := range rs {
			if r.Start < 0 || r.Length <= 0 || r.Start+r.Length > size {
				t.Fatalf("Parse(%q, %d) gave out-of-bounds %+v", h, size, r)
			}
		}
	})
}
