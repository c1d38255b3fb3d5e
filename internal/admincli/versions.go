package admincli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// draftRequest is the body of POST .../packages/versions/drafts. Format and
// Namespace are optional and left out when unset.
type draftRequest struct {
	Format    string            `json:"format,omitempty"`
	Namespace string            `json:"namespace,omitempty"`
	Name      string            `json:"name"`
	Version   string            `json:"version"`
	Labels    map[string]string `json:"labels,omitempty"`
}

// maxEntriesPerRequest is the server's bound on the entries of one
// request; longer lists are sent in several.
const maxEntriesPerRequest = 1000

// maxManifestBytes bounds a manifest read from a file or standard input.
const maxManifestBytes = 16 << 20

func newVersionsCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "versions",
		Aliases: []string{"version"},
		Short:   "Publish package versions step by step: draft, entries, manifest, publish",
		Long: `Publish a version of a package in a local repository, one endpoint at a time:

  1. draft        create the draft of NAME VERSION (or get the existing one): role write
  2. add-entries  name its files: paths and the digests of blobs already uploaded to
                  the repository ("artifortress admin blobs put", "artifortress push")
  3. manifest put give it the manifest its format checks (package.json for npm, ...)
  4. publish      make it immutable and visible to readers: role promote

A draft is addressed by its versionId (ver_...); a published version also by its
coordinates ("artifortress admin packages get"). publish-files does all four steps
for a few local files.

Publishing checks the version against the policies of the repository and the
global ones ("artifortress admin policies"): a deny refuses it, a quarantine
publishes it into the quarantine lane ("artifortress admin quarantine").
"evaluations" shows what the policies decided; "promote" copies a published
version into another local repository, through that repository's policies.
"delete" tombstones a published version (or discards a draft); "restore" brings a
tombstoned one back within the retention window; "deprecate" (alias "yank") sets or
clears a version's deprecation notice.`,
		Example: `  artifortress admin versions draft generic-local tool 1.2.0
  artifortress admin versions add-entries generic-local ver_0123456789abcdef01234567 --entry tool.tar.gz=sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824
  artifortress admin versions manifest put generic-local ver_0123456789abcdef01234567 manifest.json
  artifortress admin versions publish generic-local ver_0123456789abcdef01234567
  artifortress admin versions publish-files generic-local tool 1.2.0 --manifest manifest.json dist/tool.tar.gz`,
		Args: cobra.NoArgs,
		RunE: showHelp,
	}
	cmd.AddCommand(
		newVersionsDraftCommand(o),
		newVersionsGetCommand(o),
		newVersionsAddEntriesCommand(o),
		newVersionsManifestCommand(o),
		newVersionsPublishCommand(o),
		newVersionsPublishFilesCommand(o),
		newVersionsEvaluationsCommand(o),
		newVersionsPromoteCommand(o),
		newVersionsDeleteCommand(o),
		newVersionsRestoreCommand(o),
		newVersionsDeprecateCommand(o),
	)
	return cmd
}

