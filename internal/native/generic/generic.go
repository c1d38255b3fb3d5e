// Package generic serves generic repositories as plain files, so that curl,
// wget and any HTTP client upload and download unchanged: PUT, GET, HEAD
// and DELETE of /r/{repo}/{name}/{version}/{file}, where the path maps to a
// package, a version and a file of it, and directory listings (JSON, or
// HTML for a browser) of the levels above. Versions gain files one PUT at a
// time (ADR 0009); a published file never changes.
package generic

import (
	"crypto/md5"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"hash"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/blobhttp"
	"github.com/artifortress/artifortress/internal/catalog"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/native"
	"github.com/artifortress/artifortress/internal/remote"
	"github.com/artifortress/artifortress/internal/repo"
	"github.com/artifortress/artifortress/internal/transfer"
)

// Handler serves generic repositories.
type Handler struct {
	catalog  *catalog.Service
	transfer *transfer.Service
	repos    native.Repos
	remote   *remote.Client
}

// New returns the generic handler.
func New(c *catalog.Service, t *transfer.Service, repos native.Repos, r *remote.Client) *Handler {
	return &Handler{catalog: c, transfer: t, repos: repos, remote: r}
}

// location is a request path read as {name}/{version}/{file}: any of the
// three may be missing (a listing), and file may have several segments.
type location struct {
	name, version, file string
	dir                 bool // a listing: fewer than three parts, or a trailing slash
}

// parseLocation unescapes and splits a request path. A segment that
// unescapes to something with a slash, a backslash or a control character,
// or that is "." or "..", is refused: no spelling of a path reaches
// anything but the file it names.
func parseLocation(escaped string) (location, error) {
	var loc location
	if escaped == "" {
		return location{dir: true}, nil
	}
	loc.dir = strings.HasSuffix(escaped, "/")
	segs := strings.Split(strings.TrimSuffix(escaped, "/"), "/")
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil {
			return location{}, fault.BadRequest("path", "invalid escape in %q", s)
		}
		if u == "" || u == "." || u == ".." || strings.ContainsAny(u, "/\\") || hasControl(u) {
			return location{}, fault.Coded(fault.KindBadRequest, "invalid_path", "path segment %d (%q) is not allowed: no empty, . or .. segments, no encoded slashes or control characters", i+1, s)
		}
		segs[i] = u
	}
	loc.name = segs[0]
	if len(segs) > 1 {
		loc.version = segs[1]
	}
	if len(segs) > 2 {
		loc.file = strings.Join(segs[2:], "/")
	} else {
		loc.dir = true
	}
	return loc, nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

// Serve routes a generic request.
func (h *Handler) Serve(w http.ResponseWriter, req *native.Request) error {
	loc, err := parseLocation(req.Path)
	if err != nil {
		return err
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead:
		if loc.dir {
			return h.list(w, req, loc)
		}
		return h.download(w, req, loc)
	case http.MethodPut:
		if loc.dir {
			return fault.Coded(fault.KindMethodNotAllowed, "method_not_allowed", "PUT a file at {name}/{version}/{file}; /%s is a directory", req.Path)
		}
		return h.write(w, req, loc, h.upload)
	case http.MethodDelete:
		return h.write(w, req, loc, h.delete)
	}
	return fault.Coded(fault.KindMethodNotAllowed, "method_not_allowed", "%s is not allowed on /%s", req.Method, req.Path)
}

// write runs a write in the repository it lands in: the local repository
// itself, or a virtual repository's deployTo member. Remote repositories
// take no writes.
func (h *Handler) write(w http.ResponseWriter, req *native.Request, loc location, do func(http.ResponseWriter, *native.Request, location) error) error {
	target, err := native.WriteTarget(h.repos, req, "curl -u user:<token>, or -H 'Authorization: Bearer <token>'")
	if err != nil {
		return err
	}
	return do(w, target, loc)
}

