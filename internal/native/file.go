package native

import (
	"net/http"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/blobhttp"
	"github.com/artifortress/artifortress/internal/catalog"
	"github.com/artifortress/artifortress/internal/meta"
)

// ServeFile sends a published version's file as every blob download is
// sent: ranges, conditional requests, ETag (the digest), Last-Modified (the
// publish), and a redirect to the object store when the repository says so.
func ServeFile(w http.ResponseWriter, req *Request, store blob.Store, f catalog.File, contentType string) error {
	l := meta.BlobLink{Blob: meta.Blob{Digest: f.Entry.Digest, Size: f.Entry.Size}, Repo: f.Repo.Key}
	if f.Version.Row.PublishedAt != nil {
		l.LinkedAt = *f.Version.Row.PublishedAt
	}
	return blobhttp.Serve(w, req.Request, store, l, f.Repo.Settings.RedirectDownloads, contentType)
}
