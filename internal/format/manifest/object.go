package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"slices"
	"strconv"

	"github.com/artifortress/artifortress/internal/format"
)

// MaxBytes bounds the size of a manifest document.
const MaxBytes = 16 << 20

// MaxItems is the default bound for arrays and maps a format iterates over
// (layers, dependencies, classifiers, ...).
const MaxItems = 10000

// Root is the field path of the manifest document itself.
const Root = "manifest"

// Object is a decoded JSON object together with its path in the manifest.
// The zero value is not usable; get one from Parse or from another
// Object's accessors.
type Object struct {
	path   string
	fields map[string]json.RawMessage
}

// Parse decodes raw, which must be a single JSON object of at most
// MaxBytes bytes.
func Parse(raw json.RawMessage) (*Object, error) {
	if len(raw) > MaxBytes {
		return nil, format.Fieldf(Root, "is %d bytes; at most %d are accepted", len(raw), MaxBytes)
	}
	return decodeObject(Root, raw)
}

func decodeObject(path string, raw json.RawMessage) (*Object, error) {
	trimmed := bytes.TrimLeft(raw, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, format.Fieldf(path, "is empty; want a JSON object")
	}
	if trimmed[0] != '{' {
		return nil, format.Fieldf(path, "must be a JSON object, not %s", kind(trimmed))
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if _, err := dec.Token(); err != nil { // '{'
		return nil, invalid(path, err)
	}
	fields := make(map[string]json.RawMessage)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, invalid(path, err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, format.Fieldf(path, "is not valid JSON: object key is not a string")
		}
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, invalid(path, err)
		}
		if _, dup := fields[key]; !dup && len(fields) >= MaxItems {
			return nil, format.Fieldf(path, "has more than %d keys", MaxItems)
		}
		fields[key] = value
	}
	if err := closeAndEnd(dec); err != nil {
		return nil, invalid(path, err)
	}
	return &Object{path: path, fields: fields}, nil
}

// closeAndEnd reads the closing delimiter and checks nothing follows it.
func closeAndEnd(dec *json.Decoder) error {
	if _, err := dec.Token(); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("unexpected data after the top-level value")
		}
		return err
	}
	return nil
}

func invalid(path string, err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return format.Fieldf(path, "is not valid JSON: unexpected end of input")
	}
	return format.Fieldf(path, "is not valid JSON: %v", err)
}

// kind names the JSON type that raw starts with, for error messages.
func kind(raw []byte) string {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return "a number"
	default:
		return "invalid JSON"
	}
}

// Path is the object's own field path ("manifest", "manifest.config").
func (o *Object) Path() string { return o.path }

// Field is the path of key inside the object ("manifest.config.digest").
func (o *Object) Field(key string) string { return o.path + "." + key }

// Len is the number of keys in the object.
func (o *Object) Len() int { return len(o.fields) }

// Entry is the path of a map entry inside the object, with the key quoted
// because map keys are arbitrary ("manifest.annotations[\"a.b\"]").
func (o *Object) Entry(key string) string { return o.path + "[" + strconv.Quote(key) + "]" }

// Keys calls fn for every key and raw value of the object in key order,
// stopping at the first error.
func (o *Object) Keys(fn func(key string, raw json.RawMessage) error) error {
	for _, k := range slices.Sorted(maps.Keys(o.fields)) {
		if err := fn(k, o.fields[k]); err != nil {
			return err
		}
	}
	return nil
}

// Has reports whether key is present with a value other than null.
func (o *Object) Has(key string) bool {
	raw, ok := o.fields[key]
	return ok && !isNull(raw)
}

// Raw returns key's raw value, or nil when key is absent or null.
func (o *Object) Raw(key string) json.RawMessage {
	if !o.Has(key) {
		return nil
	}
	return o.fields[key]
}

func isNull(raw json.RawMessage) bool {
	return bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// String returns the required string field key.
func (o *Object) String(key string) (string, error) {
	s, ok, err := o.OptionalString(key)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", format.Fieldf(o.Field(key), "is required")
	}
	return s, nil
}

// OptionalString returns the string field key; ok is false when key is
// absent or null.
func (o *Object) OptionalString(key string) (s string, ok bool, err error) {
	raw := o.Raw(key)
	if raw == nil {
		return "", false, nil
	}
	s, err = decodeString(o.Field(key), raw)
	return s, err == nil, err
}

func decodeString(path string, raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", format.Fieldf(path, "must be a string, not %s", kind(raw))
	}
	return s, nil
}

// OptionalBool returns the boolean field key; ok is false when key is
// absent or null.
func (o *Object) OptionalBool(key string) (b, ok bool, err error) {
	raw := o.Raw(key)
	if raw == nil {
		return false, false, nil
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return false, false, format.Fieldf(o.Field(key), "must be true or false, not %s", kind(raw))
	}
	return b, true, nil
}

// OptionalInt returns the integer field key; ok is false when key is absent
// or null. Fractions, exponents and values beyond int64 are rejected.
func (o *Object) OptionalInt(key string) (n int64, ok bool, err error) {
	raw := o.Raw(key)
	if raw == nil {
		return 0, false, nil
	}
	n, err = strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
	if err != nil {
		return 0, false, format.Fieldf(o.Field(key), "must be an integer, not %s", describe(raw))
	}
	return n, true, nil
}

// Int returns the required integer field key.
func (o *Object) Int(key string) (int64, error) {
	n, ok, err := o.OptionalInt(key)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, format.Fieldf(o.Field(key), "is required")
	}
	return n, nil
}

// describe shows a short raw value in error messages.
func describe(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && (raw[0] >= '0' && raw[0] <= '9' || raw[0] == '-') && len(raw) <= 32 {
		return string(raw)
	}
	return kind(raw)
}

// Object returns the required object field key.
func (o *Object) Object(key string) (*Object, error) {
	sub, ok, err := o.OptionalObject(key)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, format.Fieldf(o.Field(key), "is required")
	}
	return sub, nil
}

// OptionalObject returns the object field key; ok is false when key is
// absent or null.
func (o *Object) OptionalObject(key string) (sub *Object, ok bool, err error) {
	raw := o.Raw(key)
	if raw == nil {
		return nil, false, nil
	}
	sub, err = decodeObject(o.Field(key), raw)
	return sub, err == nil, err
}

// OptionalStringMap returns the object-of-strings field key (string keys
// to string values), of at most max entries; ok is false when key is
// absent or null.
func (o *Object) OptionalStringMap(key string, max int) (m map[string]string, ok bool, err error) {
	sub, ok, err := o.OptionalObject(key)
	if err != nil || !ok {
		return nil, ok, err
	}
	if sub.Len() > max {
		return nil, false, format.Fieldf(sub.Path(), "has %d entries; at most %d are accepted", sub.Len(), max)
	}
	m = make(map[string]string, sub.Len())
	err = sub.Keys(func(k string, raw json.RawMessage) error {
		s, err := decodeString(sub.Entry(k), raw)
		m[k] = s
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return m, true, nil
}
