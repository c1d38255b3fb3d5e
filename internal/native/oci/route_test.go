package oci

import (
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/fault"
)

func TestParseRoute(t *testing.T) {
	for path, want := range map[string]route{
		"repo/app/manifests/latest":             {Name: "repo/app", Repo: "repo", Image: "app", Kind: kindManifest, Ref: "latest"},
		"repo/a/b/c/blobs/sha256:abc":           {Name: "repo/a/b/c", Repo: "repo", Image: "a/b/c", Kind: kindBlob, Ref: "sha256:abc"},
		"repo/app/blobs/uploads/":               {Name: "repo/app", Repo: "repo", Image: "app", Kind: kindUpload},
		"repo/app/blobs/uploads":                {Name: "repo/app", Repo: "repo", Image: "app", Kind: kindUpload},
		"repo/app/blobs/uploads/abc123":         {Name: "repo/app", Repo: "repo", Image: "app", Kind: kindUpload, Ref: "abc123"},
		"repo/app/tags/list":                    {Name: "repo/app", Repo: "repo", Image: "app", Kind: kindTags},
		"repo/app/referrers/sha256:abc":         {Name: "repo/app", Repo: "repo", Image: "app", Kind: kindReferrers, Ref: "sha256:abc"},
		"repo/blobs/manifests/blobs/sha256:abc": {Name: "repo/blobs/manifests", Repo: "repo", Image: "blobs/manifests", Kind: kindBlob, Ref: "sha256:abc"},
		"repo/tags/list/manifests/v1":           {Name: "repo/tags/list", Repo: "repo", Image: "tags/list", Kind: kindManifest, Ref: "v1"},
		"repo/app%2Fescaped/manifests/v1":       {Name: "repo/app/escaped", Repo: "repo", Image: "app/escaped", Kind: kindManifest, Ref: "v1"},
		"my-repo/x.y__z--w/manifests/sha256:0":  {Name: "my-repo/x.y__z--w", Repo: "my-repo", Image: "x.y__z--w", Kind: kindManifest, Ref: "sha256:0"},
	} {
		got, err := parseRoute(path)
		if err != nil || got != want {
			t.Errorf("parseRoute(%q) = %+v, %v; want %+v", path, got, err, want)
		}
	}
	for path, code := range map[string]string{
		"repo/App/manifests/v1":                    codeNameInvalid,
		"repo/../x/manifests/v1":                   codeNameInvalid,
		"repo//x/manifests/v1":                     codeNameInvalid,
		"repo/x%00/manifests/v1":                   codeNameInvalid,
		"repo/x%zz/manifests/v1":                   codeNameInvalid,
		"repo/manifests/v1":                        codeNameUnknown,
		"repo/app/manifests/":                      "oci_endpoint_unknown",
		"repo/app":                                 "oci_endpoint_unknown",
		"repo/app/unknown/x":                       "oci_endpoint_unknown",
		strings.Repeat("a/", 200) + "manifests/v1": codeNameInvalid,
	} {
		_, err := parseRoute(path)
		if fe := fault.As(err); fe == nil || fe.Code != code {
			t.Errorf("parseRoute(%q) = %v; want %s", path, err, code)
		}
	}
}

// FuzzParseRoute: any path gives a route whose name is valid and whose
// parts join back to it, or a fault; never a panic.
func FuzzParseRoute(f *testing.F) {
	for _, s := range []string{"repo/app/manifests/latest", "repo/a/b/blobs/uploads/x", "repo/app/tags/list", "repo/app/referrers/sha256:0", "%2e%2e/x/blobs/y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		r, err := parseRoute(path)
		if err != nil {
			if fault.As(err) == nil {
				t.Fatalf("error is not a fault: %v", err)
			}
			return
		}
		if r.Repo+"/"+r.Image != r.Name || r.Repo == "" || r.Image == "" || strings.Contains(r.Name, "..") || strings.Contains(r.Name, "//") {
			t.Fatalf("route %+v from %q", r, path)
		}
	})
}
