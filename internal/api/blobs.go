package api

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/transfer"
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

// getBlob serves a blob with ranges and conditional requests. HEAD is
// answered from metadata alone.
func (a *API) getBlob(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	dl, err := a.transfer.Lookup(r.Context(), p, r.PathValue("key"), r.PathValue("digest"))
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("ETag", `"`+dl.Digest+`"`)
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
	h.Set("X-Checksum-Sha256", strings.TrimPrefix(dl.Digest, blob.SHA256Prefix))
	h.Set("Accept-Ranges", "bytes")
	modified := dl.LinkedAt.Truncate(time.Second)
	if r.Method == http.MethodHead {
		h.Set("Last-Modified", modified.UTC().Format(http.TimeFormat))
		if etagMatches(r.Header.Get("If-None-Match"), dl.Digest) {
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
		h.Set("Content-Length", strconv.FormatInt(dl.Size, 10))
		w.WriteHeader(http.StatusOK)
		return nil
	}
	store := a.transfer.Store()
	if ps, ok := store.(blob.Presigner); ok && (dl.Repo.Settings.RedirectDownloads || r.URL.Query().Get("redirect") == "true") {
		u, err := ps.PresignGet(r.Context(), blob.Digest(dl.Digest), transfer.PresignTTL)
		if err != nil {
			return err
		}
		h.Del("Content-Type")
		http.Redirect(w, r, u, http.StatusTemporaryRedirect)
		return nil
	}
	if fo, ok := store.(blob.FileOpener); ok {
		f, err := fo.OpenFile(r.Context(), blob.Digest(dl.Digest))
		if err != nil {
			return missingBytes(err, dl.Digest)
		}
		defer f.Close()
		http.ServeContent(w, r, "", modified, f)
		return nil
	}
	rs := blob.NewReadSeeker(r.Context(), store, blob.Digest(dl.Digest), dl.Size)
	defer rs.Close()
	http.ServeContent(w, r, "", modified, rs)
	return nil
}

// missingBytes: metadata says the blob exists but the store has no bytes.
func missingBytes(err error, digest string) error {
	if errors.Is(err, blob.ErrNotFound) {
		return fault.Unavailable("blob %s is recorded but its bytes are missing from the blob store; run a verify", digest)
	}
	return err
}

func etagMatches(header, digest string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == `"`+digest+`"` {
			return true
		}
	}
	return false
}
