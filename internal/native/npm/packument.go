package npm

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/native"
	"github.com/artifortress/artifortress/internal/repo"
)

// abbreviatedType is the Accept value of npm install's abbreviated
// metadata ("corgi").
const abbreviatedType = "application/vnd.npm.install-v1+json"

// abbreviatedFields are the package.json fields an abbreviated packument
// keeps: what installing needs.
var abbreviatedFields = []string{
	"name", "version", "deprecated", "dependencies", "optionalDependencies", "devDependencies",
	"bundleDependencies", "bundledDependencies", "peerDependencies", "peerDependenciesMeta",
	"bin", "directories", "engines", "os", "cpu", "libc", "funding", "license",
	"_hasShrinkwrap", "hasInstallScript", "acceptDependencies",
}

// packument answers GET {pkg}: the package document of a local, remote or
// virtual repository.
func (h *Handler) packument(w http.ResponseWriter, req *native.Request, name string) error {
	if req.Repo.Type == repo.TypeLocal {
		abbreviated := strings.Contains(req.Header.Get("Accept"), abbreviatedType)
		p, err := h.catalog.PackageRef(req.Context(), req.Caller, req.Repo.Key, name)
		if err != nil {
			return notFoundAsNPM(err, name)
		}
		variant := "full"
		if abbreviated {
			variant = "abbreviated"
		}
		body, err := h.packuments.Rendered(req, p, variant, func() ([]byte, error) {
			doc, err := h.localPackumentDoc(req, name)
			if err != nil {
				return nil, err
			}
			return marshalJSON(doc.body)
		})
		if err != nil {
			return err
		}
		return writePackument(w, req, body, abbreviated, time.Time{})
	}
	pk, err := h.packumentDoc(req, name)
	if err != nil {
		return err
	}
	body, err := marshalJSON(pk.body)
	if err != nil {
		return err
	}
	return writePackument(w, req, body, pk.abbreviated, pk.stale)
}