func newVersionsDraftCommand(o *options) *cobra.Command {
	var (
		req    draftRequest
		labels labelFlags
	)
	cmd := &cobra.Command{
		Use:   "draft REPO NAME VERSION [--namespace NS] [--format FORMAT] [--label KEY=VALUE...]",
		Short: "Create the draft of a version, or get the existing draft",
		Long: `Create the draft of version VERSION of package NAME in a local repository (role
write) and print it with its versionId. When a draft of these coordinates exists it
is answered instead (a note says so on standard error), so the command can be run
again; a published version is refused with version_exists.

NAME is the full name ("@scope/pkg"), or with --namespace the bare name. --format,
when given, must be the repository's format.

--label KEY=VALUE (repeatable) sets the version's labels, frozen with it at
publish; policies read them as version.labels. Given for an existing draft, they
replace its labels; left out, the draft keeps its own.`,
		Example: `  artifortress admin versions draft generic-local tool 1.2.0
  artifortress admin versions draft npm-local @acme/ui 1.4.2 -o json | jq -r .versionId
  artifortress admin versions draft npm-local ui 1.4.2 --namespace acme
  artifortress admin versions draft generic-local tool 1.2.0 --label team=infra --label ticket=OPS-42`,
		Args: exactArgs("REPO", "NAME", "VERSION"),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Name, req.Version = args[1], args[2]
			l, err := labels.labels()
			if err != nil {
				return err
			}
			req.Labels = l
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			v, raw, created, err := s.createDraft(args[0], req)
			if err != nil {
				return err
			}
			if !created {
				fmt.Fprintf(s.errOut, "The draft of %s %s already existed; it is shown as it is.\n", sanitize(v.Package), sanitize(v.Version))
			}
			return s.print(raw, func(w io.Writer) error { return writeVersion(w, &v) })
		},
	}
	cmd.Flags().StringVar(&req.Namespace, "namespace", "", "`namespace` of the package (npm scope without @, Maven group); NAME is then the bare name")
	cmd.Flags().StringVar(&req.Format, "format", "", "`format` the repository must have, e.g. npm")
	labels.register(cmd)
	registerRepoCompletions(cmd)
	return cmd
}

// createDraft creates or gets a draft and reports whether it was created
// (201) rather than found (200).
func (s *session) createDraft(repo string, req draftRequest) (packageVersion, []byte, bool, error) {
	path := Pathf("/v1/repos/%s/packages/versions/drafts", repo)
	resp, err := s.client.send(s.ctx, http.MethodPost, path, nil, req)
	if err != nil {
		return packageVersion{}, nil, false, err
	}
	var v packageVersion
	raw, err := decodeAnswer(http.MethodPost, path, resp, &v)
	if err != nil {
		return packageVersion{}, nil, false, err
	}
	return v, raw, resp.status == http.StatusCreated, nil
}

func newVersionsGetCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "get REPO VERSION_ID",
		Short: "Show a version by its id, with its files",
		Example: `  artifortress admin versions get generic-local ver_0123456789abcdef01234567
  artifortress admin versions get generic-local ver_0123456789abcdef01234567 -o json`,
		Args: exactArgs("REPO", "VERSION_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkVersionID(args[1]); err != nil {
				return err
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			return s.printVersion(http.MethodGet, versionIDPath(args[0], args[1]), nil)
		},
	}
}

func newVersionsAddEntriesCommand(o *options) *cobra.Command {
	var (
		specs []string
		file  string
	)
	cmd := &cobra.Command{
		Use:   "add-entries REPO VERSION_ID (--entry PATH=DIGEST[;MEDIATYPE]... | --file FILE)",
		Short: "Add files to a draft: paths and the digests of uploaded blobs",
		Long: `Add files to a draft (role write). Each file is a path inside the version and the
digest of a blob already committed in the repository; the server takes its size
from the blob. All the entries of one request are added, or none.

--entry PATH=DIGEST[;MEDIATYPE], repeatable: PATH ends at the last "=" before the
first ";" (so it may contain "=", not ";"); the media type is everything after the
first ";". --file FILE (- for standard input) reads a JSON array of
{"path","digest","mediaType"} objects, or an object with such an "entries" array.
Both may be given; --file's entries come first. More than 1000 entries are sent
in several requests, which are not applied together.`,
		Example: `  artifortress admin versions add-entries generic-local ver_0123456789abcdef01234567 --entry tool.tar.gz=sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824
  artifortress admin versions add-entries generic-local ver_0123456789abcdef01234567 --entry "docs/readme.txt=sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824;text/plain; charset=utf-8"
  artifortress admin versions add-entries generic-local ver_0123456789abcdef01234567 --file entries.json -o json`,
		Args: exactArgs("REPO", "VERSION_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkVersionID(args[1]); err != nil {
				return err
			}
			var entries []versionEntry
			if file != "" {
				fromFile, err := readEntriesFile(cmd, file)
				if err != nil {
					return err
				}
				entries = fromFile
			}
			for _, spec := range specs {
				e, err := parseEntry(spec)
				if err != nil {
					return err
				}
				entries = append(entries, e)
			}
			if len(entries) == 0 {
				return usageErrorf("no entries: give --entry PATH=DIGEST (repeatable) or --file FILE")
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			v, raw, err := s.addEntries(args[0], args[1], entries)
			if err != nil {
				return err
			}
			return s.print(raw, func(w io.Writer) error { return writeVersion(w, &v) })
		},
	}
	cmd.Flags().StringArrayVar(&specs, "entry", nil, "file of the version as `PATH=DIGEST[;MEDIATYPE]`, repeatable")
	cmd.Flags().StringVar(&file, "file", "", "read entries from this JSON `file` (- is standard input)")
	return cmd
}

