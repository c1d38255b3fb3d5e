package httprange

import (
	"net/http"
	"strings"
	"time"
)

// Decision is what preconditions leave to do.
type Decision int

// The outcomes of Evaluate.
const (
	Proceed            Decision = iota // serve; ranges apply if UseRanges
	NotModified                        // 304
	PreconditionFailed                 // 412
)

// Evaluate applies RFC 9110 §13.2.2 preconditions for a GET or HEAD of a
// representation with strong entity tag etag (quoted) last modified at
// modified. useRanges reports whether a Range header may be honoured
// (If-Range absent or matching).
func Evaluate(r *http.Request, etag string, modified time.Time) (d Decision, useRanges bool) {
	h := r.Header
	if im := h.Get("If-Match"); im != "" {
		if !matchAny(im, etag, false) {
			return PreconditionFailed, false
		}
	} else if ius := h.Get("If-Unmodified-Since"); ius != "" {
		if t, err := http.ParseTime(ius); err == nil && modified.Truncate(time.Second).After(t) {
			return PreconditionFailed, false
		}
	}
	if inm := h.Get("If-None-Match"); inm != "" {
		if matchAny(inm, etag, true) {
			return NotModified, false
		}
	} else if ims := h.Get("If-Modified-Since"); ims != "" {
		if t, err := http.ParseTime(ims); err == nil && !modified.Truncate(time.Second).After(t) {
			return NotModified, false
		}
	}
	useRanges = true
	if ir := h.Get("If-Range"); ir != "" && h.Get("Range") != "" {
		if strings.HasPrefix(ir, `"`) || strings.HasPrefix(ir, "W/") {
			useRanges = ir == etag // strong comparison
		} else if t, err := http.ParseTime(ir); err != nil || !modified.Truncate(time.Second).Equal(t) {
			useRanges = false
		}
	}
	return Proceed, useRanges
}

// matchAny reports whether a comma-separated list of entity tags contains
// etag ("*" matches anything). weak selects the weak comparison of
// If-None-Match.
func matchAny(list, etag string, weak bool) bool {
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		if t == "*" {
			return true
		}
		if weak {
			t = strings.TrimPrefix(t, "W/")
		}
		if t == etag {
			return true
		}
	}
	return false
}
