package auth

import (
	"encoding/base64"
	"net/http"
	"strings"
)

// Credential extracts the token a request carries: "Authorization: Bearer
// <token>" or "Authorization: Basic base64(<any user>:<token>)" (package
// clients send Basic; the user name is ignored). present is false when the
// request carries no Authorization header at all.
func Credential(r *http.Request) (token string, present bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", false
	}
	scheme, value, _ := strings.Cut(h, " ")
	value = strings.TrimSpace(value)
	switch strings.ToLower(scheme) {
	case "bearer":
		return value, true
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(value)
		if err != nil {
			return "", true
		}
		_, pass, ok := strings.Cut(string(raw), ":")
		if !ok {
			return "", true
		}
		return pass, true
	default:
		return "", true
	}
}
