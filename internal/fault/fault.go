package fault

import (
	"errors"
	"fmt"
)

// Kind classifies an error by what the caller can do about it. Adapters map a
// Kind to a status (HTTP 400, 401, ...) without knowing the domain.
type Kind int

// The kinds of domain errors.
const (
	KindInternal Kind = iota
	KindBadRequest
	KindUnauthorized
	KindForbidden
	KindNotFound
	KindConflict
	KindTooLarge
	KindUnsupportedMedia
	KindTooManyRequests
	KindUnavailable
	KindPreconditionFailed
	KindRangeNotSatisfiable
	KindMethodNotAllowed
	KindLocked        // 423: the resource exists but is held back (quarantine)
	KindBadGateway    // 502: an upstream (a remote repository's) failed or answered nonsense
	KindNotAcceptable // 406: no representation the client accepts (content negotiation)
)

// Error is a domain error. Code is stable and machine readable ("bad_request",
// "upload_verification_failed"); Message is for people; Details carries structured
// context such as the offending field. Err, when set, is the underlying cause and is
// never shown to clients.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Details map[string]any
	Err     error
}

// Error implements error.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// With returns a copy of e with the detail key set to value.
func (e *Error) With(key string, value any) *Error {
	c := *e
	c.Details = make(map[string]any, len(e.Details)+1)
	for k, v := range e.Details {
		c.Details[k] = v
	}
	c.Details[key] = value
	return &c
}

func newf(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// BadRequest reports invalid input. field names the offending field ("" when none).
func BadRequest(field, format string, args ...any) *Error {
	e := newf(KindBadRequest, "bad_request", format, args...)
	if field != "" {
		e.Message = field + ": " + e.Message
		e = e.With("field", field)
	}
	return e
}

// Unauthorized reports missing or invalid credentials.
func Unauthorized(format string, args ...any) *Error {
	return newf(KindUnauthorized, "unauthorized", format, args...)
}

// Forbidden reports a known caller without the required role.
func Forbidden(format string, args ...any) *Error {
	return newf(KindForbidden, "forbidden", format, args...)
}

// NotFound reports a missing resource (or one the caller may not know exists).
func NotFound(format string, args ...any) *Error {
	return newf(KindNotFound, "not_found", format, args...)
}

// Conflict reports a change that conflicts with the current state.
func Conflict(format string, args ...any) *Error {
	return newf(KindConflict, "conflict", format, args...)
}

// TooLarge reports a request body or object over a limit.
func TooLarge(format string, args ...any) *Error {
	return newf(KindTooLarge, "payload_too_large", format, args...)
}

// Unavailable reports a dependency that does not answer.
func Unavailable(format string, args ...any) *Error {
	return newf(KindUnavailable, "unavailable", format, args...)
}

// Coded returns an error of the given kind with a specific stable code.
func Coded(kind Kind, code, format string, args ...any) *Error {
	return newf(kind, code, format, args...)
}

// As returns the *Error in err's chain, or nil.
func As(err error) *Error {
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	return nil
}

// KindOf returns the kind of err, KindInternal when err is not a domain error.
func KindOf(err error) Kind {
	if fe := As(err); fe != nil {
		return fe.Kind
	}
	return KindInternal
}