// addEntries sends entries in requests of at most maxEntriesPerRequest and
// returns the last answer.
func (s *session) addEntries(repo, id string, entries []versionEntry) (packageVersion, []byte, error) {
	var (
		v   packageVersion
		raw []byte
	)
	for start := 0; start < len(entries); start += maxEntriesPerRequest {
		batch := entries[start:min(start+maxEntriesPerRequest, len(entries))]
		v = packageVersion{}
		var err error
		raw, err = s.client.Call(s.ctx, http.MethodPost, versionIDPath(repo, id)+"/entries", nil,
			map[string][]versionEntry{"entries": batch}, &v)
		if err != nil {
			if start > 0 {
				return packageVersion{}, nil, inStep(err, "entries %d to %d (the %d before were added)", start, start+len(batch)-1, start)
			}
			return packageVersion{}, nil, err
		}
	}
	return v, raw, nil
}

// parseEntry parses PATH=DIGEST[;MEDIATYPE].
func parseEntry(spec string) (versionEntry, error) {
	left, mediaType, _ := strings.Cut(spec, ";")
	i := strings.LastIndexByte(left, '=')
	if i <= 0 || i == len(left)-1 {
		return versionEntry{}, usageErrorf("invalid --entry %q: want PATH=DIGEST[;MEDIATYPE]", spec)
	}
	return versionEntry{Path: left[:i], Digest: left[i+1:], MediaType: strings.TrimSpace(mediaType)}, nil
}

// readEntriesFile reads the entries of --file: a JSON array of entries or
// an object with an "entries" array.
func readEntriesFile(cmd *cobra.Command, name string) ([]versionEntry, error) {
	b, err := readInput(cmd, name, maxManifestBytes)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	var entries []versionEntry
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if len(b) > 0 && b[0] == '{' {
		var wrapped struct {
			Entries []versionEntry `json:"entries"`
		}
		err = dec.Decode(&wrapped)
		entries = wrapped.Entries
	} else {
		err = dec.Decode(&entries)
	}
	if err != nil {
		return nil, usageErrorf("--file %s: want a JSON array of {\"path\",\"digest\",\"mediaType\"} or {\"entries\":[...]}: %v", name, err)
	}
	for i, e := range entries {
		if e.Path == "" || e.Digest == "" {
			return nil, usageErrorf("--file %s: entry %d lacks a path or a digest", name, i)
		}
		entries[i].Size = 0 // the server takes sizes from the blobs
	}
	return entries, nil
}

// readInput reads a whole small input named on the command line: a file,
// or standard input for "-". Failing to read it is a usage error: nothing
// was sent.
func readInput(cmd *cobra.Command, name string, limit int64) ([]byte, error) {
	var r io.Reader
	if name == "-" {
		r = cmd.InOrStdin()
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, &UsageError{Err: err}
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, &UsageError{Err: fmt.Errorf("reading %s: %w", name, err)}
	}
	if int64(len(b)) > limit {
		return nil, usageErrorf("%s is larger than %d bytes", name, limit)
	}
	return b, nil
}

