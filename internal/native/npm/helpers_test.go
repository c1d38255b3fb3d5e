package npm_test

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"net/http"
)

func sha1Hex(b []byte) string {
	s := sha1.Sum(b)
	return hex.EncodeToString(s[:])
}

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }
