package admincli

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

// localFile is a file publish-files uploads, and the entry path it gets.
type localFile struct {
	name  string // as given on the command line
	entry string // path inside the version
}

func newVersionsPublishFilesCommand(o *options) *cobra.Command {
	var (
		manifest, namespace, prefix, mediaType string
		labels                                 labelFlags
	)
	cmd := &cobra.Command{
		Use:   "publish-files REPO NAME VERSION --manifest FILE [--path-prefix P] [--label KEY=VALUE...] FILE...",
		Short: "Upload files and publish them as a version, in one command",
		Long: `Publish local files as version VERSION of package NAME, in order: create (or reuse)
the draft, put the manifest, upload each file as a blob in one request (streamed,
its SHA-256 checked against the server's answer), add the files as entries, publish.
The version is printed once published. Progress goes to standard error.

Each file's entry path is its base name, after --path-prefix if given
("--path-prefix docs/" puts readme.txt at docs/readme.txt). Needs roles write and
promote on the repository.

The command can be run again after a failure: the draft is reused and files it
already holds with the same digest are not added twice (a file at the same path
with another digest is refused). Each upload is one request without resume: for
large files use "artifortress push", then add-entries.

--label KEY=VALUE (repeatable) sets the version's labels, which policies read.
When a policy quarantines the version, it is published into the quarantine lane
and a note on standard error says where to review it.`,
		Example: `  artifortress admin versions publish-files generic-local tool 1.2.0 --manifest manifest.json dist/tool.tar.gz dist/tool.sig
  artifortress admin versions publish-files generic-local tool 1.2.0 --manifest manifest.json --path-prefix docs/ README.md -o json`,
		Args: func(cmd *cobra.Command, args []string) error {
			names := []string{"REPO", "NAME", "VERSION", "FILE"}
			for len(names) < len(args) {
				names = append(names, "FILE")
			}
			return exactArgs(names...)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			repo, name, version := args[0], args[1], args[2]
			if manifest == "" {
				return usageErrorf("--manifest is required: the version's manifest as a JSON file (- for standard input)")
			}
			if prefix != "" && !strings.HasSuffix(prefix, "/") {
				prefix += "/"
			}
			m, err := readManifest(cmd, manifest)
			if err != nil {
				return err
			}
			files, err := checkLocalFiles(args[3:], prefix)
			if err != nil {
				return err
			}
			l, err := labels.labels()
			if err != nil {
				return err
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			return s.publishFiles(repo, draftRequest{Namespace: namespace, Name: name, Version: version, Labels: l}, m, files, mediaType)
		},
	}
	f := cmd.Flags()
	f.StringVar(&manifest, "manifest", "", "the version's manifest, a JSON `file` (- is standard input; required)")
	f.StringVar(&namespace, "namespace", "", "`namespace` of the package; NAME is then the bare name")
	f.StringVar(&prefix, "path-prefix", "", "directory `prefix` of the entry paths, e.g. docs/")
	f.StringVar(&mediaType, "media-type", "", "media `type` of every file (default: none; the server serves application/octet-stream)")
	labels.register(cmd)
	return cmd
}

// checkLocalFiles checks that the files to publish are regular files and
// computes their entry paths, refusing two files with the same path. Each
// file is opened only to be uploaded, so any number can be published.
func checkLocalFiles(names []string, prefix string) ([]localFile, error) {
	var files []localFile
	seen := map[string]string{}
	for _, n := range names {
		entry := prefix + filepath.Base(n)
		if !cleanRelative(entry) {
			return nil, usageErrorf("entry path %q of %s is not a clean relative path; check --path-prefix", entry, n)
		}
		if other, dup := seen[entry]; dup {
			return nil, usageErrorf("%s and %s would both be published at %q", other, n, entry)
		}
		seen[entry] = n
		fi, err := os.Stat(n)
		if err != nil {
			return nil, &UsageError{Err: err}
		}
		if !fi.Mode().IsRegular() {
			return nil, usageErrorf("%s is not a regular file", n)
		}
		files = append(files, localFile{name: n, entry: entry})
	}
	return files, nil
}

// upload sends one local file as a blob and checks the digest the server
// answers against the bytes sent.
func (s *session) upload(repo string, lf localFile) (BlobInfo, error) {
	f, size, err := openRegular(lf.name)
	if err != nil {
		// Checked before anything was sent: a file gone since is no longer
		// a mistake of the command line.
		var ue *UsageError
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return BlobInfo{}, err
	}
	defer f.Close()
	info, _, sent, err := s.putBlob(repo, f, size, "")
	if err != nil {
		return BlobInfo{}, err
	}
	if info.Digest != sent {
		return BlobInfo{}, fmt.Errorf("the server stored digest %q for bytes whose digest is %s", info.Digest, sent)
	}
	return info, nil
}

// publishFiles runs the publish steps. Errors are wrapped with the step
// that failed; an API error keeps its code and hints (see report).
func (s *session) publishFiles(repo string, req draftRequest, manifest jsonBody, files []localFile, mediaType string) error {
	progress := func(format string, a ...any) {
		fmt.Fprintf(s.errOut, format+"\n", a...)
	}
	draft, _, created, err := s.createDraft(repo, req)
	if err != nil {
		return inStep(err, "creating the draft")
	}
	verb := "Created"
	if !created {
		verb = "Reusing"
	}
	progress("%s draft %s of %s %s.", verb, sanitize(draft.VersionID), sanitize(draft.Package), sanitize(draft.Version))
	if !created {
		// The answer for an existing draft does not list its entries.
		id := draft.VersionID
		draft = packageVersion{}
		if _, err := s.client.Call(s.ctx, http.MethodGet, versionIDPath(repo, id), nil, nil, &draft); err != nil {
			return inStep(err, "reading the draft")
		}
	}
	if _, err := s.client.Call(s.ctx, http.MethodPut, versionIDPath(repo, draft.VersionID)+"/manifest", nil, manifest, nil); err != nil {
		return inStep(err, "putting the manifest")
	}
	held := map[string]string{}
	for _, e := range draft.Entries {
		held[e.Path] = e.Digest
	}
	var entries []versionEntry
	for _, lf := range files {
		info, err := s.upload(repo, lf)
		if err != nil {
			return inStep(err, "uploading %s", lf.name)
		}
		progress("Uploaded %s (%d bytes, %s).", lf.name, info.Length, info.Digest)
		switch d, ok := held[lf.entry]; {
		case ok && d == info.Digest:
			continue // added by an earlier run
		case ok:
			return fmt.Errorf("the draft already has a file at %q with digest %s, not %s; publish another version", lf.entry, d, info.Digest)
		}
		entries = append(entries, versionEntry{Path: lf.entry, Digest: info.Digest, MediaType: mediaType})
	}
	if len(entries) > 0 {
		if _, _, err := s.addEntries(repo, draft.VersionID, entries); err != nil {
			return inStep(err, "adding the entries")
		}
	}
	var v packageVersion
	raw, err := s.client.Call(s.ctx, http.MethodPost, versionIDPath(repo, draft.VersionID)+"/publish", nil, nil, &v)
	if err != nil {
		return inStep(err, "publishing %s", draft.VersionID)
	}
	s.noteQuarantine(&v)
	return s.print(raw, func(w io.Writer) error { return writeVersion(w, &v) })
}

// cleanRelative reports whether p is a relative "/"-separated path without
// empty, "." or ".." segments, as the server requires of entry paths.
func cleanRelative(p string) bool {
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}
