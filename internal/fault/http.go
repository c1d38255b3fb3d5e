package fault

import "net/http"

// HTTPStatus is the HTTP status every protocol answers an error of kind k
// with (500 for KindInternal and unknown kinds).
func (k Kind) HTTPStatus() int {
	if s, ok := kindStatus[k]; ok {
		return s
	}
	return http.StatusInternalServerError
}

var kindStatus = map[Kind]int{
	KindBadRequest:          http.StatusBadRequest,
	KindUnauthorized:        http.StatusUnauthorized,
	KindForbidden:           http.StatusForbidden,
	KindNotFound:            http.StatusNotFound,
	KindConflict:            http.StatusConflict,
	KindTooLarge:            http.StatusRequestEntityTooLarge,
	KindUnsupportedMedia:    http.StatusUnsupportedMediaType,
	KindTooManyRequests:     http.StatusTooManyRequests,
	KindUnavailable:         http.StatusServiceUnavailable,
	KindPreconditionFailed:  http.StatusPreconditionFailed,
	KindRangeNotSatisfiable: http.StatusRequestedRangeNotSatisfiable,
	KindMethodNotAllowed:    http.StatusMethodNotAllowed,
	KindLocked:              http.StatusLocked,
	KindBadGateway:          http.StatusBadGateway,
	KindNotAcceptable:       http.StatusNotAcceptable,
}
