package api

import (
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/blobhttp"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
)

type blobJSON struct {
	Digest string `json:"digest"`
	Length int64  `json:"length"`
	MD5    string `json:"md5,omitempty"`
	SHA1   string `json:"sha1,omitempty"`
	SHA512 string `json:"sha512,omitempty"`
}

// putBlob is the one-shot upload: the body is the blob.
func (a *API) putBlob(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	expect := blob.Expect{Size: r.ContentLength}
	d, err := expectedDigest(r)
	if err != nil {
		return err
	}
	expect.Digest = d
	b, err := a.transfer.PutBlob(r.Context(), p, r.PathValue("key"), r.Body, expect)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/repos/"+r.PathValue("key")+"/blobs/"+b.Digest)
	writeJSON(w, http.StatusCreated, toBlobJSON(b))
	return nil
}

func toBlobJSON(b meta.Blob) blobJSON {
	return blobJSON{Digest: b.Digest, Length: b.Size, MD5: b.MD5, SHA1: b.SHA1, SHA512: b.SHA512}
}

// expectedDigest reads the digest a client claims for a body: ?digest=,
// the Digest header (RFC 3230, sha-256=<base64>) or X-Checksum-Sha256 (hex).
func expectedDigest(r *http.Request) (blob.Digest, error) {
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

// getBlob serves a blob of a repository.
func (a *API) getBlob(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	dl, err := a.transfer.Lookup(r.Context(), p, r.PathValue("key"), r.PathValue("digest"))
	if err != nil {
		return err
	}
	return blobhttp.Serve(w, r, a.transfer.Store(), dl.BlobLink, dl.Repo.Settings.RedirectDownloads, "application/octet-stream")
}
