package transfercli

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/artifortress/artifortress/internal/admincli"
)

// partSuffix names the partial file of a pull: "<file>.part".
const partSuffix = ".part"

// pullOptions are the flags of pull.
type pullOptions struct {
	conn   admincli.Connection
	output string
	quiet  bool
}

// NewPullCommand returns "pull REPO DIGEST", which downloads a blob with
// resume and verifies its digest (see the package documentation). Add it to
// the root command and map the error of Execute with admincli.ExitCode; the
// command prints its own errors.
func NewPullCommand() *cobra.Command {
	return newPullCommand(os.Getenv)
}

func newPullCommand(getenv func(string) string) *cobra.Command {
	o := &pullOptions{conn: admincli.Connection{Getenv: getenv, UserAgent: userAgent}}
	cmd := &cobra.Command{
		Use:   "pull REPO DIGEST [-o FILE]",
		Short: "Download a blob, resuming a partial download, and verify its digest",
		Long: `Download the blob DIGEST (sha256:<hex>, or the bare hex) of repository REPO into
FILE (default: the digest's hex in the current directory).

The bytes go to FILE.part first. If FILE.part exists, from an interrupted pull, the
download resumes after its last byte with an HTTP range request; a network error
or a 5xx answer mid-way is retried up to 3 times the same way. The whole file is
hashed as it is written (a partial file's bytes first, in one pass), and FILE.part
becomes FILE only when its SHA-256 matches DIGEST; on a mismatch FILE.part is
removed and the command exits 1. With -o - the blob goes to standard output, still
verified at the end, without a partial file to resume.

The server and token come from --url/--token, else $ARTIFORTRESS_URL and
$ARTIFORTRESS_TOKEN, as for "artifortress admin". --timeout bounds the wait for
the answer, not the download. Progress goes to standard error: a progress bar on
a terminal, a line at most every 2 seconds otherwise, none with --quiet.

Exit status: 0 when the blob was downloaded and verified, 1 when the server
refused or could not be reached or the bytes did not verify, 2 when the command
line is wrong.`,
		Example: `  artifortress pull files sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824 -o hello.txt
  artifortress pull files 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824
  artifortress pull files sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824 -o - | tar xz
  artifortress pull files sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824 -o hello.txt   # again after an interruption: resumes`,
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case len(args) == 0:
				return fmt.Errorf("missing arguments REPO DIGEST")
			case len(args) == 1:
				return fmt.Errorf("missing argument DIGEST")
			case len(args) > 2:
				return fmt.Errorf("unexpected argument %q", args[2])
			case args[0] == "":
				return fmt.Errorf("argument REPO must not be empty")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPull(cmd, o, args[0], args[1])
		},
	}
	f := cmd.Flags()
	o.conn.AddFlags(f)
	f.StringVarP(&o.output, "output", "o", "", "write to `FILE` (- for standard output; default: the digest's hex)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "show no progress")
	admincli.ReportErrors(cmd)
	return cmd
}

var hexDigest = regexp.MustCompile(`^[0-9a-f]{64}$`)

// parseDigest accepts "sha256:<hex>" or the bare hex, in either case, and
// returns "sha256:<lowercase hex>".
func parseDigest(s string) (string, error) {
	h := strings.ToLower(strings.TrimSpace(s))
	if alg, rest, ok := strings.Cut(h, ":"); ok {
		if alg != "sha256" {
			return "", usageErrorf("invalid DIGEST %q: only sha256 digests are supported", s)
		}
		h = rest
	}
	if !hexDigest.MatchString(h) {
		return "", usageErrorf("invalid DIGEST %q: want sha256:<64 hex digits>", s)
	}
	return "sha256:" + h, nil
}

func runPull(cmd *cobra.Command, o *pullOptions, repo, rawDigest string) error {
	digest, err := parseDigest(rawDigest)
	if err != nil {
		return err
	}
	out := o.output
	if out == "" {
		out = strings.TrimPrefix(digest, "sha256:")
	}
	client, err := o.conn.Client(false)
	if err != nil {
		return err
	}
	ctx, stop := signalContext(cmd)
	defer stop()
	d := &downloader{
		client:   client,
		repo:     repo,
		digest:   digest,
		progress: newProgressOutput(cmd.ErrOrStderr(), o.quiet),
		label:    out,
	}
	if out == "-" {
		d.label = shortDigest(digest)
		_, err := d.toWriter(ctx, cmd.OutOrStdout())
		if err != nil && ctx.Err() != nil {
			return errors.New("interrupted")
		}
		return err
	}
	if fi, err := os.Stat(out); err == nil && fi.IsDir() {
		return usageErrorf("%s is a directory: give -o a file name", out)
	}
	n, resumed, err := d.toFile(ctx, out)
	if err != nil {
		if ctx.Err() != nil {
			if _, serr := os.Stat(out + partSuffix); serr == nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "%s: interrupted; run the same command again to resume\n", sanitize(out))
			}
			return errors.New("interrupted")
		}
		return err
	}
	how := ""
	if resumed {
		how = ", resumed"
	}
	_, err = fmt.Fprintf(cmd.OutOrStdout(), "Pulled %s (%d bytes%s) to %s.\n", digest, n, how, sanitize(out))
	return err
}

func shortDigest(d string) string {
	h := strings.TrimPrefix(d, "sha256:")
	return "sha256:" + h[:12]
}
