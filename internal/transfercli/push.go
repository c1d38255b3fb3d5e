package transfercli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/artifortress/artifortress/internal/admincli"
)

// userAgent is the product name of the transfer commands' User-Agent.
const userAgent = "artifortress-transfer"

// Output formats of push --output.
const (
	outputTable = "table"
	outputJSON  = "json"
)

// pushOptions are the flags of push.
type pushOptions struct {
	conn      admincli.Connection
	output    string
	partSize  sizeValue
	parallel  int
	direct    bool
	multipart bool
	quiet     bool
}

// NewPushCommand returns "push REPO FILE...", which uploads files as blobs
// of a local repository with resume (see the package documentation). Add it
// to the root command and map the error of Execute with admincli.ExitCode;
// the command prints its own errors.
func NewPushCommand() *cobra.Command {
	return newPushCommand(os.Getenv)
}

func newPushCommand(getenv func(string) string) *cobra.Command {
	o := &pushOptions{conn: admincli.Connection{Getenv: getenv, UserAgent: userAgent}}
	cmd := &cobra.Command{
		Use:   "push REPO FILE...",
		Short: "Upload files as blobs of a repository, in parallel parts, with resume",
		Long: `Upload each FILE as a blob of the local repository REPO and print its digest and
length.

Each file is read once to compute its SHA-256 and length, which the upload session
declares, so the server verifies what it receives. A blob you can already read
anywhere is linked without sending its bytes. A file smaller than one part (the
server's part size, or --part-size) is sent in one request, unless --multipart;
a larger one is sent in parts, --parallel at a time, streamed from the file,
through the API or, with --direct, straight to pre-signed URLs (the object store
itself when the server uses S3). A part that fails on a network error or a 5xx
answer is retried up to 3 times.

An interrupted multipart push resumes: the session is recorded in FILE.afupload
(mode 0600) until it is committed; run the same command again and only the parts
the server lacks are sent. If the session expired or was aborted, or the file
changed, the push starts over.

The server and token come from --url/--token, else $ARTIFORTRESS_URL and
$ARTIFORTRESS_TOKEN, as for "artifortress admin". --timeout bounds the wait for
each answer, not the transfer of a part. Progress goes to standard error: a
progress bar on a terminal, a line at most every 2 seconds otherwise, none with
--quiet.

Exit status: 0 when every file was pushed, 1 when the server refused or could not
be reached or the bytes did not verify, 2 when the command line is wrong.`,
		Example: `  export ARTIFORTRESS_URL=https://artifacts.example.com ARTIFORTRESS_TOKEN=afp_...
  artifortress push files ./release.tar.gz
  artifortress push files dist/*.whl -o json
  artifortress push files ./disk.img --parallel 8 --part-size 128MiB --direct
  artifortress push files ./disk.img   # again after an interruption: resumes`,
		Args: func(cmd *cobra.Command, args []string) error {
			switch len(args) {
			case 0:
				return fmt.Errorf("missing arguments REPO FILE (one or more files)")
			case 1:
				return fmt.Errorf("missing argument FILE (one or more files)")
			}
			for _, a := range args {
				if a == "" {
					return fmt.Errorf("arguments must not be empty")
				}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPush(cmd, o, args[0], args[1:])
		},
	}
	f := cmd.Flags()
	o.conn.AddFlags(f)
	f.StringVarP(&o.output, "output", "o", outputTable, "output `format`: table or json")
	f.Var(&o.partSize, "part-size", "part `size` in bytes, or with K, KiB, M, MiB, G, GiB (default: the server's)")
	f.IntVar(&o.parallel, "parallel", 4, "`number` of parts sent at the same time")
	f.BoolVar(&o.direct, "direct", false, "send parts to pre-signed URLs instead of through the API")
	f.BoolVar(&o.multipart, "multipart", false, "send even a file smaller than one part as a multipart upload")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "show no progress")
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{outputTable, outputJSON}, cobra.ShellCompDirectiveNoFileComp
	})
	admincli.ReportErrors(cmd)
	return cmd
}

func runPush(cmd *cobra.Command, o *pushOptions, repo string, files []string) error {
	if o.output != outputTable && o.output != outputJSON {
		return usageErrorf("invalid --output %q: want json or table", o.output)
	}
	if o.parallel < 1 {
		return usageErrorf("invalid --parallel %d: want at least 1", o.parallel)
	}
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			return &admincli.UsageError{Err: err}
		}
		if !fi.Mode().IsRegular() {
			return usageErrorf("%s is not a regular file", f)
		}
	}
	client, err := o.conn.Client(false)
	if err != nil {
		return err
	}
	ctx, stop := signalContext(cmd)
	defer stop()
	p := &pusher{
		client:   client,
		repo:     repo,
		opt:      o,
		errOut:   cmd.ErrOrStderr(),
		progress: newProgressOutput(cmd.ErrOrStderr(), o.quiet),
	}
	var results []pushResult
	var failed error
	for _, f := range files {
		res, err := p.push(ctx, f)
		if err != nil {
			failed = err
			break
		}
		results = append(results, res)
	}
	if failed != nil && ctx.Err() != nil {
		failed = errors.New("interrupted")
	}
	if err := writeResults(cmd.OutOrStdout(), o.output, results); err != nil && failed == nil {
		failed = err
	}
	return failed
}

// pushResult is what push reports of one file.
type pushResult struct {
	File   string `json:"file"`
	Digest string `json:"digest"`
	Length int64  `json:"length"`
	// Method is how the bytes reached the server: "linked" (already stored,
	// nothing sent), "one-shot" (one request) or "multipart".
	Method    string `json:"method"`
	UploadID  string `json:"uploadId,omitempty"`
	Parts     int    `json:"parts,omitempty"`     // parts of a multipart upload
	PartsSent int    `json:"partsSent,omitempty"` // of which this run sent
	Resumed   bool   `json:"resumed,omitempty"`   // continued an interrupted push
}

func writeResults(w io.Writer, output string, results []pushResult) error {
	if output == outputJSON {
		if results == nil {
			results = []pushResult{}
		}
		b, err := json.MarshalIndent(results, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
	if len(results) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tDIGEST\tLENGTH\tMETHOD")
	for _, r := range results {
		method := r.Method
		if r.Resumed {
			method += " (resumed)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", sanitize(r.File), r.Digest, strconv.FormatInt(r.Length, 10), method)
	}
	return tw.Flush()
}

// signalContext is the command's context, cancelled on SIGINT or SIGTERM
// so a transfer stops cleanly (its state kept for a resume).
func signalContext(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}

func usageErrorf(format string, a ...any) error {
	return &admincli.UsageError{Err: fmt.Errorf(format, a...)}
}

// ctxReader stops a long local read when the command is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(b)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// sanitize replaces control characters (from file names or server text) by
// spaces before they reach the terminal.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}
