package admincli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// The registry's endpoints (docs/oci.md) through the admin client: what an
// operator needs without docker at hand, with the same credentials
// (ARTIFORTRESS_TOKEN works on /v2/ as Basic or Bearer).

func newOCICommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "oci",
		Short: "Browse and clean up OCI images through the registry API at /v2/",
		Long: `Commands over the OCI registry at /v2/ (docs/oci.md): the catalog, an image's
tags, a manifest as stored, the referrers of a manifest, and deletes. NAME is
REPOSITORY/IMAGE (oci-local/team/app). Pushing and pulling images is the job of
docker, skopeo, oras, crane or helm, logged in with an Artifortress token as
the password.`,
		Example: `  artifortress admin oci catalog
  artifortress admin oci tags oci-local/team/app
  artifortress admin oci manifest oci-local/team/app 1.0 | jq .layers
  artifortress admin oci referrers oci-local/team/app sha256:4c1e... --artifact-type application/vnd.example.sig
  artifortress admin oci delete oci-local/team/app 1.0-rc1
  artifortress admin oci delete-blob oci-local/team/app sha256:9f86...`,
		Args: cobra.NoArgs,
		RunE: showHelp,
	}
	cmd.AddCommand(newOCICatalogCommand(o), newOCITagsCommand(o), newOCIManifestCommand(o),
		newOCIReferrersCommand(o), newOCIDeleteCommand(o), newOCIDeleteBlobCommand(o))
	return cmd
}

// ociSession checks name and rest (ociPath) before it opens the session a
// command about that /v2/ path needs, and returns both.
func ociSession(o *options, cmd *cobra.Command, name string, rest ...string) (*session, string, error) {
	path, err := ociPath(name, rest...)
	if err != nil {
		return nil, "", err
	}
	s, err := o.session(cmd, false)
	return s, path, err
}

// ociPath is the escaped /v2/ path of name followed by rest: each component
// of the name is checked and escaped.
func ociPath(name string, rest ...string) (string, error) {
	parts := strings.Split(name, "/")
	if len(parts) < 2 {
		return "", usageErrorf("invalid NAME %q: want REPOSITORY/IMAGE, such as oci-local/team/app", name)
	}
	for _, p := range parts {
		if p == "" || p == "." || p == ".." {
			return "", usageErrorf("invalid NAME %q: empty, . or .. component", name)
		}
	}
	for _, r := range rest {
		if r == "" || r == "." || r == ".." || strings.Contains(r, "/") {
			return "", usageErrorf("invalid reference %q", r)
		}
		parts = append(parts, r)
	}
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return "/v2/" + strings.Join(parts, "/"), nil
}

// ociPages reads a paged list (catalog, tags) whole, following Link: next.
func ociPages(s *session, path string, field string) ([]string, error) {
	var all []string
	q := url.Values{"n": {"1000"}}
	for range 10000 {
		resp, err := s.client.Open(s.ctx, http.MethodGet, path, q, nil)
		if err != nil {
			return nil, err
		}
		var page map[string]json.RawMessage
		err = json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&page)
		link := resp.Header.Get("Link")
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		var names []string
		if raw, ok := page[field]; ok && string(raw) != "null" {
			if err := json.Unmarshal(raw, &names); err != nil {
				return nil, fmt.Errorf("%s: %s: %w", path, field, err)
			}
		}
		all = append(all, names...)
		if link == "" || len(names) == 0 {
			return all, nil
		}
		q = url.Values{"n": {"1000"}, "last": {names[len(names)-1]}}
	}
	return all, nil
}

func printNames(s *session, heading string, names []string) error {
	if names == nil {
		names = []string{}
	}
	raw, err := json.Marshal(map[string][]string{"items": names})
	if err != nil {
		return err
	}
	return s.print(raw, func(w io.Writer) error {
		t := newTable(w, heading)
		for _, n := range names {
			t.row(n)
		}
		return t.flush()
	})
}

func newOCICatalogCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:     "catalog",
		Short:   "List the images (REPOSITORY/IMAGE) you can read",
		Example: `  artifortress admin oci catalog -o json | jq -r '.items[]'`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			names, err := ociPages(s, "/v2/_catalog", "repositories")
			if err != nil {
				return err
			}
			return printNames(s, "NAME", names)
		},
	}
}

func newOCITagsCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:     "tags NAME",
		Short:   "List an image's tags (held and deleted images' tags are left out)",
		Example: `  artifortress admin oci tags oci-local/team/app`,
		Args:    exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, path, err := ociSession(o, cmd, args[0], "tags", "list")
			if err != nil {
				return err
			}
			tags, err := ociPages(s, path, "tags")
			if err != nil {
				return err
			}
			return printNames(s, "TAG", tags)
		},
	}
}

func newOCIManifestCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "manifest NAME REFERENCE",
		Short: "Print a manifest exactly as it was pushed (REFERENCE: a tag or a digest)",
		Long: `Prints the manifest's bytes as stored, whatever --output says; its digest and
media type go to standard error.`,
		Example: `  artifortress admin oci manifest oci-local/team/app 1.0
  artifortress admin oci manifest oci-local/team/app sha256:4c1e... > manifest.json`,
		Args: exactArgs("NAME", "REFERENCE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, path, err := ociSession(o, cmd, args[0], "manifests", args[1])
			if err != nil {
				return err
			}
			resp, err := s.client.Open(s.ctx, http.MethodGet, path, nil, nil)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			fmt.Fprintf(s.errOut, "%s %s\n", resp.Header.Get("Docker-Content-Digest"), resp.Header.Get("Content-Type"))
			_, err = io.Copy(s.out, resp.Body)
			return err
		},
	}
}

func newOCIReferrersCommand(o *options) *cobra.Command {
	var artifactType string
	cmd := &cobra.Command{
		Use:   "referrers NAME DIGEST",
		Short: "List the manifests whose subject is DIGEST (signatures, SBOMs, attestations)",
		Example: `  artifortress admin oci referrers oci-local/team/app sha256:4c1e...
  artifortress admin oci referrers oci-local/team/app sha256:4c1e... --artifact-type application/spdx+json -o json`,
		Args: exactArgs("NAME", "DIGEST"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, path, err := ociSession(o, cmd, args[0], "referrers", args[1])
			if err != nil {
				return err
			}
			var q url.Values
			if artifactType != "" {
				q = url.Values{"artifactType": {artifactType}}
			}
			resp, err := s.client.Open(s.ctx, http.MethodGet, path, q, nil)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
			if err != nil {
				return err
			}
			var idx struct {
				Manifests []struct {
					MediaType    string `json:"mediaType"`
					Digest       string `json:"digest"`
					Size         int64  `json:"size"`
					ArtifactType string `json:"artifactType"`
				} `json:"manifests"`
			}
			if err := json.Unmarshal(raw, &idx); err != nil {
				return fmt.Errorf("referrers: %w", err)
			}
			return s.print(raw, func(w io.Writer) error {
				t := newTable(w, "DIGEST", "ARTIFACT TYPE", "SIZE", "MEDIA TYPE")
				for _, m := range idx.Manifests {
					t.row(m.Digest, m.ArtifactType, strconv.FormatInt(m.Size, 10), m.MediaType)
				}
				return t.flush()
			})
		},
	}
	cmd.Flags().StringVar(&artifactType, "artifact-type", "", "only referrers of this artifact `type`")
	return cmd
}

func newOCIDeleteCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME REFERENCE",
		Short: "Delete a tag (role write) or, by digest, a manifest (role admin; restorable)",
		Long: `With a tag, removes the tag. With a digest, tombstones the manifest: it is
no longer pulled by digest or through its tags, and can be restored within
--tombstone-retention (artifortress admin versions restore, or pushing it again
as a repository admin).`,
		Example: `  artifortress admin oci delete oci-local/team/app 1.0-rc1
  artifortress admin oci delete oci-local/team/app sha256:4c1e...`,
		Args: exactArgs("NAME", "REFERENCE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return ociDelete(o, cmd, args[0], "manifests", args[1])
		},
	}
}

func newOCIDeleteBlobCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "delete-blob NAME DIGEST",
		Short: "Delete a blob from the image's repository (role admin)",
		Long: `Hides the blob in the repository at once (other nodes within 10 minutes); its
bytes stay for other repositories and the manifests that use it, and pushing it
again makes it visible again.`,
		Example: `  artifortress admin oci delete-blob oci-local/team/app sha256:9f86...`,
		Args:    exactArgs("NAME", "DIGEST"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return ociDelete(o, cmd, args[0], "blobs", args[1])
		},
	}
}

func ociDelete(o *options, cmd *cobra.Command, name, kind, ref string) error {
	s, path, err := ociSession(o, cmd, name, kind, ref)
	if err != nil {
		return err
	}
	resp, err := s.client.Open(s.ctx, http.MethodDelete, path, nil, nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	_, err = fmt.Fprintf(s.out, "deleted %s %s\n", name, ref)
	return err
}
