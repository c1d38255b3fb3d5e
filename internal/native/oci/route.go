package oci

import (
	"net/url"
	"strings"

	"github.com/artifortress/artifortress/internal/fault"
	ociformat "github.com/artifortress/artifortress/internal/format/oci"
)

// Endpoint kinds below /v2/<name>/.
const (
	kindManifest  = "manifests"
	kindBlob      = "blobs"
	kindUpload    = "uploads"
	kindTags      = "tags"
	kindReferrers = "referrers"
)

// route is a parsed /v2/<name>/<endpoint> path.
type route struct {
	// Name is the whole OCI name, "{repo}/{image...}".
	Name string
	// Repo is the Artifortress repository key, the name's first
	// component; Image is the rest, the package.
	Repo, Image string
	Kind        string
	// Ref is a manifest's tag or digest, a blob's or a referrers subject's
	// digest, or an upload session's id ("" for POST .../blobs/uploads/).
	Ref string
}

// parseRoute splits the path after /v2/ (still escaped). Names may have any
// number of components, and a component may itself be "blobs" or
// "manifests", so the endpoint is found from the right: the spec's
// endpoints end in /manifests/<ref>, /blobs/<digest>,
// /blobs/uploads/[<id>], /tags/list and /referrers/<digest>.
func parseRoute(escaped string) (route, error) {
	p, err := url.PathUnescape(escaped)
	if err != nil || strings.ContainsAny(p, "\x00\\") {
		return route{}, nameInvalid("the path is not a valid name")
	}
	segs := strings.Split(p, "/")
	n := len(segs)
	var r route
	var nameSegs []string
	switch {
	case n >= 3 && segs[n-2] == "tags" && segs[n-1] == "list":
		r.Kind, nameSegs = kindTags, segs[:n-2]
	case n >= 4 && segs[n-3] == "blobs" && segs[n-2] == "uploads":
		r.Kind, r.Ref, nameSegs = kindUpload, segs[n-1], segs[:n-3]
	case n >= 3 && segs[n-2] == "blobs" && segs[n-1] == "uploads":
		r.Kind, nameSegs = kindUpload, segs[:n-2]
	case n >= 3 && segs[n-2] == "blobs":
		r.Kind, r.Ref, nameSegs = kindBlob, segs[n-1], segs[:n-2]
	case n >= 3 && segs[n-2] == "manifests":
		r.Kind, r.Ref, nameSegs = kindManifest, segs[n-1], segs[:n-2]
	case n >= 3 && segs[n-2] == "referrers":
		r.Kind, r.Ref, nameSegs = kindReferrers, segs[n-1], segs[:n-2]
	default:
		return route{}, fault.Coded(fault.KindNotFound, "oci_endpoint_unknown", "/v2/%s is not an OCI distribution endpoint", abbreviate(p))
	}
	r.Name = strings.Join(nameSegs, "/")
	if err := ociformat.ValidateRepository(r.Name); err != nil {
		return route{}, nameInvalid("%v", err)
	}
	if len(nameSegs) < 2 {
		return route{}, fault.Coded(fault.KindNotFound, codeNameUnknown,
			"%q names a repository but no image in it: use <repository>/<image>, e.g. %s/app", r.Name, r.Name)
	}
	r.Repo, r.Image = nameSegs[0], strings.Join(nameSegs[1:], "/")
	if r.Kind != kindUpload && r.Kind != kindTags && r.Ref == "" {
		return route{}, fault.Coded(fault.KindNotFound, "oci_endpoint_unknown", "/v2/%s has no reference", abbreviate(p))
	}
	return r, nil
}

func nameInvalid(format string, args ...any) error {
	return fault.Coded(fault.KindBadRequest, codeNameInvalid, format, args...)
}

// abbreviate shortens hostile input quoted in error messages.
func abbreviate(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}
