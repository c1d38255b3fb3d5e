package npm

import (
	"context"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strings"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/catalog"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/format"
	npmformat "github.com/artifortress/artifortress/internal/format/npm"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/native"
)

func fmtCoords(scope, name, version string) format.Coordinates {
	return format.Coordinates{Namespace: scope, Name: name, Version: version}
}

// publish answers PUT {pkg} from npm publish: one new version with its
// tarball inside the JSON body. The tarball streams from the body into the
// blob store, is verified against the version's dist.integrity (SHA-512)
// or dist.shasum, and the version goes through the catalog like any other:
// a draft, its file and package.json, then a publish (policies, quarantine,
// audit, version.published). The body's dist-tags then point at it. While
// it streams, the tarball is also unpacked (tarballcheck.go): a truncated
// or hostile archive, or one whose package.json is of another name or
// version, is refused and stores nothing.
func (h *Handler) publish(w http.ResponseWriter, req *native.Request, name string) (err error) {
	if req.Caller == nil {
		return fault.Unauthorized("npm publish needs a token: npm login, or _authToken in .npmrc")
	}
	// Before reading a byte of the body: a reader cannot make the node
	// parse (and hold) a publish document.
	if !req.Caller.Can(req.Repo.Key, auth.RoleWrite) {
		return fault.Forbidden("this needs the write role on repository %q", req.Repo.Key)
	}
	ctx := req.Context()
	var draft catalog.Version
	var version string
	created := false
	defer func() {
		// A publish that fails after drafting leaves nothing behind: the
		// draft it created goes (a retry would otherwise meet it).
		if err != nil && created {
			_ = h.catalog.DiscardDraft(context.WithoutCancel(ctx), req.Caller, req.Repo.Key, draft.Row.ID)
		}
	}()
	body, err := parsePublish(req.Body, func(body *publishBody, file string, length int64, data io.Reader) error {
		if body.Attachments > 1 {
			return fault.BadRequest("_attachments", "one tarball per publish")
		}
		v, manifest, err := checkPublish(body, name, file)
		if err != nil {
			return err
		}
		version = v
		for tag := range body.DistTags {
			if !catalog.ValidTag(tag) {
				return fault.BadRequest("dist-tags", "invalid tag %q", tag)
			}
		}
		existing, err := h.catalog.Get(ctx, req.Caller, req.Repo.Key, name, v)
		switch fe := fault.As(err); {
		case err == nil && existing.Row.State != meta.VersionDraft, fe != nil && fe.Code == "quarantined":
			return fault.Coded(fault.KindForbidden, "version_exists", "%s@%s is already published; published versions never change (publish a new version)", name, v)
		case err != nil && (fe == nil || fe.Kind != fault.KindNotFound):
			return err
		}
		// Everything that can be checked before the bytes is: a refused
		// publish stores nothing, a corrupt tarball leaves no draft.
		scope, bare, err := npmformat.ParseName(name)
		if err != nil {
			return fault.BadRequest("name", "%v", err)
		}
		rules := npmformat.New()
		if err := rules.ValidateVersion(v); err != nil {
			return fault.BadRequest("version", "%v", err)
		}
		if err := rules.ValidateManifest(fmtCoords(scope, bare, v), body.Versions[v]); err != nil {
			return fault.BadRequest("versions", "%v", err)
		}
		verify, err := integrityCheck(manifest)
		if err != nil {
			return err
		}
		expect := blob.Expect{Size: -1}
		if length >= 0 {
			expect.Size = length
		}
		inspect := startTarballCheck()
		defer inspect.stop()
		b, err := h.transfer.PutBlobChecked(ctx, req.Caller, req.Repo.Key, io.TeeReader(data, io.MultiWriter(verify, inspect)), expect, func(blob.Sums) error {
			if err := verify.check(); err != nil {
				return err
			}
			return inspect.result(name, v)
		})
		if err != nil {
			return err
		}
		var isNew bool
		if draft, isNew, err = h.catalog.CreateDraft(ctx, req.Caller, req.Repo.Key, catalog.DraftRequest{Name: name, Version: v}); err != nil {
			return err
		}
		created = isNew
		if _, err := h.catalog.AddEntries(ctx, req.Caller, req.Repo.Key, draft.Row.ID, []catalog.EntryRequest{
			{Path: tarballName(name, v), Digest: b.Digest, MediaType: "application/gzip"},
		}); err != nil && !h.sameEntry(req, draft.Row.ID, tarballName(name, v), b.Digest, err) {
			return err
		}
		_, err = h.catalog.PutManifest(ctx, req.Caller, req.Repo.Key, draft.Row.ID, body.Versions[v])
		return err
	})
	if errors.Is(err, errBody) {
		return fault.Coded(fault.KindBadRequest, "malformed_publish", "%v", err)
	}
	if err != nil {
		return err
	}
	if body.Attachments == 0 {
		return h.updateMetadata(w, req, name, body)
	}
	res, err := h.catalog.PublishUpload(ctx, req.Caller, req.Repo.Key, draft.Row.ID)
	if err != nil {
		return err
	}
	created = false // published: it stays
	if q := res.Quarantine; q != nil {
		// Tags are not moved onto a held version: installs would lose
		// the tag to a version they cannot see.
		w.Header().Set("npm-notice", notice(fmt.Sprintf("%s@%s is held in quarantine (%s): %s", name, version, q.ID, q.Reason)))
		native.WriteJSON(w, http.StatusCreated, map[string]any{"ok": true, "id": name, "version": version, "quarantine": q.ID})
		return nil
	}
	for tag, v := range body.DistTags {
		if v != version {
			continue
		}
		if _, _, err := h.catalog.PutTag(ctx, req.Caller, req.Repo.Key, name, tag, v); err != nil {
			return err
		}
	}
	native.WriteJSON(w, http.StatusCreated, map[string]any{"ok": true, "id": name, "version": version})
	return nil
}