// readManifest reads a manifest file and checks that it is one JSON object.
func readManifest(cmd *cobra.Command, name string) (jsonBody, error) {
	b, err := readInput(cmd, name, maxManifestBytes)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' || !json.Valid(b) {
		return nil, usageErrorf("manifest %s is not a JSON object", name)
	}
	return jsonBody(b), nil
}

func newVersionsManifestCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "manifest",
		Short: "Set or read the manifest of a version",
		Long: `A version's manifest is the JSON object its format checks at put and again at
publish: package.json for npm, the image manifest for OCI, at least "name" and
"version" for generic packages. It is stored as given.`,
		Example: `  artifortress admin versions manifest put npm-local ver_0123456789abcdef01234567 package.json
  artifortress admin versions manifest get npm-local ver_0123456789abcdef01234567`,
		Args: cobra.NoArgs,
		RunE: showHelp,
	}
	cmd.AddCommand(newVersionsManifestPutCommand(o), newVersionsManifestGetCommand(o))
	return cmd
}

func newVersionsManifestPutCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "put REPO VERSION_ID FILE|-",
		Short: "Set the manifest of a draft from a JSON file or standard input",
		Long: `Set the manifest of a draft (role write) to the JSON object in FILE, or on standard
input for -, sent byte for byte. The server checks it against the version's format
and coordinates (a bad_request names the field) and replaces any manifest the draft
had. The command prints the draft.`,
		Example: `  artifortress admin versions manifest put generic-local ver_0123456789abcdef01234567 manifest.json
  echo '{"name":"tool","version":"1.2.0"}' | artifortress admin versions manifest put generic-local ver_0123456789abcdef01234567 -`,
		Args: exactArgs("REPO", "VERSION_ID", "FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkVersionID(args[1]); err != nil {
				return err
			}
			m, err := readManifest(cmd, args[2])
			if err != nil {
				return err
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			return s.printVersion(http.MethodPut, versionIDPath(args[0], args[1])+"/manifest", m)
		},
	}
}

func newVersionsManifestGetCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "get REPO VERSION_ID",
		Short: "Print the manifest of a version as JSON",
		Long: `Print the manifest of a version, indented, whatever --output says (it is JSON
already). A draft without a manifest answers manifest_not_found.`,
		Example: `  artifortress admin versions manifest get generic-local ver_0123456789abcdef01234567
  artifortress admin versions manifest get npm-local ver_0123456789abcdef01234567 > package.json`,
		Args: exactArgs("REPO", "VERSION_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkVersionID(args[1]); err != nil {
				return err
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			raw, err := s.client.Call(s.ctx, http.MethodGet, versionIDPath(args[0], args[1])+"/manifest", nil, nil, nil)
			if err != nil {
				return err
			}
			return writeJSON(s.out, raw)
		},
	}
}

func newVersionsPublishCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "publish REPO VERSION_ID",
		Short: "Publish a draft: make it immutable and visible to readers",
		Long: `Publish a draft (role promote). It needs at least one entry, a manifest its format
accepts, and every entry's blob committed in the repository; otherwise the server
answers publish_precondition_failed naming the precondition, and nothing changes.
Publishing a published version changes nothing and says so ("Already published:
true", "idempotent": true).

The version is checked against the policies of the repository and the global ones.
A deny refuses the publish with policy_denied naming the policy (the version stays
a draft). A quarantine publishes it into the quarantine lane, hidden until
released: the answer carries quarantineId and quarantineReason, and a note on
standard error says where to review it.`,
		Example: `  artifortress admin versions publish generic-local ver_0123456789abcdef01234567
  artifortress admin versions publish generic-local ver_0123456789abcdef01234567 -o json`,
		Args: exactArgs("REPO", "VERSION_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.onVersion(cmd, args, func(s *session, path string) error {
				var v packageVersion
				raw, err := s.client.Call(s.ctx, http.MethodPost, path+"/publish", nil, nil, &v)
				if err != nil {
					return err
				}
				s.noteQuarantine(&v)
				return s.print(raw, func(w io.Writer) error { return writeVersion(w, &v) })
			})
		},
	}
}
