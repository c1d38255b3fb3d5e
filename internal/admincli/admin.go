package admincli

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

const (
	envURL     = "ARTIFORTRESS_URL"
	envToken   = "ARTIFORTRESS_TOKEN"
	defaultURL = "http://127.0.0.1:8080"
)

// options holds the persistent flags of the admin tree.
type options struct {
	conn   Connection
	output string
}

// session is what one command run needs: the client and where to print.
type session struct {
	ctx    context.Context
	client *Client
	output string
	out    io.Writer
	errOut io.Writer
}

// json reports whether --output json was asked for.
func (s *session) json() bool { return s.output == outputJSON }

// print writes a JSON answer as indented JSON or, in table mode, through
// tableFn.
func (s *session) print(raw []byte, tableFn func(w io.Writer) error) error {
	if s.json() {
		return writeJSON(s.out, raw)
	}
	return tableFn(s.out)
}

// done reports an answer without body (204): "{}" in JSON mode, msg in
// table mode.
func (s *session) done(msg string) error {
	if s.json() {
		return writeJSON(s.out, nil)
	}
	_, err := fmt.Fprintln(s.out, msg)
	return err
}

// session validates the persistent flags and builds the client. A token is
// required unless anonymous is set.
func (o *options) session(cmd *cobra.Command, anonymous bool) (*session, error) {
	switch o.output {
	case outputTable, outputJSON:
	default:
		return nil, usageErrorf("invalid --output %q: want json or table", o.output)
	}
	c, err := o.conn.Client(anonymous)
	if err != nil {
		return nil, err
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	return &session{
		ctx:    ctx,
		client: c,
		output: o.output,
		out:    cmd.OutOrStdout(),
		errOut: cmd.ErrOrStderr(),
	}, nil
}

func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, usageErrorf("invalid server URL %q: %v", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, usageErrorf("invalid server URL %q: scheme must be http or https", raw)
	}
	if u.Host == "" {
		return nil, usageErrorf("invalid server URL %q: no host", raw)
	}
	if u.User != nil {
		return nil, usageErrorf("invalid server URL: it must not carry credentials; use %s", envToken)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, usageErrorf("invalid server URL %q: it must not carry a query or fragment", raw)
	}
	return u, nil
}

// NewCommand returns the "admin" command tree. Add it to the root command;
// map the error of Execute to an exit status with ExitCode. The commands
// print their own errors (see the package documentation).
func NewCommand() *cobra.Command {
	return newCommand(os.Getenv)
}

func newCommand(getenv func(string) string) *cobra.Command {
	o := &options{conn: Connection{Getenv: getenv}}
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Administer an Artifortress server through its /v1 API",
		Long: `Administer an Artifortress server through its /v1 HTTP API: tokens, repositories,
role bindings, the audit log, blobs and uploads, and packages: their versions
(draft, files, manifest, publish, promote), their files and their tags; publishing
policies and the quarantine lane; search and its index, the delivery of events to
their handlers, and webhooks.

The server address comes from --url, else $ARTIFORTRESS_URL, else http://127.0.0.1:8080.
The token comes from --token, else $ARTIFORTRESS_TOKEN. Prefer the environment variable:
a --token value is visible to other users in ps and lands in the shell history.

Exit status: 0 on success, 1 when the server answered an error or could not be
reached, 2 when the command line is wrong (unknown flag, missing argument, invalid
value, no token).`,
		Example: `  export ARTIFORTRESS_URL=https://artifacts.example.com
  export ARTIFORTRESS_TOKEN=afp_...
  artifortress admin whoami
  artifortress admin repos list -o json
  artifortress admin packages list generic-local`,
		Args: cobra.NoArgs,
		RunE: showHelp,
	}
	pf := cmd.PersistentFlags()
	o.conn.AddFlags(pf)
	pf.StringVarP(&o.output, "output", "o", outputTable, "output `format`: table or json")
	_ = cmd.RegisterFlagCompletionFunc("output", fixedCompletion(outputTable, outputJSON))

	cmd.AddCommand(
		newWhoamiCommand(o),
		newHealthCommand(o),
		newPatsCommand(o),
		newReposCommand(o),
		newBindingsCommand(o),
		newAuditCommand(o),
		newUploadsCommand(o),
		newBlobsCommand(o),
		newPackagesCommand(o),
		newVersionsCommand(o),
		newFilesCommand(o),
		newTagsCommand(o),
		newSearchCommand(o),
		newEventsCommand(o),
		newWebhooksCommand(o),
		newPoliciesCommand(o),
		newQuarantineCommand(o),
		newOCICommand(o),
	)
	ReportErrors(cmd)
	return cmd
}

// ReportErrors prepares a command tree built outside this package (such as
// "artifortress push") to handle errors the way the admin tree does: cmd and
// every subcommand print their own errors to standard error, once (API
// errors as "error: <code>: <message>", usage errors followed by a pointer to
// --help), cobra's own error printing and usage dump are silenced, and
// argument and flag errors become *UsageError, so ExitCode maps the error
// Execute returns to the exit status. Call it after adding the
// subcommands; it changes the Args and RunE of every command of the tree.
func ReportErrors(cmd *cobra.Command) {
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return report(c, &UsageError{Err: err})
	})
	finish(cmd)
}

// finish makes every command of the tree silence cobra's error printing and
// usage dump, turn argument errors into *UsageError, and print its errors
// itself (once) through report.
func finish(c *cobra.Command) {
	c.SilenceErrors = true
	c.SilenceUsage = true
	if args := c.Args; args != nil {
		c.Args = func(cmd *cobra.Command, a []string) error {
			if err := args(cmd, a); err != nil {
				return report(cmd, &UsageError{Err: err})
			}
			return nil
		}
	}
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, a []string) error {
			if err := run(cmd, a); err != nil {
				return report(cmd, err)
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		finish(sub)
	}
}

// showHelp is the RunE of the command groups: with no argument they print
// their help; an unknown subcommand is rejected by their cobra.NoArgs.
func showHelp(cmd *cobra.Command, _ []string) error {
	return cmd.Help()
}

// exactArgs requires one positional argument per name, and names the
// missing ones in its error.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < len(names):
			return fmt.Errorf("missing argument %s", strings.Join(names[len(args):], " "))
		case len(args) > len(names):
			return fmt.Errorf("unexpected argument %q", args[len(names)])
		}
		for i, a := range args {
			if a == "" {
				return fmt.Errorf("argument %s must not be empty", names[i])
			}
		}
		return nil
	}
}

func fixedCompletion(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

func oneOf(flag, value string, allowed ...string) error {
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return usageErrorf("invalid %s %q: want one of %s", flag, value, strings.Join(allowed, ", "))
}
