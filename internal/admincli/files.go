package admincli

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// fileHead is what files head prints: the headers of HEAD on a file of a
// published version.
type fileHead struct {
	Path         string `json:"path"`
	Digest       string `json:"digest"`
	Length       int64  `json:"length"`
	ContentType  string `json:"contentType"`
	ETag         string `json:"etag"`
	LastModified string `json:"lastModified,omitempty"`
}

// rangeSpec is the single byte range --range accepts: START-END, START- or
// -SUFFIX, with or without "bytes=".
var rangeSpec = regexp.MustCompile(`^(?:bytes=)?(?:[0-9]+-[0-9]*|-[0-9]+)$`)

// sha256ETag matches the ETag the server gives a file: its quoted digest.
var sha256ETag = regexp.MustCompile(`^"?(sha256:[0-9a-f]{64})"?$`)

func newFilesCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "files",
		Aliases: []string{"file"},
		Short:   "Download the files of a published version, or look one up",
		Long: `Download a file of a published version by its package name, version and path
inside the version, or ask for its length and digest without its bytes.`,
		Example: `  artifortress admin files get generic-local tool 1.2.0 tool.tar.gz -o tool.tar.gz
  artifortress admin files head npm-local @acme/ui 1.4.2 package.tgz`,
		Args: cobra.NoArgs,
		RunE: showHelp,
	}
	cmd.AddCommand(newFilesGetCommand(o), newFilesHeadCommand(o))
	return cmd
}

// filePath builds the escaped path of a file of a version: the name and
// version are one segment each, the file path keeps its "/" between
// segments escaped one by one.
func filePath(repo, name, version, p string) (string, error) {
	if !cleanRelative(p) {
		return "", usageErrorf("invalid PATH %q: want a relative path without empty, . or .. segments", p)
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return packagePath(repo, name) + Pathf("/versions/%s/files/", version) + strings.Join(segs, "/"), nil
}

func newFilesGetCommand(o *options) *cobra.Command {
	var dest, byteRange string
	cmd := &cobra.Command{
		Use:   "get REPO NAME VERSION PATH [-o FILE|-] [--range START-END]",
		Short: "Download a file of a published version to a file or standard output",
		Long: `Download the file at PATH of a published version, streamed as it arrives (never
held in memory), to standard output or, with -o FILE, to FILE. Here -o names the
destination, as in curl: --output's table or json does not apply; -o - is
standard output.

With -o FILE the bytes go to a temporary file next to FILE that replaces it only
once the download is whole and verified, so a failed download leaves FILE as it
was. The bytes of a whole file are checked against the SHA-256 digest the server
announces (its ETag): a mismatch exits 1 (on standard output the bytes are already
written). --range asks for one byte range (START-END, START-, -SUFFIX; END is
inclusive), written as received without verification. --timeout bounds the wait
for the download to start, not its length.`,
		Example: `  artifortress admin files get generic-local tool 1.2.0 tool.tar.gz -o tool.tar.gz
  artifortress admin files get generic-local tool 1.2.0 docs/readme.txt
  artifortress admin files get npm-local @acme/ui 1.4.2 package.tgz -o - | tar -tz
  artifortress admin files get generic-local tool 1.2.0 tool.tar.gz --range 0-1023 -o head.bin`,
		Args: exactArgs("REPO", "NAME", "VERSION", "PATH"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkSegments([]string{"REPO", "NAME", "VERSION"}, args); err != nil {
				return err
			}
			path, err := filePath(args[0], args[1], args[2], args[3])
			if err != nil {
				return err
			}
			header := http.Header{}
			if byteRange != "" {
				if !rangeSpec.MatchString(byteRange) {
					return usageErrorf("invalid --range %q: want one range START-END, START- or -SUFFIX", byteRange)
				}
				header.Set("Range", "bytes="+strings.TrimPrefix(byteRange, "bytes="))
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			if dest == "" || dest == "-" {
				_, err := s.download(path, header, s.out)
				return err
			}
			n, err := s.downloadToFile(path, header, dest)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(s.errOut, "Wrote %d bytes to %s.\n", n, dest)
			return err
		},
	}
	cmd.Flags().StringVarP(&dest, "output", "o", "", "write to this `file` instead of standard output (- is standard output)")
	cmd.Flags().StringVar(&byteRange, "range", "", "download only this byte `range`: START-END (inclusive), START- or -SUFFIX")
	return cmd
}

// download streams a file to w and returns the number of bytes written. A
// whole file (200) whose ETag is a SHA-256 digest is hashed on the way and
// checked at the end.
func (s *session) download(path string, header http.Header, w io.Writer) (int64, error) {
	resp, err := s.client.Open(s.ctx, http.MethodGet, path, nil, header)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var (
		h    hash.Hash
		want string
	)
	if m := sha256ETag.FindStringSubmatch(resp.Header.Get("ETag")); m != nil && resp.StatusCode == http.StatusOK {
		h, want = sha256.New(), m[1]
		w = io.MultiWriter(w, h)
	}
	n, err := s.client.copyBody(w, resp)
	if err != nil {
		return n, err
	}
	if h != nil {
		if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != want {
			return n, fmt.Errorf("the %d bytes received have digest %s, not the %s the server announced", n, got, want)
		}
	}
	return n, nil
}

// downloadToFile downloads into a new file beside dest (created with mode
// 0666 before the umask, like any file a shell redirect creates), synced,
// and renames it to dest once the download is whole and verified.
func (s *session) downloadToFile(path string, header http.Header, dest string) (int64, error) {
	tmp, err := createBeside(dest)
	if err != nil {
		return 0, err
	}
	n, err := s.download(path, header, tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dest)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return 0, err
	}
	return n, nil
}

// createBeside creates a new temporary file in the directory of dest.
func createBeside(dest string) (*os.File, error) {
	dir, base := filepath.Split(dest)
	for range 100 {
		var b [6]byte
		_, _ = rand.Read(b[:])
		name := filepath.Join(dir, "."+base+"."+hex.EncodeToString(b[:])+".tmp")
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("creating the download file: %w", err)
		}
		return f, nil
	}
	return nil, fmt.Errorf("creating the download file: no free temporary name beside %s", dest)
}

func newFilesHeadCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "head REPO NAME VERSION PATH",
		Short: "Show a file's length, type and digest without downloading it",
		Long: `Ask for the headers of a file of a published version without its bytes: exits 0
when the file is there and readable, 1 when it is not (http_404) or not yours to read.`,
		Example: `  artifortress admin files head generic-local tool 1.2.0 tool.tar.gz
  artifortress admin files head npm-local @acme/ui 1.4.2 package.tgz -o json`,
		Args: exactArgs("REPO", "NAME", "VERSION", "PATH"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkSegments([]string{"REPO", "NAME", "VERSION"}, args); err != nil {
				return err
			}
			path, err := filePath(args[0], args[1], args[2], args[3])
			if err != nil {
				return err
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			resp, err := s.client.Open(s.ctx, http.MethodHead, path, nil, nil)
			if err != nil {
				var ae *APIError
				if errors.As(err, &ae) && ae.Status == http.StatusNotFound && strings.HasPrefix(ae.Code, "http_") {
					// HEAD answers carry no error body.
					ae.Message = fmt.Sprintf("no file %s in %s %s of repository %s, or not readable", args[3], args[1], args[2], args[0])
				}
				return err
			}
			resp.Body.Close()
			res := fileHead{
				Path:         args[3],
				Length:       resp.ContentLength,
				ContentType:  resp.Header.Get("Content-Type"),
				ETag:         resp.Header.Get("ETag"),
				LastModified: resp.Header.Get("Last-Modified"),
			}
			if m := sha256ETag.FindStringSubmatch(res.ETag); m != nil {
				res.Digest = m[1]
			}
			if s.json() {
				return writeValue(s.out, res)
			}
			return writeFields(s.out, [][2]string{
				{"Path", res.Path},
				{"Digest", res.Digest},
				{"Length", strconv.FormatInt(res.Length, 10)},
				{"Content type", res.ContentType},
				{"ETag", res.ETag},
				{"Last modified", res.LastModified},
			})
		},
	}
}
