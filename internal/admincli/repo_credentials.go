package admincli

import (
	"io"
	"net/http"
	"strings"

	"github.com/spf13/cobra"
)

// upstreamCredentials is what the server shows of a remote repository's
// upstream credentials: never the secret.
type upstreamCredentials struct {
	Repo      string `json:"repo"`
	Scheme    string `json:"scheme"`
	Username  string `json:"username"`
	UpdatedBy string `json:"updatedBy"`
	UpdatedAt string `json:"updatedAt"`
}

func writeCredentials(w io.Writer, c *upstreamCredentials) error {
	return writeFields(w, [][2]string{
		{"Repository", c.Repo}, {"Scheme", c.Scheme}, {"Username", c.Username}, {"Updated by", c.UpdatedBy}, {"Updated", c.UpdatedAt},
	})
}

func credentialsPath(repo string) string { return Pathf("/v1/repos/%s/upstream-credentials", repo) }

func newReposCredentialsCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "credentials",
		Short: "Set what a remote repository presents to its upstream",
		Long: `A remote repository that caches a registry needing authentication presents credentials
to it: HTTP Basic (--username and a secret, such as a token used as the password) or a
Bearer token (a secret alone). They go only to the upstream's own host. The secret is read
from a file or standard input, never from the command line, and the server never shows it
again. Needs the admin role on the repository.`,
		Example: `  printf '%s' "$UPSTREAM_TOKEN" | artifortress admin repos credentials set npmjs --secret-file -
  artifortress admin repos credentials set corp-pypi --username mirror --secret-file /run/secrets/corp-pypi
  artifortress admin repos credentials get npmjs
  artifortress admin repos credentials clear npmjs`,
		Args: cobra.NoArgs,
		RunE: showHelp,
	}
	cmd.AddCommand(newCredentialsSetCommand(o), newCredentialsGetCommand(o), newCredentialsClearCommand(o))
	return cmd
}

// maxSecretFile bounds a secret read from a file.
const maxSecretFile = 4096

func newCredentialsSetCommand(o *options) *cobra.Command {
	var username, secretFile string
	cmd := &cobra.Command{
		Use:   "set REPO --secret-file FILE [--username NAME]",
		Short: "Set (or replace) a remote repository's upstream credentials",
		Long: `Set the credentials: Basic when --username is given, else Bearer. The secret comes from
--secret-file (- for standard input); a trailing newline is dropped.`,
		Example: `  printf '%s' "$UPSTREAM_TOKEN" | artifortress admin repos credentials set npmjs --secret-file -
  artifortress admin repos credentials set corp-npm --username mirror --secret-file token.txt`,
		Args: exactArgs("REPO"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if secretFile == "" {
				return usageErrorf("missing --secret-file (- for standard input)")
			}
			raw, err := readInput(cmd, secretFile, maxSecretFile)
			if err != nil {
				return err
			}
			scheme := "bearer"
			if username != "" {
				scheme = "basic"
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var c upstreamCredentials
			body := map[string]string{"scheme": scheme, "username": username, "secret": strings.TrimRight(string(raw), "\r\n")}
			out, err := s.client.Call(s.ctx, http.MethodPut, credentialsPath(args[0]), nil, body, &c)
			if err != nil {
				return err
			}
			return s.print(out, func(w io.Writer) error { return writeCredentials(w, &c) })
		},
	}
	cmd.Flags().StringVar(&username, "username", "", "user name for HTTP Basic (without it the secret is sent as a Bearer token)")
	cmd.Flags().StringVar(&secretFile, "secret-file", "", "read the secret (password or token) from this `file` (- is standard input)")
	return cmd
}

func newCredentialsGetCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:     "get REPO",
		Short:   "Show a remote repository's upstream credentials (never the secret)",
		Example: `  artifortress admin repos credentials get npmjs -o json`,
		Args:    exactArgs("REPO"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var c upstreamCredentials
			out, err := s.client.Call(s.ctx, http.MethodGet, credentialsPath(args[0]), nil, nil, &c)
			if err != nil {
				return err
			}
			return s.print(out, func(w io.Writer) error { return writeCredentials(w, &c) })
		},
	}
}

func newCredentialsClearCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:     "clear REPO",
		Short:   "Remove a remote repository's upstream credentials",
		Example: `  artifortress admin repos credentials clear npmjs`,
		Args:    exactArgs("REPO"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			if _, err := s.client.Call(s.ctx, http.MethodDelete, credentialsPath(args[0]), nil, nil, nil); err != nil {
				return err
			}
			return s.done("Cleared the upstream credentials of " + sanitize(args[0]) + ".")
		},
	}
}
