package npm

import (
	"net/http"
	"strings"

	"github.com/artifortress/artifortress/internal/catalog"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/native"
)

// tarball answers GET {pkg}/-/{name}-{version}.tgz with ranges and
// conditional requests, like every blob download; quarantined versions
// answer 423.
func (h *Handler) tarball(w http.ResponseWriter, req *native.Request, name, file string) error {
	version, err := tarballVersion(name, file)
	if err != nil {
		return err
	}
	f, err := h.catalog.File(req.Context(), req.Caller, req.Repo.Key, name, version, file)
	if err != nil {
		return err
	}
	return h.serveFile(w, req, f)
}

// tarballVersion reads the version from a tarball's file name.
func tarballVersion(name, file string) (string, error) {
	prefix := strings.TrimSuffix(tarballName(name, ""), ".tgz")
	if !strings.HasPrefix(file, prefix) || !strings.HasSuffix(file, ".tgz") || len(file) <= len(prefix)+len(".tgz") {
		return "", fault.Coded(fault.KindNotFound, "file_not_found", "%q is not a tarball of %s", file, name)
	}
	return strings.TrimSuffix(strings.TrimPrefix(file, prefix), ".tgz"), nil
}

// serveFile sends a tarball.
func (h *Handler) serveFile(w http.ResponseWriter, req *native.Request, f catalog.File) error {
	return native.ServeFile(w, req, h.transfer.Store(), f, "application/octet-stream")
}
