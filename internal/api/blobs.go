package api

import (
	"net/http"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/blobhttp"
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
	d, err := blobhttp.ExpectedDigest(r)
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

// getBlob serves a blob of a repository.
func (a *API) getBlob(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	dl, err := a.transfer.Lookup(r.Context(), p, r.PathValue("key"), r.PathValue("digest"))
	if err != nil {
		return err
	}
	return blobhttp.Serve(w, r, a.transfer.Store(), dl.BlobLink, dl.Repo.Settings.RedirectDownloads, "application/octet-stream")
}
