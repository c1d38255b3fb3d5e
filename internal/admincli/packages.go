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

// packageItem is one item of GET /v1/repos/{key}/packages. Package is the
// full name as the format writes it ("@scope/pkg", "team/app").
type packageItem struct {
	Package   string `json:"package"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Format    string `json:"format"`
	CreatedAt string `json:"createdAt"`
}

// packageVersion is the API's version resource: the answer of the draft,
// entries, manifest and publish calls and of both version reads. Publish
// adds Idempotent (the version was already published; nothing changed);
// publish and promote add QuarantineID and QuarantineReason when a policy
// held the version.
type packageVersion struct {
	VersionID    string          `json:"versionId"`
	Repo         string          `json:"repo"`
	Format       string          `json:"format"`
	Namespace    string          `json:"namespace"`
	Name         string          `json:"name"`
	Package      string          `json:"package"`
	Version      string          `json:"version"`
	State        string          `json:"state"`
	Entries      []versionEntry  `json:"entries"`
	Manifest     json.RawMessage `json:"manifest"`
	CreatedBy    string          `json:"createdBy"`
	CreatedAt    string          `json:"createdAt"`
	PublishedBy  string          `json:"publishedBy"`
	PublishedAt  string          `json:"publishedAt"`
	TombstonedAt string          `json:"tombstonedAt"`
	// TombstonedBy, TombstoneReason and RestorableUntil describe a
	// tombstoned version.
	TombstonedBy    string            `json:"tombstonedBy"`
	TombstoneReason string            `json:"tombstoneReason"`
	RestorableUntil string            `json:"restorableUntil"`
	Labels          map[string]string `json:"labels"`
	// Quarantine is the version's quarantine status when a policy ever
	// held it: quarantined, released or rejected.
	Quarantine       string `json:"quarantine"`
	Idempotent       *bool  `json:"idempotent"`
	QuarantineID     string `json:"quarantineId"`
	QuarantineReason string `json:"quarantineReason"`
}

// versionEntry is a file of a version; the server fills in Size from the
// stored blob.
type versionEntry struct {
	Path      string `json:"path"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size,omitempty"`
	MediaType string `json:"mediaType,omitempty"`
}

// versionSummary is one item of GET .../packages/{name}/versions.
type versionSummary struct {
	VersionID   string `json:"versionId"`
	Version     string `json:"version"`
	State       string `json:"state"`
	PublishedAt string `json:"publishedAt"`
}

// packagePath returns the escaped path of a package below the packages of
// repo: the name is one segment, so the "/" of "@scope/pkg" or "team/app"
// is sent as %2F ("@scope%2Fpkg").
func packagePath(repo, name string) string {
	return Pathf("/v1/repos/%s/packages/%s", repo, name)
}

// versionIDPath returns the escaped path of a version addressed by id.
func versionIDPath(repo, id string) string {
	return Pathf("/v1/repos/%s/packages/versions/%s", repo, id)
}

// checkSegments refuses "." and ".." as the values of the named arguments:
// sent as a path segment they would be resolved away before reaching the
// server.
func checkSegments(names []string, args []string) error {
	for i, a := range args {
		if i < len(names) && (a == "." || a == "..") {
			return usageErrorf("argument %s must not be %q", names[i], a)
		}
	}
	return nil
}

// checkVersionID refuses what cannot be a version id: the server addresses
// versions by ids starting with "ver_" and reads anything else as a
// package name.
func checkVersionID(id string) error {
	if !strings.HasPrefix(id, "ver_") || len(id) == len("ver_") || strings.Contains(id, "/") {
		return usageErrorf("invalid VERSION_ID %q: want the versionId of a draft, such as ver_0123456789abcdef01234567", id)
	}
	return nil
}

func newPackagesCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "packages",
		Aliases: []string{"package", "pkgs"},
		Short:   "List the packages of a repository and read their versions",
		Long: `List the packages of a repository and read their versions by name.

A package name is the full name the format writes: "tool", "@scope/pkg" (npm),
"team/app" (OCI). It is sent as one path segment, its "/" escaped. Readers see
published versions; writers also see drafts (and packages that only have drafts).

To publish a version, see "artifortress admin versions"; to download its files,
"artifortress admin files"; to name versions, "artifortress admin tags".`,
		Example: `  artifortress admin packages list npm-local --query react
  artifortress admin packages versions npm-local @acme/ui
  artifortress admin packages get npm-local @acme/ui 1.4.2 -o json`,
		Args: cobra.NoArgs,
		RunE: showHelp,
	}
	cmd.AddCommand(newPackagesListCommand(o), newPackagesVersionsCommand(o), newPackagesGetCommand(o))
	return cmd
}

