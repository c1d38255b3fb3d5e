package admincli

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"
)

// UploadSession is the API's upload session resource, the answer of every
// /v1/repos/{repo}/uploads endpoint but the part ones. Linkable reports
// that the expected digest is already stored and readable by the caller:
// complete and commit then link it without bytes.
type UploadSession struct {
	UploadID       string       `json:"uploadId"`
	Repo           string       `json:"repo"`
	State          string       `json:"state"`
	ExpectedDigest string       `json:"expectedDigest,omitempty"`
	ExpectedLength *int64       `json:"expectedLength,omitempty"`
	Digest         string       `json:"digest,omitempty"`
	Length         *int64       `json:"length,omitempty"`
	Linked         bool         `json:"linked,omitempty"`
	Linkable       bool         `json:"linkable"`
	Error          string       `json:"error,omitempty"`
	PartSize       int64        `json:"partSize"`
	MaxPartSize    int64        `json:"maxPartSize"`
	MaxParts       int          `json:"maxParts"`
	Parts          []UploadPart `json:"parts"`
	CreatedAt      time.Time    `json:"createdAt"`
	ExpiresAt      time.Time    `json:"expiresAt"`
}

// UploadPart is a part an upload session received: the answer of a part
// upload, and an item of UploadSession.Parts.
type UploadPart struct {
	Number int    `json:"number"`
	Size   int64  `json:"size"`
	ETag   string `json:"etag"`
}

// UploadRequest is the body of POST /v1/repos/{repo}/uploads; both fields
// are optional and left out when unset.
type UploadRequest struct {
	ExpectedDigest string `json:"expectedDigest,omitempty"`
	ExpectedLength *int64 `json:"expectedLength,omitempty"`
}

// PartURL is the answer of POST .../uploads/{id}/parts/{n}/url: where to
// send part Part directly, with Method and no Authorization header, until
// ExpiresAt.
type PartURL struct {
	URL       string    `json:"url"`
	Method    string    `json:"method"`
	ExpiresAt time.Time `json:"expiresAt"`
	Part      int       `json:"part"`
}

// Upload session states the transfer commands act on.
const (
	UploadOpen      = "open"
	UploadCompleted = "completed"
	UploadCommitted = "committed"
)

func newUploadsCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "uploads",
		Aliases: []string{"upload"},
		Short:   "Drive resumable multipart upload sessions step by step",
		Long: `Drive the resumable multipart upload sessions of a local repository one endpoint
at a time: open a session, send parts (through the API or to a pre-signed URL),
complete (assemble the parts 1..N), commit (verify and publish the blob), abort.

"artifortress push" does all of this for whole files, in parallel and with resume;
these commands are for scripts and for looking into a session.`,
		Example: `  artifortress admin uploads create files --digest sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824 --length 5
  artifortress admin uploads put-part files up_0123456789abcdef01234567 1 part-1.bin
  artifortress admin uploads get files up_0123456789abcdef01234567
  artifortress admin uploads complete files up_0123456789abcdef01234567
  artifortress admin uploads commit files up_0123456789abcdef01234567`,
		Args: cobra.NoArgs,
		RunE: showHelp,
	}
	cmd.AddCommand(
		newUploadsCreateCommand(o),
		newUploadsGetCommand(o),
		newUploadsPutPartCommand(o),
		newUploadsPartURLCommand(o),
		newUploadsStepCommand(o, "complete", "Assemble the received parts 1..N into one object and compute its digest",
			`Assemble the parts 1..N of an open session, in order, into one object, computing
its SHA-256 digest and length (state completed). Parts missing from 1..N are
refused with upload_parts_missing, listing them. A session opened with an
expected digest that you can already read elsewhere completes without parts.
Assembling a large upload can take longer than --timeout: pass --timeout 0.`),
		newUploadsStepCommand(o, "commit", "Verify a completed session and publish its blob in the repository",
			`Check a completed session against its expected digest and length and make the
blob readable in the repository (state committed). A mismatch answers
upload_verification_failed with the expected and actual values and aborts the
session.`),
		newUploadsStepCommand(o, "abort", "Abandon a session and discard its parts",
			`Abandon an open or completed session and discard its bytes (state aborted).`),
	)
	return cmd
}

func newUploadsCreateCommand(o *options) *cobra.Command {
	var (
		req    UploadRequest
		length int64
	)
	cmd := &cobra.Command{
		Use:   "create REPO [--digest sha256:HEX] [--length N]",
		Short: "Open an upload session in a local repository",
		Long: `Open an upload session in a local repository (role write). With --digest and
--length, commit verifies the assembled bytes against them; when the digest is
already stored where you can read it, the session is linkable and completes
without any part.`,
		Example: `  artifortress admin uploads create files
  artifortress admin uploads create files --digest sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824 --length 5 -o json`,
		Args: exactArgs("REPO"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Flags().Changed("length") {
				if length < 0 {
					return usageErrorf("invalid --length %d: must not be negative", length)
				}
				req.ExpectedLength = &length
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var in any // no body when neither flag is given
			if req.ExpectedDigest != "" || req.ExpectedLength != nil {
				in = req
			}
			return s.printSession(http.MethodPost, Pathf("/v1/repos/%s/uploads", args[0]), in)
		},
	}
	cmd.Flags().StringVar(&req.ExpectedDigest, "digest", "", "expected `digest` of the whole blob, sha256:<hex>")
	cmd.Flags().Int64Var(&length, "length", 0, "expected length of the whole blob in `bytes`")
	return cmd
}

func newUploadsGetCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "get REPO UPLOAD-ID",
		Short: "Show an upload session and the parts it received",
		Example: `  artifortress admin uploads get files up_0123456789abcdef01234567
  artifortress admin uploads get files up_0123456789abcdef01234567 -o json`,
		Args: exactArgs("REPO", "UPLOAD-ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			return s.printSession(http.MethodGet, Pathf("/v1/repos/%s/uploads/%s", args[0], args[1]), nil)
		},
	}
}

