package blobhttp

import (
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/fault"
)

// ExpectedDigest reads the digest a client claims for a body: ?digest=,
// the Digest header (RFC 3230, sha-256=<base64>) or X-Checksum-Sha256 (hex).
func ExpectedDigest(r *http.Request) (blob.Digest, error) {
	var claims []string
	if v := r.URL.Query().Get("digest"); v != "" {
		claims = append(claims, v)
	}
	for _, part := range strings.Split(r.Header.Get("Digest"), ",") {
		alg, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.EqualFold(alg, "sha-256") {
			raw, err := base64.StdEncoding.DecodeString(val)
			if err != nil || len(raw) != 32 {
				return "", fault.BadRequest("Digest", "sha-256 must be the base64 of 32 bytes")
			}
			claims = append(claims, blob.SHA256Prefix+hex.EncodeToString(raw))
		}
	}
	if v := r.Header.Get("X-Checksum-Sha256"); v != "" {
		claims = append(claims, blob.SHA256Prefix+strings.ToLower(v))
	}
	var d blob.Digest
	for _, c := range claims {
		parsed, err := blob.ParseDigest(c)
		if err != nil {
			return "", fault.BadRequest("digest", "%v", err)
		}
		if d != "" && parsed != d {
			return "", fault.BadRequest("digest", "the request claims two different digests")
		}
		d = parsed
	}
	return d, nil
}
