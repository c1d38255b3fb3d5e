package oci

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/artifortress/artifortress/internal/fault"
	ociformat "github.com/artifortress/artifortress/internal/format/oci"
	"github.com/artifortress/artifortress/internal/native"
	"github.com/artifortress/artifortress/internal/repo"
)

// serveVirtual answers a request on a virtual repository (ADR 0010 §5):
// pulls resolve through its members in order, the first member that has
// the manifest or blob serves it (a member holding it in quarantine
// answers 423, and no later member is asked); tags and referrers are the
// union of the members'; pushes, uploads and deletes go to the deployTo
// member.
func (h *Handler) serveVirtual(w http.ResponseWriter, req *request) error {
	m := req.Method
	if m != http.MethodGet && m != http.MethodHead {
		target, err := native.DeployTarget(h.repos, h.nativeRequest(req))
		if err != nil {
			return err
		}
		return h.serveMember(w, req.in(target.Repo))
	}
	members, err := h.members(req)
	if err != nil {
		return err
	}
	switch req.Kind {
	case kindTags:
		return h.virtualTags(w, req, members)
	case kindReferrers:
		return h.virtualReferrers(w, req, members)
	}
	for _, member := range members {
		tw := &tryWriter{w: w, header: http.Header{}}
		err := h.serveMember(tw, member)
		if err == nil || !native.Skippable(err) || tw.wrote {
			if !tw.wrote {
				tw.commit()
			}
			return err
		}
	}
	if req.Kind == kindBlob {
		return fault.Coded(fault.KindNotFound, codeBlobUnknown, "no member of %q has blob %s", req.Repo.Key, abbreviate(req.Ref))
	}
	return fault.Coded(fault.KindNotFound, codeManifestUnknown, "no member of %q has %s:%s", req.Repo.Key, req.Image, abbreviate(req.Ref))
}

// serveMember answers req on one member, local or remote.
func (h *Handler) serveMember(w http.ResponseWriter, req *request) error {
	if req.Repo.Type == repo.TypeRemote {
		return h.serveRemote(w, req)
	}
	return h.serveLocal(w, req)
}

// members are the requests for each member of req's virtual repository the
// caller can read, in order (native.Members).
func (h *Handler) members(req *request) ([]*request, error) {
	ms, err := native.Members(h.repos, h.nativeRequest(req))
	if err != nil {
		return nil, err
	}
	out := make([]*request, 0, len(ms))
	for _, m := range ms {
		if m.Repo.Type != repo.TypeVirtual {
			out = append(out, req.in(m.Repo))
		}
	}
	return out, nil
}

func (h *Handler) nativeRequest(req *request) *native.Request {
	return &native.Request{Request: req.Request, Repo: req.Repo, Caller: req.Caller}
}

// in is req aimed at repository r: the same image in it. The name stays
// the virtual repository's, so that Location headers (uploads, pushed
// manifests) keep the client on the name its token is for.
func (req *request) in(r repo.Repo) *request {
	m := *req
	m.Repo = r
	return &m
}

// virtualTags answers tags/list with the union of the members' tags.
func (h *Handler) virtualTags(w http.ResponseWriter, req *request, members []*request) error {
	var names []string
	found := false
	for _, m := range members {
		var tags tagList
		err := h.memberJSON(m, &tags)
		if native.Skippable(err) {
			continue
		}
		if err != nil {
			return err
		}
		found = true
		names = append(names, tags.Tags...)
	}
	if !found {
		return fault.Coded(fault.KindNotFound, codeNameUnknown, "no member of %q has image %q", req.Repo.Key, req.Image)
	}
	return writeTags(w, req, names)
}

// virtualReferrers answers the referrers API with the union of the
// members' referrers, the first member's descriptor winning for a digest.
func (h *Handler) virtualReferrers(w http.ResponseWriter, req *request, members []*request) error {
	var all []ociformat.Descriptor
	seen := map[string]bool{}
	for _, m := range members {
		var idx referrerIndex
		err := h.memberJSON(m, &idx)
		if native.Skippable(err) {
			continue
		}
		if err != nil {
			return err
		}
		for _, d := range idx.Manifests {
			if !seen[d.Digest] {
				seen[d.Digest] = true
				all = append(all, d)
			}
		}
	}
	return writeReferrers(w, req, all)
}

// memberJSON reads a member's JSON answer to req (its tags, its
// referrers) into v: for a local member straight from the catalog, for a
// remote one through its cache. Only small documents are read this way.
func (h *Handler) memberJSON(req *request, v any) error {
	rec := httptest.NewRecorder()
	if err := h.serveMember(rec, req); err != nil {
		return err
	}
	return json.NewDecoder(io.LimitReader(rec.Body, 16<<20)).Decode(v)
}

// tryWriter holds a member's headers back until it writes: a member that
// answers "not here" leaves nothing in the response for the next one.
type tryWriter struct {
	w      http.ResponseWriter
	header http.Header
	wrote  bool
}

func (t *tryWriter) Header() http.Header { return t.header }

func (t *tryWriter) commit() {
	for k, v := range t.header {
		t.w.Header()[k] = v
	}
	t.wrote = true
}

func (t *tryWriter) WriteHeader(status int) {
	if !t.wrote {
		t.commit()
	}
	t.w.WriteHeader(status)
}

func (t *tryWriter) Write(b []byte) (int, error) {
	if !t.wrote {
		t.WriteHeader(http.StatusOK)
	}
	return t.w.Write(b)
}

// ReadFrom keeps sendfile for blobs served through a virtual repository.
func (t *tryWriter) ReadFrom(r io.Reader) (int64, error) {
	if !t.wrote {
		t.WriteHeader(http.StatusOK)
	}
	return io.Copy(t.w, r)
}