// newUploadsStepCommand builds complete, commit and abort: a POST without a
// body that answers the session.
func newUploadsStepCommand(o *options, step, short, long string) *cobra.Command {
	return &cobra.Command{
		Use:   step + " REPO UPLOAD-ID",
		Short: short,
		Long:  long,
		Example: fmt.Sprintf(`  artifortress admin uploads %[1]s files up_0123456789abcdef01234567
  artifortress admin uploads %[1]s files up_0123456789abcdef01234567 -o json`, step),
		Args: exactArgs("REPO", "UPLOAD-ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			return s.printSession(http.MethodPost, Pathf("/v1/repos/%s/uploads/%s/"+step, args[0], args[1]), nil)
		},
	}
}

func newUploadsPutPartCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "put-part REPO UPLOAD-ID PART FILE",
		Short: "Send a file as one part of an upload session",
		Long: `Send the whole of FILE as part PART (1-based) of an open session, through the
API. Sending a part again replaces it. The file is streamed, not read into
memory; --timeout bounds the wait for the answer once it is sent.`,
		Example: `  artifortress admin uploads put-part files up_0123456789abcdef01234567 1 part-1.bin
  artifortress admin uploads put-part files up_0123456789abcdef01234567 2 part-2.bin -o json`,
		Args: exactArgs("REPO", "UPLOAD-ID", "PART", "FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := partArg(args[2])
			if err != nil {
				return err
			}
			f, size, err := openRegular(args[3])
			if err != nil {
				return err
			}
			defer f.Close()
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var res UploadPart
			raw, err := s.client.Send(s.ctx, http.MethodPut, Pathf("/v1/repos/%s/uploads/%s/parts/", args[0], args[1])+strconv.Itoa(n), nil, f, size, &res)
			if err != nil {
				return err
			}
			return s.print(raw, func(w io.Writer) error {
				t := newTable(w, "PART", "SIZE", "ETAG")
				t.row(strconv.Itoa(res.Number), strconv.FormatInt(res.Size, 10), res.ETag)
				return t.flush()
			})
		},
	}
}

func newUploadsPartURLCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "part-url REPO UPLOAD-ID PART",
		Short: "Get a pre-signed URL to send one part to directly",
		Long: `Get a pre-signed URL for part PART of an open session: send the part's bytes to it
with the method shown, without an Authorization header (the URL carries its own
authorization, so treat it as a secret until it expires). With an S3 blob store
the URL points at the object store itself.`,
		Example: `  artifortress admin uploads part-url files up_0123456789abcdef01234567 1
  artifortress admin uploads part-url files up_0123456789abcdef01234567 1 -o json | jq -r .url`,
		Args: exactArgs("REPO", "UPLOAD-ID", "PART"),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := partArg(args[2])
			if err != nil {
				return err
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var res PartURL
			raw, err := s.client.Call(s.ctx, http.MethodPost, Pathf("/v1/repos/%s/uploads/%s/parts/", args[0], args[1])+strconv.Itoa(n)+"/url", nil, nil, &res)
			if err != nil {
				return err
			}
			return s.print(raw, func(w io.Writer) error {
				return writeFields(w, [][2]string{
					{"Part", strconv.Itoa(res.Part)},
					{"Method", res.Method},
					{"URL", res.URL},
					{"Expires", formatTime(res.ExpiresAt)},
				})
			})
		},
	}
}

// printSession performs a request answering an upload session and prints it.
func (s *session) printSession(method, path string, in any) error {
	var res UploadSession
	raw, err := s.client.Call(s.ctx, method, path, nil, in, &res)
	if err != nil {
		return err
	}
	return s.print(raw, func(w io.Writer) error { return writeSession(w, &res) })
}

func writeSession(w io.Writer, u *UploadSession) error {
	fields := [][2]string{
		{"Upload ID", u.UploadID},
		{"Repository", u.Repo},
		{"State", u.State},
		{"Expected digest", u.ExpectedDigest},
		{"Expected length", formatOptional(u.ExpectedLength)},
		{"Digest", u.Digest},
		{"Length", formatOptional(u.Length)},
		{"Linked", strconv.FormatBool(u.Linked)},
		{"Linkable", strconv.FormatBool(u.Linkable)},
		{"Error", u.Error},
		{"Part size", strconv.FormatInt(u.PartSize, 10)},
		{"Max part size", strconv.FormatInt(u.MaxPartSize, 10)},
		{"Max parts", strconv.Itoa(u.MaxParts)},
		{"Created", formatTime(u.CreatedAt)},
		{"Expires", formatTime(u.ExpiresAt)},
	}
	if err := writeFields(w, fields); err != nil {
		return err
	}
	if len(u.Parts) == 0 {
		return nil
	}
	if _, err := fmt.Fprintln(w); err != nil {
		return err
	}
	t := newTable(w, "PART", "SIZE", "ETAG")
	for _, p := range u.Parts {
		t.row(strconv.Itoa(p.Number), strconv.FormatInt(p.Size, 10), p.ETag)
	}
	return t.flush()
}

func formatOptional(n *int64) string {
	if n == nil {
		return ""
	}
	return strconv.FormatInt(*n, 10)
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

func partArg(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, usageErrorf("invalid PART %q: want a whole number from 1", s)
	}
	return n, nil
}

// openRegular opens a regular file to send and returns its size. A file
// that cannot be opened is a usage error: nothing was sent.
func openRegular(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, &UsageError{Err: err}
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, 0, usageErrorf("%s is not a regular file", path)
	}
	return f, fi.Size(), nil
}
