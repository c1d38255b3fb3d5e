package formattest

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/format"
)

// FieldError fails t unless err is a *format.FieldError naming field.
// An empty field means err must be nil.
func FieldError(t testing.TB, err error, field string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("no error, want one on field %q", field)
	}
	var fe *format.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v is a %T, not a *format.FieldError", err, err)
	}
	if fe.Field != field {
		t.Fatalf("error %q names field %q, want %q", err, fe.Field, field)
	}
	if fe.Message == "" {
		t.Fatalf("error on %q has no message", field)
	}
}

// FieldErrorUnder fails t unless err is a *format.FieldError whose field
// is prefix or lies under it ("manifest" covers "manifest.name").
func FieldErrorUnder(t testing.TB, err error, prefix string) {
	t.Helper()
	var fe *format.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *format.FieldError", err, err)
	}
	if fe.Field != prefix && !strings.HasPrefix(fe.Field, prefix+".") && !strings.HasPrefix(fe.Field, prefix+"[") {
		t.Fatalf("error %q names field %q, want one under %q", err, fe.Field, prefix)
	}
}

// Order shuffles want, sorts it with cmp and fails t unless the result is
// want again; it also checks every pair is strictly ordered both ways, so
// want must hold no two equal versions.
func Order(t testing.TB, cmp func(a, b string) int, want []string) {
	t.Helper()
	got := slices.Clone(want)
	rand.New(rand.NewPCG(7, uint64(len(want)))).Shuffle(len(got), func(i, j int) { got[i], got[j] = got[j], got[i] })
	slices.SortStableFunc(got, cmp)
	if !slices.Equal(got, want) {
		t.Errorf("sorted:\n  %q\nwant:\n  %q", got, want)
	}
	for i := range want {
		for j := i + 1; j < len(want); j++ {
			if c := cmp(want[i], want[j]); c >= 0 {
				t.Errorf("compare(%q, %q) = %d, want < 0", want[i], want[j], c)
			}
			if c := cmp(want[j], want[i]); c <= 0 {
				t.Errorf("compare(%q, %q) = %d, want > 0", want[j], want[i], c)
			}
		}
	}
}

// Equal fails t unless cmp finds every pair equal in both directions.
func Equal(t testing.TB, cmp func(a, b string) int, pairs [][2]string) {
	t.Helper()
	for _, p := range pairs {
		if c := cmp(p[0], p[1]); c != 0 {
			t.Errorf("compare(%q, %q) = %d, want 0", p[0], p[1], c)
		}
		if c := cmp(p[1], p[0]); c != 0 {
			t.Errorf("compare(%q, %q) = %d, want 0", p[1], p[0], c)
		}
	}
}

// Sign reduces a comparison result to -1, 0 or 1.
func Sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// Compare checks the properties every version comparison must have on
// any three inputs: reflexivity, antisymmetry and transitivity. Fuzz
// targets call it with arbitrary strings.
func Compare(t testing.TB, cmp func(a, b string) int, a, b, c string) {
	t.Helper()
	if r := cmp(a, a); r != 0 {
		t.Fatalf("compare(%q, %q) = %d, want 0", a, a, r)
	}
	ab, ba := Sign(cmp(a, b)), Sign(cmp(b, a))
	if ab != -ba {
		t.Fatalf("compare(%q, %q) = %d but compare(%q, %q) = %d", a, b, ab, b, a, ba)
	}
	bc, ac := Sign(cmp(b, c)), Sign(cmp(a, c))
	if ab <= 0 && bc <= 0 && ac > 0 {
		t.Fatalf("not transitive: %q <= %q <= %q but compare(%q, %q) = %d", a, b, c, a, c, ac)
	}
	if ab >= 0 && bc >= 0 && ac < 0 {
		t.Fatalf("not transitive: %q >= %q >= %q but compare(%q, %q) = %d", a, b, c, a, c, ac)
	}
}
