package oci

import (
	"encoding/json"
	"net/http"

	"github.com/artifortress/artifortress/internal/fault"
)

// The distribution spec's error codes. A handler may return a fault whose
// code is one of these; any other fault is mapped by ociCode.
const (
	codeBlobUnknown         = "BLOB_UNKNOWN"
	codeBlobUploadInvalid   = "BLOB_UPLOAD_INVALID"
	codeBlobUploadUnknown   = "BLOB_UPLOAD_UNKNOWN"
	codeDigestInvalid       = "DIGEST_INVALID"
	codeManifestBlobUnknown = "MANIFEST_BLOB_UNKNOWN"
	codeManifestInvalid     = "MANIFEST_INVALID"
	codeManifestUnknown     = "MANIFEST_UNKNOWN"
	codeNameInvalid         = "NAME_INVALID"
	codeNameUnknown         = "NAME_UNKNOWN"
	codeSizeInvalid         = "SIZE_INVALID"
	codeUnauthorized        = "UNAUTHORIZED"
	codeDenied              = "DENIED"
	codeUnsupported         = "UNSUPPORTED"
	codeTooManyRequests     = "TOOMANYREQUESTS"
	// codeUnknown is Distribution's code for failures of the registry
	// itself or of an upstream: the spec defines none.
	codeUnknown = "UNKNOWN"
)

var specCodes = map[string]bool{
	codeBlobUnknown: true, codeBlobUploadInvalid: true, codeBlobUploadUnknown: true, codeDigestInvalid: true,
	codeManifestBlobUnknown: true, codeManifestInvalid: true, codeManifestUnknown: true, codeNameInvalid: true,
	codeNameUnknown: true, codeSizeInvalid: true, codeUnauthorized: true, codeDenied: true, codeUnsupported: true,
	codeTooManyRequests: true, codeUnknown: true,
}

// byCode maps the node's own stable codes, which the services return, to
// the spec's.
var byCode = map[string]string{
	"blob_not_found":             codeBlobUnknown,
	"upload_not_found":           codeBlobUploadUnknown,
	"upload_state_conflict":      codeBlobUploadInvalid,
	"upload_range_invalid":       codeBlobUploadInvalid,
	"upload_verification_failed": codeDigestInvalid,
	"digest_invalid":             codeDigestInvalid,
	"blob_too_large":             codeSizeInvalid,
	"repository_not_found":       codeNameUnknown,
	"package_not_found":          codeNameUnknown,
	"version_not_found":          codeManifestUnknown,
	"tag_not_found":              codeManifestUnknown,
	"quarantined":                codeDenied,
	"policy_denied":              codeDenied,
	"unauthorized":               codeUnauthorized,
}

// ociCode is the spec's code for fe.
func ociCode(fe *fault.Error) string {
	if specCodes[fe.Code] {
		return fe.Code
	}
	if c, ok := byCode[fe.Code]; ok {
		return c
	}
	switch fe.Kind {
	case fault.KindUnauthorized:
		return codeUnauthorized
	case fault.KindForbidden, fault.KindLocked:
		return codeDenied
	case fault.KindNotFound:
		return codeNameUnknown
	case fault.KindTooLarge:
		return codeSizeInvalid
	case fault.KindRangeNotSatisfiable:
		return codeBlobUploadInvalid
	case fault.KindTooManyRequests:
		return codeTooManyRequests
	case fault.KindInternal, fault.KindBadGateway, fault.KindUnavailable:
		return codeUnknown
	}
	return codeUnsupported
}

// errorBody is the spec's error document.
type errorBody struct {
	Errors []errorItem `json:"errors"`
}

type errorItem struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Detail  map[string]any `json:"detail,omitempty"`
}

// writeError writes fe as the spec's error document. The node's own code
// and the fault's details go into detail, so a person (or a script) sees
// exactly what the /v1 API would have said.
func writeError(w http.ResponseWriter, status int, fe *fault.Error) {
	item := errorItem{Code: ociCode(fe), Message: fe.Message}
	if !specCodes[fe.Code] || len(fe.Details) > 0 {
		item.Detail = map[string]any{}
		for k, v := range fe.Details {
			item.Detail[k] = v
		}
		if !specCodes[fe.Code] {
			item.Detail["code"] = fe.Code
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorBody{Errors: []errorItem{item}})
}
