package manifest

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/format"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, raw, wantField, wantMsg string
	}{
		{"object", `{"a":1}`, "", ""},
		{"leading space", " \n{}", "", ""},
		{"duplicate keys tolerated", `{"a":1,"a":2}`, "", ""},
		{"empty", ``, "manifest", "empty"},
		{"array", `[1]`, "manifest", "not an array"},
		{"string", `"x"`, "manifest", "not a string"},
		{"null", `null`, "manifest", "not null"},
		{"number", `12`, "manifest", "not a number"},
		{"truncated", `{"a":`, "manifest", "not valid JSON"},
		{"trailing data", `{"a":1} {}`, "manifest", "not valid JSON"},
		{"bad nested", `{"a":[1,}`, "manifest", "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(json.RawMessage(tt.raw))
			checkErr(t, err, tt.wantField, tt.wantMsg)
		})
	}
}

func TestParseBounds(t *testing.T) {
	big := make([]byte, MaxBytes+1)
	_, err := Parse(big)
	checkErr(t, err, "manifest", "at most")

	var b strings.Builder
	b.WriteString("{")
	for i := 0; i <= MaxItems; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"k`)
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(strconv.Itoa(i))
		b.WriteString(`":0`)
	}
	b.WriteString("}")
	_, err = Parse(json.RawMessage(b.String()))
	checkErr(t, err, "manifest", "more than")
}

func TestAccessors(t *testing.T) {
	o, err := Parse(json.RawMessage(`{
		"s": "x", "n": null, "i": 12, "f": 1.5, "b": true,
		"arr": ["a", "b"], "objs": [{"k": "v"}, 3], "m": {"x": "1", "y": 2},
		"nested": {"deep": {"v": 1}}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	if s, err := o.String("s"); err != nil || s != "x" {
		t.Errorf("String(s) = %q, %v", s, err)
	}
	_, err = o.String("n")
	checkErr(t, err, "manifest.n", "required")
	_, err = o.String("i")
	checkErr(t, err, "manifest.i", "must be a string, not a number")
	if _, ok, err := o.OptionalString("missing"); ok || err != nil {
		t.Errorf("OptionalString(missing) = %v, %v", ok, err)
	}
	if n, err := o.Int("i"); err != nil || n != 12 {
		t.Errorf("Int(i) = %d, %v", n, err)
	}
	_, err = o.Int("f")
	checkErr(t, err, "manifest.f", "must be an integer, not 1.5")
	if b, ok, err := o.OptionalBool("b"); !b || !ok || err != nil {
		t.Errorf("OptionalBool(b) = %v %v %v", b, ok, err)
	}
	if ss, ok, err := o.OptionalStringArray("arr", 2); len(ss) != 2 || !ok || err != nil {
		t.Errorf("OptionalStringArray(arr) = %v %v %v", ss, ok, err)
	}
	_, _, err = o.OptionalStringArray("arr", 1)
	checkErr(t, err, "manifest.arr", "more than 1")
	a, err := o.Array("objs", 10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Object(0); err != nil {
		t.Error(err)
	}
	_, err = a.Object(1)
	checkErr(t, err, "manifest.objs[1]", "must be a JSON object")
	_, _, err = o.OptionalStringMap("m", 10)
	checkErr(t, err, `manifest.m["y"]`, "must be a string")
	d, err := o.Object("nested")
	if err != nil {
		t.Fatal(err)
	}
	dd, err := d.Object("deep")
	if err != nil || dd.Path() != "manifest.nested.deep" {
		t.Errorf("nested path = %q, %v", dd.Path(), err)
	}
	_, err = o.Object("s")
	checkErr(t, err, "manifest.s", "must be a JSON object, not a string")
	_, err = o.Array("s", 1)
	checkErr(t, err, "manifest.s", "must be an array, not a string")
}

func checkErr(t *testing.T, err error, field, msg string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		return
	}
	var fe *format.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *format.FieldError", err, err)
	}
	if fe.Field != field || !strings.Contains(fe.Message, msg) {
		t.Fatalf("error = %q, want field %q containing %q", err, field, msg)
	}
}
