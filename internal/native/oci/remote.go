package oci

import (
	"net/http"

	"github.com/artifortress/artifortress/internal/fault"
)

// serveRemote answers a request on a remote repository, a pull-through
// cache of another registry (ADR 0010 §5).
func (h *Handler) serveRemote(w http.ResponseWriter, req *request) error {
	return fault.Coded(fault.KindMethodNotAllowed, codeUnsupported, "remote OCI repositories are not served yet")
}
