package pypi

import (
	"bytes"
	"io"
	"net/http"
	"path"
	"strings"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/catalog"
	"github.com/artifortress/artifortress/internal/fault"
	pyformat "github.com/artifortress/artifortress/internal/format/pypi"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/native"
	"github.com/artifortress/artifortress/internal/transfer"
)

// upload answers twine's legacy upload: the file streams into a blob,
// verified against every digest the form declares (digests.go); a
// wheel's core metadata is extracted into a PEP 658 sidecar; both go into
// the release, which the first file creates and publishes (policies,
// quarantine, audit, events) and later files extend (ADR 0009).
//
// Answers follow PyPI, as twine reads them: 200 for a stored file and for
// the same file again; 409 file_exists for other bytes under a published
// file name (twine --skip-existing skips it); 400 for a bad form.
func (h *Handler) upload(w http.ResponseWriter, req *native.Request) error {
	req, err := native.WriteTarget(h.repos, req, "for twine, username __token__ (any name works) and the token as the password")
	if err != nil {
		return err
	}
	ctx := req.Context()
	// The file (and a wheel's metadata) are stored unlinked and linked in
	// the catalog's transaction: a refused upload leaves no blob behind.
	var stored transfer.StagedBlob
	others := newOtherDigests()
	u, err := ParseUpload(req.Body, req.Header.Get("Content-Type"), DefaultLimits, func(_, sha256 string, content io.Reader) error {
		expect := blob.Expect{Size: -1}
		if sha256 != "" {
			expect.Digest = blob.Digest(blob.SHA256Prefix + sha256)
		}
		b, err := h.transfer.StageBlob(ctx, req.Caller, req.Repo.Key, io.TeeReader(content, others), expect, nil)
		stored = b
		return digestMismatch(err)
	})
	if err != nil {
		return err
	}
	if err := verifyDeclared(u, stored.Digest, others); err != nil {
		return err
	}
	if err := h.checkRelease(req, u); err != nil {
		return err
	}
	manifest, err := u.Manifest()
	if err != nil {
		return err
	}
	files := []catalog.EntryRequest{{Path: u.Filename, Digest: stored.Digest, MediaType: mediaTypeOf(u.FileType)}}
	blobs := []catalog.BlobLinker{stored}
	if u.FileType == FileTypeWheel {
		sidecar, md, err := h.storeMetadata(req, u, stored)
		if err != nil {
			return err
		}
		files, blobs = append(files, sidecar), append(blobs, md)
	}
	res, err := h.catalog.UploadFile(ctx, req.Caller, req.Repo.Key, catalog.FileUpload{Name: u.Name, Version: u.Version, Manifest: manifest, Files: files, Blobs: blobs})
	if err != nil {
		return notSkippable(err)
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

// notSkippable answers a conflict other than a file that exists (a deleted
// release, another caller's draft, a race) with 400 and its code: twine
// --skip-existing takes every 409 for "the file is there" and would report
// success for a file that never was stored.
func notSkippable(err error) error {
	fe := fault.As(err)
	if fe == nil || fe.Kind != fault.KindConflict || fe.Code == "file_exists" {
		return err
	}
	out := fault.Coded(fault.KindBadRequest, fe.Code, "%s", fe.Message)
	for k, v := range fe.Details {
		out = out.With(k, v)
	}
	return out
}

// checkRelease enforces PyPI's rules on the files of a release beyond
// their paths: one sdist per release, and a file that is the same
// distribution as one the release has (its name spelled another way:
// "Foo-1.0.tar.gz" beside "foo-1.0.0.tar.gz") counts as that file, so a
// published release's installable content never changes. (Two different
// sdists racing for a new release can both land; the check reads the
// release before the upload's transaction.)
func (h *Handler) checkRelease(req *native.Request, u *Upload) error {
	v, err := h.catalog.Get(req.Context(), req.Caller, req.Repo.Key, u.Name, u.Version)
	if fe := fault.As(err); fe != nil && fe.Kind == fault.KindNotFound {
		return nil
	}
	if err != nil {
		return notSkippable(err)
	}
	if v.Row.State != meta.VersionPublished {
		return nil // the upload answers for a draft or a deleted release
	}
	mine := distKey(u.Dist)
	for _, e := range v.Entries {
		if e.Path == u.Filename || strings.HasSuffix(e.Path, sidecarSuffix) {
			continue
		}
		d, err := ParseFilename(e.Path)
		if err != nil {
			continue
		}
		switch {
		case distKey(d) == mine:
			return fault.Coded(fault.KindConflict, "file_exists", "%s is already published as %s", u.Filename, e.Path).With("path", e.Path)
		case d.FileType == FileTypeSdist && u.FileType == FileTypeSdist:
			return fault.Coded(fault.KindBadRequest, CodeSdistExists, "release %s %s already has an sdist, %s; only one sdist may be uploaded per release", u.Name, u.Version, e.Path).With("path", e.Path)
		}
	}
	return nil
}

// distKey identifies a distribution whatever the spelling of its name:
// the PEP 503 name, the PEP 440 version, and a wheel's tags or an sdist's
// archive format.
func distKey(d Dist) string {
	archive := ""
	if d.FileType == FileTypeSdist {
		archive = path.Ext(d.Filename)
	}
	_, name, _ := pyformat.ParseName(d.Name)
	version := d.Version
	if v, err := pyformat.Parse(d.Version); err == nil {
		version = v.Canonical()
	}
	return strings.ToLower(strings.Join([]string{d.FileType, name, version, d.Build, d.Python, d.ABI, d.Platform, archive}, "\x00"))
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

// storeMetadata extracts a stored wheel's METADATA and stores it as the
// wheel's PEP 658 sidecar ({filename}.metadata).
func (h *Handler) storeMetadata(req *native.Request, u *Upload, wheel transfer.StagedBlob) (catalog.EntryRequest, transfer.StagedBlob, error) {
	ctx := req.Context()
	ra, closer, err := blob.OpenReaderAt(ctx, h.transfer.Store(), blob.Digest(wheel.Digest))
	if err != nil {
		return catalog.EntryRequest{}, transfer.StagedBlob{}, err
	}
	defer closer.Close()
	md, err := WheelMetadata(ra, wheel.Size, u.Dist)
	if err != nil {
		return catalog.EntryRequest{}, transfer.StagedBlob{}, err
	}
	b, err := h.transfer.StageBlob(ctx, req.Caller, req.Repo.Key, bytes.NewReader(md), blob.Expect{Size: int64(len(md))}, nil)
	if err != nil {
		return catalog.EntryRequest{}, transfer.StagedBlob{}, err
	}
	return catalog.EntryRequest{Path: u.Filename + sidecarSuffix, Digest: b.Digest, MediaType: "text/plain"}, b, nil
}

// mediaTypeOf is the media type a distribution file is recorded with.
func mediaTypeOf(filetype string) string {
	if filetype == FileTypeWheel {
		return "application/zip"
	}
	return "application/gzip"
}
