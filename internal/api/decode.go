package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/artifortress/artifortress/internal/fault"
)

// decodeOptionalJSON is decodeJSON for bodies whose fields are all
// optional: an empty body leaves dst as it is.
func (a *API) decodeOptionalJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return a.decodeJSON(w, r, dst)
}

// decodeJSON reads one JSON object from the body into dst: at most
// a.maxBodyBytes (413 beyond), no unknown fields, nothing after the object.
// Every failure is a 400 that names the field where one is known.
func (a *API) decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	body := http.MaxBytesReader(w, r.Body, a.maxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err, a.maxBodyBytes)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return jsonError(err, a.maxBodyBytes)
		}
		return fault.BadRequest("", "unexpected data after the JSON object")
	}
	return nil
}

func jsonError(err error, limit int64) error {
	var (
		tooLarge *http.MaxBytesError
		syntax   *json.SyntaxError
		typ      *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooLarge):
		return fault.TooLarge("request body exceeds %d bytes", limit).With("limit", limit)
	case errors.Is(err, io.EOF):
		return fault.BadRequest("", "request body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fault.BadRequest("", "malformed JSON: unexpected end of input")
	case errors.As(err, &syntax):
		return fault.BadRequest("", "malformed JSON at byte %d: %v", syntax.Offset, syntax).With("offset", syntax.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return fault.BadRequest("", "want a JSON object, got %s", typ.Value)
		}
		return fault.BadRequest(field, "want %s, got %s", jsonType(typ.Type.Kind().String()), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return fault.BadRequest(name, "unknown field")
	default:
		return fault.BadRequest("", "malformed JSON: %v", err)
	}
}

func jsonType(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	case "bool":
		return "a boolean"
	default:
		return "a number"
	}
}