func newPackagesListCommand(o *options) *cobra.Command {
	var (
		namespace, query, cursor string
		limit                    int
		all                      bool
	)
	cmd := &cobra.Command{
		Use:   "list REPO [--namespace NS] [--query TEXT] [--limit N] [--cursor C | --all]",
		Short: "List the packages of a repository, by namespace and name",
		Long: `List the packages of a repository, ordered by namespace and name, one page at a
time (--limit packages, 100 by default, at most 1000). When more remain, the table
output names the cursor of the next page on standard error and -o json carries it
as nextCursor. --all follows the cursors and prints every package at once.

--namespace keeps the packages of one namespace (an npm scope without "@", a Maven
group); --query keeps the names that contain TEXT (case-insensitive).`,
		Example: `  artifortress admin packages list generic-local
  artifortress admin packages list npm-local --namespace acme --query ui
  artifortress admin packages list npm-local --all -o json`,
		Args: exactArgs("REPO"),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{}
			if namespace != "" {
				q.Set("namespace", namespace)
			}
			if query != "" {
				q.Set("q", query)
			}
			if cmd.Flags().Changed("limit") {
				if limit < 1 || limit > 1000 {
					return usageErrorf("invalid --limit %d: want 1 to 1000", limit)
				}
				q.Set("limit", strconv.Itoa(limit))
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			items, last, next, err := s.listPages("packages list", Pathf("/v1/repos/%s/packages", args[0]), q, cursor, all)
			if err != nil {
				return err
			}
			if s.json() {
				if !all {
					return writeJSON(s.out, last)
				}
				return writeValue(s.out, struct {
					Items []json.RawMessage `json:"items"`
				}{items})
			}
			t := newTable(s.out, "PACKAGE", "NAMESPACE", "FORMAT", "CREATED")
			for _, raw := range items {
				var p packageItem
				if err := json.Unmarshal(raw, &p); err != nil {
					return fmt.Errorf("server answered an unreadable package: %w", err)
				}
				t.row(p.Package, p.Namespace, p.Format, p.CreatedAt)
			}
			if err := t.flush(); err != nil {
				return err
			}
			if next != "" {
				fmt.Fprintf(s.errOut, "More packages: add --cursor %s for the next page, or --all.\n", sanitize(next))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&namespace, "namespace", "", "only packages of this `namespace` (npm scope without @, Maven group, ...)")
	f.StringVar(&query, "query", "", "only packages whose name contains this `text` (case-insensitive)")
	f.IntVar(&limit, "limit", 100, "packages per page, 1 to 1000")
	f.StringVar(&cursor, "cursor", "", "start at this `cursor` (the nextCursor of the previous page)")
	f.BoolVar(&all, "all", false, "follow nextCursor until the last page")
	return cmd
}

// listPages GETs a paged list: one page, or with all every page from
// cursor on, following nextCursor. It returns the items, the raw answer of
// the last page and the cursor of the page after it ("" with all).
func (s *session) listPages(what, path string, q url.Values, cursor string, all bool) ([]json.RawMessage, []byte, string, error) {
	var (
		items = []json.RawMessage{}
		seen  = map[string]bool{}
	)
	for {
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page struct {
			Items      []json.RawMessage `json:"items"`
			NextCursor string            `json:"nextCursor"`
		}
		raw, err := s.client.Call(s.ctx, http.MethodGet, path, q, nil, &page)
		if err != nil {
			return nil, nil, "", err
		}
		items = append(items, page.Items...)
		if !all || page.NextCursor == "" {
			return items, raw, page.NextCursor, nil
		}
		if seen[page.NextCursor] {
			return nil, nil, "", fmt.Errorf("%s --all: the server repeated cursor %q; stopping", what, page.NextCursor)
		}
		seen[page.NextCursor] = true
		cursor = page.NextCursor
	}
}

func newPackagesVersionsCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "versions REPO NAME",
		Short: "List the versions of a package, oldest first in the format's order",
		Long: `List the versions of a package in the order of its format (SemVer for npm, Maven's
ordering for Maven, natural order for generic packages), oldest first. Readers see
published versions; writers drafts too; repository administrators tombstoned ones.`,
		Example: `  artifortress admin packages versions generic-local tool
  artifortress admin packages versions npm-local @acme/ui -o json`,
		Args: exactArgs("REPO", "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkSegments([]string{"REPO", "NAME"}, args); err != nil {
				return err
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var res struct {
				Package string           `json:"package"`
				Items   []versionSummary `json:"items"`
			}
			raw, err := s.client.Call(s.ctx, http.MethodGet, packagePath(args[0], args[1])+"/versions", nil, nil, &res)
			if err != nil {
				return err
			}
			return s.print(raw, func(w io.Writer) error {
				if err := writeFields(w, [][2]string{{"Package", res.Package}}); err != nil {
					return err
				}
				t := newTable(w, "VERSION", "STATE", "PUBLISHED", "VERSION ID")
				for _, v := range res.Items {
					t.row(v.Version, v.State, v.PublishedAt, v.VersionID)
				}
				return t.flush()
			})
		},
	}
}

func newPackagesGetCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "get REPO NAME VERSION",
		Short: "Show a version of a package with its files",
		Example: `  artifortress admin packages get generic-local tool 1.2.0
  artifortress admin packages get npm-local @acme/ui 1.4.2 -o json`,
		Args: exactArgs("REPO", "NAME", "VERSION"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkSegments([]string{"REPO", "NAME", "VERSION"}, args); err != nil {
				return err
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			return s.printVersion(http.MethodGet, packagePath(args[0], args[1])+Pathf("/versions/%s", args[2]), nil)
		},
	}
}

// printVersion performs a request answering a version and prints it.
func (s *session) printVersion(method, path string, in any) error {
	var v packageVersion
	raw, err := s.client.Call(s.ctx, method, path, nil, in, &v)
	if err != nil {
		return err
	}
	return s.print(raw, func(w io.Writer) error { return writeVersion(w, &v) })
}

// maxManifestCell bounds the manifest shown in a version's table; the
// whole one is "versions manifest get".
const maxManifestCell = 100

func writeVersion(w io.Writer, v *packageVersion) error {
	fields := [][2]string{
		{"Version ID", v.VersionID},
		{"Repository", v.Repo},
		{"Format", v.Format},
		{"Package", v.Package},
		{"Version", v.Version},
		{"State", v.State},
	}
	// Shown only when set, so a version policies never held reads as before.
	if v.Quarantine != "" {
		fields = append(fields, [2]string{"Quarantine", v.Quarantine})
	}
	if v.QuarantineID != "" {
		fields = append(fields, [2]string{"Quarantine ID", v.QuarantineID}, [2]string{"Quarantine reason", v.QuarantineReason})
	}
	fields = append(fields, [][2]string{
		{"Created", v.CreatedAt},
		{"Created by", v.CreatedBy},
		{"Published", v.PublishedAt},
		{"Published by", v.PublishedBy},
		{"Tombstoned", v.TombstonedAt},
	}...)
	if v.TombstonedBy != "" {
		fields = append(fields, [][2]string{
			{"Tombstoned by", v.TombstonedBy}, {"Tombstone reason", v.TombstoneReason}, {"Restorable until", v.RestorableUntil},
		}...)
	}
	if len(v.Labels) > 0 {
		fields = append(fields, [2]string{"Labels", formatLabels(v.Labels)})
	}
	fields = append(fields, [2]string{"Manifest", manifestCell(v.Manifest)})
	if v.Idempotent != nil {
		// "Already published" after a publish or a restore, "Already
		// tombstoned" after a delete.
		fields = append(fields, [2]string{"Already " + v.State, strconv.FormatBool(*v.Idempotent)})
	}
	if err := writeFields(w, fields); err != nil {
		return err
	}
	if _, err := fmt.Fprintln(w); err != nil {
		return err
	}
	t := newTable(w, "PATH", "SIZE", "DIGEST", "MEDIA TYPE")
	for _, e := range v.Entries {
		t.row(e.Path, strconv.FormatInt(e.Size, 10), e.Digest, e.MediaType)
	}
	return t.flush()
}

// manifestCell shows a manifest compacted on one line, cut after
// maxManifestCell bytes.
func manifestCell(m json.RawMessage) string { return jsonCell(m, maxManifestCell) }
