package npm

import (
	"fmt"
	"net/http"

	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/native"
	"github.com/artifortress/artifortress/internal/repo"
)

// A virtual npm repository is an ordered union of its members (local,
// remote or virtual npm repositories). A packument merges the members'
// (the first member that has a version or a dist-tag wins it), with links
// to the virtual repository; a tarball is served by the first member that
// has it. A member the caller cannot read is skipped, and so is a remote
// member whose upstream is down with nothing cached. Writes go to a local
// repository directly.

// serveVirtual answers the package requests of a virtual repository.
func (h *Handler) serveVirtual(w http.ResponseWriter, req *native.Request, name string, rest []string) error {
	if read, err := h.serveReads(w, req, name, rest, h.virtualTarball); read {
		return err
	}
	// Writes (publish, deprecate, unpublish) go to the deployTo member,
	// with the caller's own rights there.
	local, err := native.DeployTarget(h.repos, req)
	if err != nil {
		return err
	}
	return h.serveLocal(w, local, name, rest)
}

// virtualPackumentDoc merges the members' packuments.
func (h *Handler) virtualPackumentDoc(req *native.Request, name string) (packumentDoc, error) {
	versions, tags, times := map[string]any{}, map[string]any{}, map[string]any{}
	var out packumentDoc
	found := false
	members, err := native.Members(h.repos, req)
	if err != nil {
		return packumentDoc{}, err
	}
	for _, m := range members {
		d, err := h.packumentDoc(m, name)
		if native.Skippable(err) {
			continue
		}
		if err != nil {
			return packumentDoc{}, err
		}
		found = true
		mv, _ := d.body["versions"].(map[string]any)
		mt, _ := d.body["time"].(map[string]any)
		for v, doc := range mv {
			if _, taken := versions[v]; !taken {
				versions[v] = doc
				if t, ok := mt[v]; ok {
					times[v] = t
				}
			}
		}
		if dt, ok := d.body["dist-tags"].(map[string]any); ok {
			for tag, v := range dt {
				if _, taken := tags[tag]; !taken {
					tags[tag] = v
				}
			}
		}
		if !d.stale.IsZero() && (out.stale.IsZero() || d.stale.Before(out.stale)) {
			out.stale = d.stale
		}
	}
	if !found || len(versions) == 0 {
		return packumentDoc{}, fault.Coded(fault.KindNotFound, "package_not_found", "package %q not found in any member of %q", name, req.Repo.Key)
	}
	for tag, v := range tags {
		if s, _ := v.(string); versions[s] == nil {
			delete(tags, tag) // a first member's tag naming a version another member won
		}
	}
	out.body = map[string]any{"_id": name, "name": name, "versions": versions, "dist-tags": tags, "time": times,
		"_rev": fmt.Sprintf("%d-virtual", len(versions))}
	return out, nil
}

// virtualTarball serves a tarball from the first member that has it. A
// member that holds it in quarantine answers 423: content the lane keeps
// out is never served from another member instead.
func (h *Handler) virtualTarball(w http.ResponseWriter, req *native.Request, name, file string) error {
	members, err := native.Members(h.repos, req)
	if err != nil {
		return err
	}
	for _, m := range members {
		var err error
		switch m.Repo.Type {
		case repo.TypeRemote:
			err = h.remoteTarball(w, m, name, file)
		case repo.TypeVirtual:
			err = h.virtualTarball(w, m, name, file)
		default:
			err = h.tarball(w, m, name, file)
		}
		if !native.Skippable(err) {
			return err
		}
	}
	return fault.Coded(fault.KindNotFound, "file_not_found", "no member of %q has %s", req.Repo.Key, file)
}