// upload stores the body as a file of a version: streamed into a blob
// (verified against X-Checksum-Sha256, the Digest header or ?digest=, and
// against X-Checksum-Sha1 and X-Checksum-Md5 when the client sends them),
// then added to the version, which the first file creates and publishes.
func (h *Handler) upload(w http.ResponseWriter, req *native.Request, loc location) error {
	if loc.version == "" {
		return fault.Coded(fault.KindBadRequest, "invalid_path", "upload to {name}/{version}/{file}")
	}
	ctx := req.Context()
	expect := blob.Expect{Size: req.ContentLength}
	d, err := blobhttp.ExpectedDigest(req.Request)
	if err != nil {
		return err
	}
	expect.Digest = d
	claims, err := legacyClaims(req.Header)
	if err != nil {
		return err
	}
	// Linked with the version's change, so that a refused upload leaves
	// no readable blob behind.
	b, err := h.transfer.StageBlob(ctx, req.Caller, req.Repo.Key, claims.reader(req.Body), expect, func(blob.Sums) error { return claims.check() })
	if err != nil {
		return err
	}
	res, err := h.catalog.UploadFile(ctx, req.Caller, req.Repo.Key, catalog.FileUpload{
		Name: loc.name, Version: loc.version,
		Manifest: manifestOf(loc),
		Files:    []catalog.EntryRequest{{Path: loc.file, Digest: b.Digest, MediaType: mime.TypeByExtension(path.Ext(loc.file))}},
		Blobs:    []catalog.BlobLinker{b},
	})
	if err != nil {
		return err
	}
	status := http.StatusCreated
	body := fileJSON(req.Base, req.Repo.Key, loc, b.Digest, b.Size)
	switch {
	case res.Unchanged:
		status = http.StatusOK
	case res.Quarantine != nil:
		// Stored and published into the quarantine lane: nobody can
		// download it until it is released.
		status = http.StatusAccepted
		body["quarantine"] = map[string]any{"id": res.Quarantine.ID, "reason": res.Quarantine.Reason}
	}
	w.Header().Set("Location", body["url"].(string))
	native.WriteJSON(w, status, body)
	return nil
}

// digestClaims verifies the SHA-1 and MD5 a client claims for a body
// (X-Checksum-Sha1, X-Checksum-Md5, as Artifactory's clients send them).
// They are hashed only when claimed: the hot path hashes SHA-256 alone.
type digestClaims struct {
	names   []string
	want    []string
	hashers []hash.Hash
}

func legacyClaims(h http.Header) (*digestClaims, error) {
	c := &digestClaims{}
	for _, k := range []struct {
		header string
		size   int
		new    func() hash.Hash
	}{{"X-Checksum-Sha1", sha1.Size, sha1.New}, {"X-Checksum-Md5", md5.Size, md5.New}} {
		v := strings.ToLower(strings.TrimSpace(h.Get(k.header)))
		if v == "" {
			continue
		}
		if raw, err := hex.DecodeString(v); err != nil || len(raw) != k.size {
			return nil, fault.BadRequest(k.header, "want %d hex digits", 2*k.size)
		}
		c.names, c.want, c.hashers = append(c.names, k.header), append(c.want, v), append(c.hashers, k.new())
	}
	return c, nil
}

func (c *digestClaims) reader(body io.Reader) io.Reader {
	if len(c.hashers) == 0 {
		return body
	}
	ws := make([]io.Writer, len(c.hashers))
	for i, hh := range c.hashers {
		ws[i] = hh
	}
	return io.TeeReader(body, io.MultiWriter(ws...))
}

func (c *digestClaims) check() error {
	for i, hh := range c.hashers {
		if got := hex.EncodeToString(hh.Sum(nil)); got != c.want[i] {
			return fault.Coded(fault.KindConflict, "upload_verification_failed", "the uploaded bytes do not match %s", c.names[i]).
				With("field", c.names[i]).With("expected", c.want[i]).With("actual", got)
		}
	}
	return nil
}