// writePackument sends a rendered packument; stale, when set, says the
// upstream copy it holds could not be refreshed since then.
func writePackument(w http.ResponseWriter, req *native.Request, body []byte, abbreviated bool, stale time.Time) error {
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Type", "application/json")
	if abbreviated {
		w.Header().Set("Content-Type", abbreviatedType)
	}
	if !stale.IsZero() {
		native.MarkStale(w, stale)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if req.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
	return nil
}

// marshalJSON encodes v as native.WriteJSON does (no HTML escaping, a
// final newline).
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// notFoundAsNPM words a missing package as npm shows it.
func notFoundAsNPM(err error, name string) error {
	if fe := fault.As(err); fe != nil && fe.Code == "package_not_found" {
		return fault.Coded(fault.KindNotFound, "package_not_found", "package %q not found", name)
	}
	return err
}

// packumentDoc is a package document before it is written.
type packumentDoc struct {
	body        map[string]any
	abbreviated bool
	// stale, when set, is when the oldest upstream copy it holds was
	// fetched: the upstream could not be reached to refresh it.
	stale time.Time
}

// packumentDoc builds the package document of req's repository.
func (h *Handler) packumentDoc(req *native.Request, name string) (packumentDoc, error) {
	switch req.Repo.Type {
	case repo.TypeRemote:
		return h.remotePackumentDoc(req, name)
	case repo.TypeVirtual:
		return h.virtualPackumentDoc(req, name)
	}
	return h.localPackumentDoc(req, name)
}

// localPackumentDoc is a local repository's packument: every visible
// published version with its dist (absolute tarball URL, shasum, SHA-512
// integrity), the dist-tags that point at visible versions, and publish
// times; abbreviated when the client asks for it.
func (h *Handler) localPackumentDoc(req *native.Request, name string) (packumentDoc, error) {
	ctx := req.Context()
	pd, err := h.catalog.PackageDoc(ctx, req.Caller, req.Repo.Key, name)
	if err != nil {
		return packumentDoc{}, notFoundAsNPM(err, name)
	}
	full := pd.FullName
	abbreviated := strings.Contains(req.Header.Get("Accept"), abbreviatedType)
	docs := map[string]any{}
	times := map[string]any{}
	var created, modified time.Time
	for _, v := range pd.Versions {
		doc, err := h.versionDoc(req, full, v, pd.Files[v.ID], pd.Deprecated[v.ID], abbreviated)
		if err != nil {
			return packumentDoc{}, err
		}
		if doc == nil {
			continue
		}
		docs[v.Version] = doc
		if v.PublishedAt != nil {
			t := v.PublishedAt.UTC()
			times[v.Version] = t.Format(time.RFC3339Nano)
			if created.IsZero() || t.Before(created) {
				created = t
			}
			if t.After(modified) {
				modified = t
			}
		}
	}
	if len(docs) == 0 {
		return packumentDoc{}, fault.Coded(fault.KindNotFound, "package_not_found", "package %q has no published version here", name)
	}
	distTags := map[string]any{}
	for _, t := range pd.Tags {
		if _, visible := docs[t.Version]; visible {
			distTags[t.Name] = t.Version
		}
	}
	out := map[string]any{"name": full, "dist-tags": distTags, "versions": docs}
	if abbreviated {
		out["modified"] = modified.Format(time.RFC3339Nano)
	} else {
		times["created"], times["modified"] = created.Format(time.RFC3339Nano), modified.Format(time.RFC3339Nano)
		// _rev is what npm unpublish sends back in its URLs; it names the
		// document's state but is not checked (see unpublish.go).
		out["_id"], out["time"], out["_rev"] = full, times, fmt.Sprintf("%d-%x", len(docs), modified.UnixMicro())
	}
	return packumentDoc{body: out, abbreviated: abbreviated}, nil
}

// versionDoc is one version's entry in a packument: its package.json with
// the registry's dist.
func (h *Handler) versionDoc(req *native.Request, full string, v meta.Version, files []meta.EntrySums, deprecated string, abbreviated bool) (map[string]any, error) {
	var doc map[string]any
	if err := json.Unmarshal(v.Manifest, &doc); err != nil {
		return nil, err
	}
	delete(doc, "deprecated") // the notice lives beside the version, not in it
	if deprecated != "" {
		doc["deprecated"] = deprecated
	}
	i := slices.IndexFunc(files, func(e meta.EntrySums) bool { return e.Path == tarballName(full, v.Version) })
	if i < 0 {
		return nil, nil // published through /v1 without an npm tarball: not installable with npm
	}
	sums := blob.Checksums{SHA1: files[i].SHA1, SHA512: files[i].SHA512}
	if sums.SHA1 == "" || sums.SHA512 == "" {
		// The lazy checksummer has not reached this blob yet.
		var err error
		if sums, err = h.checksums(req.Context(), blob.Digest(files[i].Digest)); err != nil {
			return nil, err
		}
	}
	dist, _ := doc["dist"].(map[string]any)
	if dist == nil {
		dist = map[string]any{}
	}
	dist["tarball"] = tarballURL(req.Base, full, v.Version)
	dist["shasum"] = sums.SHA1
	dist["integrity"] = integrity(sums.SHA512)
	doc["dist"] = dist
	if !abbreviated {
		doc["_id"] = full + "@" + v.Version
		return doc, nil
	}
	out := map[string]any{"dist": dist}
	for _, k := range abbreviatedFields {
		if val, ok := doc[k]; ok {
			out[k] = val
		}
	}
	return out, nil
}

// integrity is the Subresource Integrity string of a hex SHA-512.
func integrity(sha512hex string) string {
	raw, err := hex.DecodeString(sha512hex)
	if err != nil {
		return ""
	}
	return "sha512-" + base64.StdEncoding.EncodeToString(raw)
}
