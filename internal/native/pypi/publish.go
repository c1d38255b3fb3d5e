package pypi

import (
	"bytes"
	"io"
	"net/http"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/catalog"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/native"
)

// upload answers twine's legacy upload: the file streams into a blob,
// verified against the SHA-256 the form declares while it streams; a
// wheel's core metadata is extracted into a PEP 658 sidecar; both go into
// the release, which the first file creates and publishes (policies,
// quarantine, audit, events) and later files extend (ADR 0009).
//
// Answers follow PyPI, as twine reads them: 200 for a stored file and for
// the same file again; 409 file_exists for other bytes under a published
// file name (twine --skip-existing skips it); 400 for a bad form.
func (h *Handler) upload(w http.ResponseWriter, req *native.Request) error {
	if req.Caller == nil {
		return fault.Unauthorized("twine upload needs a token: username __token__ (any name works), the token as the password")
	}
	req, err := native.WriteTarget(h.repos, req)
	if err != nil {
		return err
	}
	// Before reading a byte of the body.
	if !req.Caller.Can(req.Repo.Key, auth.RoleWrite) {
		return fault.Forbidden("this needs the write role on repository %q", req.Repo.Key)
	}
	ctx := req.Context()
	var stored meta.Blob
	u, err := ParseUpload(req.Body, req.Header.Get("Content-Type"), DefaultLimits, func(_, sha256 string, content io.Reader) error {
		expect := blob.Expect{Size: -1}
		if sha256 != "" {
			expect.Digest = blob.Digest(blob.SHA256Prefix + sha256)
		}
		b, err := h.transfer.PutBlob(ctx, req.Caller, req.Repo.Key, content, expect)
		stored = b
		return digestMismatch(err)
	})
	if err != nil {
		return err
	}
	if err := h.verifyDeclared(req, u, stored); err != nil {
		return err
	}
	manifest, err := u.Manifest()
	if err != nil {
		return err
	}
	files := []catalog.EntryRequest{{Path: u.Filename, Digest: stored.Digest, MediaType: mediaTypeOf(u.FileType)}}
	if u.FileType == FileTypeWheel {
		sidecar, err := h.storeMetadata(req, u, stored)
		if err != nil {
			return err
		}
		files = append(files, sidecar)
	}
	res, err := h.catalog.UploadFile(ctx, req.Caller, req.Repo.Key, catalog.FileUpload{Name: u.Name, Version: u.Version, Manifest: manifest, Files: files})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if q := res.Quarantine; q != nil {
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, u.Filename+" is stored and held in quarantine ("+q.ID+"): "+q.Reason+"\n")
		return nil
	}
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "OK\n")
	return nil
}

// digestMismatch turns the ingest's verification failure into the 400
// PyPI answers: a 409 would make twine --skip-existing take it for a file
// that exists.
func digestMismatch(err error) error {
	if fe := fault.As(err); fe != nil && fe.Code == "upload_verification_failed" {
		out := fault.Coded(fault.KindBadRequest, CodeDigestMismatch, "the file does not match the form's sha256_digest: %s", fe.Message).With("field", "sha256_digest")
		for _, k := range []string{"expected", "actual"} {
			if v, ok := fe.Details[k]; ok {
				out = out.With(k, v)
			}
		}
		return out
	}
	return err
}

// verifyDeclared checks the digests the form declared that the ingest did
// not: a sha256_digest sent after the file, and the MD5 (computed from the
// stored blob) when the form declares no SHA-256 at all.
func (h *Handler) verifyDeclared(req *native.Request, u *Upload, stored meta.Blob) error {
	if u.SHA256 != "" {
		if stored.Digest != blob.SHA256Prefix+u.SHA256 {
			return fault.Coded(fault.KindBadRequest, CodeDigestMismatch, "the file's SHA-256 is %s, the form declares %s", stored.Digest, u.SHA256).With("field", "sha256_digest")
		}
		return nil
	}
	if u.MD5 == "" {
		return nil
	}
	sums, err := h.checksums(req.Context(), blob.Digest(stored.Digest))
	if err != nil {
		return err
	}
	if sums.MD5 != u.MD5 {
		return fault.Coded(fault.KindBadRequest, CodeDigestMismatch, "the file's MD5 is %s, the form declares %s", sums.MD5, u.MD5).With("field", "md5_digest")
	}
	return nil
}

// storeMetadata extracts a stored wheel's METADATA and stores it as the
// wheel's PEP 658 sidecar ({filename}.metadata).
func (h *Handler) storeMetadata(req *native.Request, u *Upload, wheel meta.Blob) (catalog.EntryRequest, error) {
	ctx := req.Context()
	ra, closer, err := blob.OpenReaderAt(ctx, h.transfer.Store(), blob.Digest(wheel.Digest))
	if err != nil {
		return catalog.EntryRequest{}, err
	}
	defer closer.Close()
	md, err := WheelMetadata(ra, wheel.Size, u.Dist)
	if err != nil {
		return catalog.EntryRequest{}, err
	}
	b, err := h.transfer.PutBlob(ctx, req.Caller, req.Repo.Key, bytes.NewReader(md), blob.Expect{Size: int64(len(md))})
	if err != nil {
		return catalog.EntryRequest{}, err
	}
	return catalog.EntryRequest{Path: u.Filename + sidecarSuffix, Digest: b.Digest, MediaType: "text/plain"}, nil
}

// mediaTypeOf is the media type a distribution file is recorded with.
func mediaTypeOf(filetype string) string {
	if filetype == FileTypeWheel {
		return "application/zip"
	}
	return "application/gzip"
}
