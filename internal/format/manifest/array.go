package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/artifortress/artifortress/internal/format"
)

// Array returns the required array field key, of at most max elements.
func (o *Object) Array(key string, max int) (*Array, error) {
	a, ok, err := o.OptionalArray(key, max)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, format.Fieldf(o.Field(key), "is required")
	}
	return a, nil
}

// OptionalArray returns the array field key, of at most max elements; ok
// is false when key is absent or null.
func (o *Object) OptionalArray(key string, max int) (a *Array, ok bool, err error) {
	raw := o.Raw(key)
	if raw == nil {
		return nil, false, nil
	}
	path := o.Field(key)
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '[' {
		return nil, false, format.Fieldf(path, "must be an array, not %s", kind(raw))
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if _, err := dec.Token(); err != nil { // '['
		return nil, false, invalid(path, err)
	}
	var items []json.RawMessage
	for dec.More() {
		if len(items) == max {
			return nil, false, format.Fieldf(path, "has more than %d elements", max)
		}
		var item json.RawMessage
		if err := dec.Decode(&item); err != nil {
			return nil, false, invalid(path, err)
		}
		items = append(items, item)
	}
	if err := closeAndEnd(dec); err != nil {
		return nil, false, invalid(path, err)
	}
	return &Array{path: path, items: items}, true, nil
}

// OptionalStringArray returns the array-of-strings field key, of at most
// max elements; ok is false when key is absent or null.
func (o *Object) OptionalStringArray(key string, max int) (ss []string, ok bool, err error) {
	a, ok, err := o.OptionalArray(key, max)
	if err != nil || !ok {
		return nil, ok, err
	}
	ss = make([]string, a.Len())
	for i := range ss {
		if ss[i], err = a.String(i); err != nil {
			return nil, false, err
		}
	}
	return ss, true, nil
}

// Array is a decoded JSON array together with its path in the manifest.
type Array struct {
	path  string
	items []json.RawMessage
}

// Len is the number of elements.
func (a *Array) Len() int { return len(a.items) }

// Index is the path of element i ("manifest.layers[2]").
func (a *Array) Index(i int) string { return fmt.Sprintf("%s[%d]", a.path, i) }

// Raw returns element i undecoded.
func (a *Array) Raw(i int) json.RawMessage { return a.items[i] }

// Object decodes element i as an object.
func (a *Array) Object(i int) (*Object, error) { return decodeObject(a.Index(i), a.items[i]) }

// String decodes element i as a string.
func (a *Array) String(i int) (string, error) { return decodeString(a.Index(i), a.items[i]) }