// download serves a file: from the repository, from a remote's cache (the
// upstream's file fetched first when it is not cached yet) or, for a
// virtual repository, from the first member that has it.
func (h *Handler) download(w http.ResponseWriter, req *native.Request, loc location) error {
	var f catalog.File
	var err error
	switch req.Repo.Type {
	case repo.TypeRemote:
		f, err = native.CachedFile(h.catalog, h.remote, req, loc.name, loc.version, loc.file, func() error { return h.cacheFile(req, loc) })
	case repo.TypeVirtual:
		members, err := native.Members(h.repos, req)
		if err != nil {
			return err
		}
		for _, m := range members {
			if err := h.download(w, m, loc); !native.Skippable(err) {
				return err
			}
		}
		return fault.Coded(fault.KindNotFound, "file_not_found", "no member of %q has %s/%s/%s", req.Repo.Key, loc.name, loc.version, loc.file)
	default:
		f, err = h.catalog.File(req.Context(), req.Caller, req.Repo.Key, loc.name, loc.version, loc.file)
	}
	if err != nil {
		return err
	}
	w.Header().Set("X-Checksum-Sha256", strings.TrimPrefix(f.Entry.Digest, blob.SHA256Prefix))
	// Files are downloads, never pages of this origin: an uploaded .html
	// or .svg is not rendered by a browser.
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", `attachment; filename="`+strings.NewReplacer(`"`, "", `\`, "").Replace(lastSegment(loc.file))+`"`)
	ct := f.Entry.MediaType
	if ct == "" {
		ct = "application/octet-stream"
	}
	return native.ServeFile(w, req, h.transfer.Store(), f, ct)
}

// cacheFile fetches {name}/{version}/{file} from a generic remote's
// upstream (once among concurrent requests), stores it, hashed as it
// arrives, and records it in its version of the remote repository, which
// policies and the quarantine lane see as they see an upload. A plain
// file server gives no checksum to verify against: the bytes are the
// upstream's as TLS delivered them, served by their digest from then on.
func (h *Handler) cacheFile(req *native.Request, loc location) error {
	ctx := req.Context()
	upstreamPath := escape(loc.name, loc.version) + "/" + escape(strings.Split(loc.file, "/")...)
	return h.remote.Artifact(ctx, req.Repo, upstreamPath, remote.URL(req.Repo, upstreamPath), func(body io.Reader, length int64) error {
		b, err := h.transfer.CacheBlob(ctx, req.Caller, req.Repo.Key, body, blob.Expect{Size: length}, nil)
		if err != nil {
			return err
		}
		_, err = h.catalog.CacheVersion(ctx, req.Caller, req.Repo.Key, catalog.CacheRequest{
			Name: loc.name, Version: loc.version, Manifest: manifestOf(loc),
			Files: []catalog.CacheFile{{Path: loc.file, Digest: b.Digest, MediaType: mime.TypeByExtension(path.Ext(loc.file))}},
		})
		return err
	})
}

// delete tombstones a version (DELETE {name}/{version}/, role admin, as
// every tombstone), restorable within the retention window. A single file
// of a published version cannot go on its own (its version would change);
// DELETE of a file tombstones its version when it is the version's only
// file, and is 409 otherwise.
func (h *Handler) delete(w http.ResponseWriter, req *native.Request, loc location) error {
	if loc.version == "" || (loc.dir && loc.file != "") {
		return fault.Coded(fault.KindMethodNotAllowed, "method_not_allowed", "DELETE {name}/{version}/ (the version) or {name}/{version}/{file}")
	}
	ctx := req.Context()
	v, err := h.catalog.Get(ctx, req.Caller, req.Repo.Key, loc.name, loc.version)
	if err != nil {
		return err
	}
	if loc.file != "" {
		found := false
		for _, e := range v.Entries {
			found = found || e.Path == loc.file
		}
		if !found {
			return fault.Coded(fault.KindNotFound, "file_not_found", "%s %s has no file %q", loc.name, loc.version, loc.file)
		}
		if len(v.Entries) > 1 {
			return fault.Coded(fault.KindConflict, "file_not_deletable",
				"%s %s has %d files, and a published version's files never change one by one; DELETE %s/%s/%s/ tombstones the whole version",
				loc.name, loc.version, len(v.Entries), req.Base, loc.name, loc.version)
		}
	}
	res, err := h.catalog.Delete(ctx, req.Caller, req.Repo.Key, v.Row.ID, "deleted through the generic protocol")
	if err != nil {
		return err
	}
	if res.Discarded {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	body := map[string]any{"repo": req.Repo.Key, "name": loc.name, "version": loc.version, "state": res.Version.Row.State}
	if res.Version.RestorableUntil != nil {
		body["restorableUntil"] = res.Version.RestorableUntil
	}
	native.WriteJSON(w, http.StatusOK, body)
	return nil
}

// manifestOf is the manifest of a generic version: its name and version.
func manifestOf(loc location) []byte {
	b, _ := json.Marshal(map[string]string{"name": loc.name, "version": loc.version})
	return b
}

func lastSegment(p string) string {
	return p[strings.LastIndex(p, "/")+1:]
}

// WriteError writes an error as JSON: {"error": {"code", "message", "details"}},
// the /v1 API's shape, which curl users read and scripts parse.
func (h *Handler) WriteError(w http.ResponseWriter, status int, fe *fault.Error) {
	e := map[string]any{"code": fe.Code, "message": fe.Message}
	if len(fe.Details) > 0 {
		e["details"] = fe.Details
	}
	native.WriteJSON(w, status, map[string]any{"error": e})
}