// maxNotice bounds the npm-notice header (npm prints it; Node refuses
// headers past 16 KiB in all).
const maxNotice = 512

// notice makes s a safe, short header value: printable ASCII only.
func notice(s string) string {
	out := make([]byte, 0, min(len(s), maxNotice))
	for i := 0; i < len(s) && len(out) < maxNotice; i++ {
		if c := s[i]; c >= 0x20 && c < 0x7f {
			out = append(out, c)
		}
	}
	return string(out)
}

// checkPublish validates the body around an attachment: exactly one
// version, named like the URL, whose tarball the attachment is. It returns
// the version and its package.json.
func checkPublish(body *publishBody, name, file string) (string, map[string]any, error) {
	if body.Name != "" && body.Name != name {
		return "", nil, fault.BadRequest("name", "the body publishes %q at the URL of %q", body.Name, name)
	}
	if len(body.Versions) != 1 {
		return "", nil, fault.BadRequest("versions", "a publish carries exactly one version, not %d", len(body.Versions))
	}
	var v string
	for v = range body.Versions {
	}
	var manifest map[string]any
	if err := json.Unmarshal(body.Versions[v], &manifest); err != nil {
		return "", nil, fault.BadRequest("versions", "%v", err)
	}
	if manifest["name"] != name || manifest["version"] != v {
		return "", nil, fault.BadRequest("versions", "package.json says %v@%v, the publish is of %s@%s", manifest["name"], manifest["version"], name, v)
	}
	if file != name+"-"+v+".tgz" && file != tarballName(name, v) {
		return "", nil, fault.BadRequest("_attachments", "attachment %q is not the tarball of %s@%s", file, name, v)
	}
	return v, manifest, nil
}

// integrityCheck hashes the tarball with what its package.json claims:
// dist.integrity when it names a SHA-512, else dist.shasum (SHA-1). A
// publish with neither is refused: npm always sends both.
func integrityCheck(manifest map[string]any) (*verifier, error) {
	dist, _ := manifest["dist"].(map[string]any)
	if in, _ := dist["integrity"].(string); in != "" {
		for _, part := range strings.Fields(in) {
			if b64, ok := strings.CutPrefix(part, "sha512-"); ok {
				want, err := base64.StdEncoding.DecodeString(b64)
				if err != nil || len(want) != sha512.Size {
					return nil, fault.BadRequest("dist.integrity", "invalid sha512 integrity")
				}
				return &verifier{Hash: sha512.New(), want: want, field: "dist.integrity"}, nil
			}
		}
	}
	if sum, _ := dist["shasum"].(string); sum != "" {
		want, err := hex.DecodeString(sum)
		if err != nil || len(want) != sha1.Size {
			return nil, fault.BadRequest("dist.shasum", "invalid shasum")
		}
		return &verifier{Hash: sha1.New(), want: want, field: "dist.shasum"}, nil
	}
	return nil, fault.BadRequest("dist", "dist.integrity (sha512) or dist.shasum is required to verify the tarball")
}

// verifier hashes a stream and compares it with the claimed digest.
type verifier struct {
	hash.Hash
	want  []byte
	field string
}

func (v *verifier) check() error {
	if got := v.Sum(nil); string(got) != string(v.want) {
		return fault.Coded(fault.KindBadRequest, "upload_verification_failed", "the tarball does not match %s", v.field).
			With("field", v.field)
	}
	return nil
}

// sameEntry reports whether err is the draft already holding exactly this
// file (a publish retried after failing past that point), which is fine.
func (h *Handler) sameEntry(req *native.Request, draftID, path, digest string, err error) bool {
	if fe := fault.As(err); fe == nil || fe.Code != "entry_exists" {
		return false
	}
	v, gerr := h.catalog.GetByID(req.Context(), req.Caller, req.Repo.Key, draftID)
	if gerr != nil {
		return false
	}
	for _, e := range v.Entries {
		if e.Path == path && e.Digest == digest {
			return true
		}
	}
	return false
}

// updateMetadata answers a PUT {pkg} without a tarball: npm sends the
// packument it read back with changes. Only deprecation notices may change
// (npm deprecate); a version missing from the document is refused:
// npm unpublishes through PUT {pkg}/-rev/{rev} (unpublish.go).
func (h *Handler) updateMetadata(w http.ResponseWriter, req *native.Request, name string, body *publishBody) error {
	ctx := req.Context()
	_, full, versions, err := h.catalog.Versions(ctx, req.Caller, req.Repo.Key, name)
	if err != nil {
		return err
	}
	notices := map[string]string{}
	for _, v := range versions {
		if !v.Offered() {
			continue
		}
		raw, ok := body.Versions[v.Version]
		if !ok {
			return fault.Coded(fault.KindBadRequest, "npm_version_missing",
				"the document leaves out %s@%s: only deprecation notices change here; unpublish with npm unpublish", full, v.Version)
		}
		var doc struct {
			Deprecated any `json:"deprecated"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			return fault.BadRequest("versions", "%v", err)
		}
		switch d := doc.Deprecated.(type) {
		case nil:
			notices[v.Version] = ""
		case string:
			notices[v.Version] = d
		default:
			return fault.BadRequest("deprecated", "versions[%q].deprecated must be a string", v.Version)
		}
	}
	if _, err := h.catalog.Deprecate(ctx, req.Caller, req.Repo.Key, full, notices); err != nil {
		return err
	}
	native.WriteJSON(w, http.StatusOK, map[string]any{"ok": true, "id": full})
	return nil
}
