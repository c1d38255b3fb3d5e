package admincli

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"
)

// Repository types and formats of docs/api.md. Types are checked before a
// request is sent; formats are only offered for completion and left to the
// server to validate, so a newer server's formats stay usable.
var (
	repoTypes   = []string{"local", "remote", "virtual"}
	repoFormats = []string{"generic", "oci", "npm", "pypi", "maven", "go", "cargo", "nuget", "helm", "rubygems", "debian", "rpm"}
)

// repository is the API's repository resource.
type repository struct {
	Key         string       `json:"key"`
	Type        string       `json:"type"`
	Format      string       `json:"format"`
	Description string       `json:"description"`
	UpstreamURL string       `json:"upstreamUrl"`
	Members     []string     `json:"members"`
	Settings    repoSettings `json:"settings"`
	CreatedAt   string       `json:"createdAt"`
	UpdatedAt   string       `json:"updatedAt"`
}

// repoCreateRequest is the body of POST /v1/repos. Optional fields are left
// out when their flag is not given ("others must not set it").
type repoCreateRequest struct {
	Key         string         `json:"key"`
	Type        string         `json:"type"`
	Format      string         `json:"format"`
	Description string         `json:"description,omitempty"`
	UpstreamURL string         `json:"upstreamUrl,omitempty"`
	Members     []string       `json:"members,omitempty"`
	Settings    map[string]any `json:"settings,omitempty"`
}

func newReposCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "repos",
		Aliases: []string{"repo", "repositories"},
		Short:   "Create, list, inspect, change and delete repositories",
		Example: `  artifortress admin repos create npm-local --type local --format npm
  artifortress admin repos list --format npm
  artifortress admin repos get npm-local -o json`,
		Args: cobra.NoArgs,
		RunE: showHelp,
	}
	cmd.AddCommand(
		newReposCreateCommand(o),
		newReposListCommand(o),
		newReposGetCommand(o),
		newReposUpdateCommand(o),
		newReposDeleteCommand(o),
		newReposCredentialsCommand(o),
	)
	return cmd
}

func newReposCreateCommand(o *options) *cobra.Command {
	var (
		req      repoCreateRequest
		settings *repoSettingFlags
	)
	cmd := &cobra.Command{
		Use:   "create KEY --type local|remote|virtual --format FORMAT [flags]",
		Short: "Create a repository (global administrators)",
		Long: `Create a repository.

KEY: [a-z0-9][a-z0-9._-]{0,63}. A remote repository needs --upstream-url (absolute
http or https URL); a virtual repository needs its members, existing repositories of
the same format, listed in order (repeat --member; the order is kept). Other types take neither.

Settings whose flags are not given keep their defaults: off, and the server's
limits. Setting flags:
` + settingFlagNames + `.

Formats: ` + strings.Join(repoFormats, ", ") + `.`,
		Example: `  artifortress admin repos create npm-local --type local --format npm --description "internal packages"
  artifortress admin repos create npmjs --type remote --format npm --upstream-url https://registry.npmjs.org
  artifortress admin repos create npm --type virtual --format npm --member npm-local --member npmjs --anonymous-read
  artifortress admin repos create files --type local --format generic --max-blob-bytes 10737418240 --max-upload-sessions 128 --redirect-downloads`,
		Args: exactArgs("KEY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Key = args[0]
			if req.Type == "" {
				return usageErrorf("--type is required (one of %s)", strings.Join(repoTypes, ", "))
			}
			if err := oneOf("--type", req.Type, repoTypes...); err != nil {
				return err
			}
			if req.Format == "" {
				return usageErrorf("--format is required (one of %s)", strings.Join(repoFormats, ", "))
			}
			req.Settings = settings.changed()
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var res repository
			raw, err := s.client.Call(s.ctx, http.MethodPost, "/v1/repos", nil, req, &res)
			if err != nil {
				return err
			}
			return s.print(raw, func(w io.Writer) error { return writeRepository(w, &res) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Type, "type", "", "repository `type`: local, remote or virtual (required)")
	f.StringVar(&req.Format, "format", "", "package `format`, e.g. npm, maven, oci (required)")
	f.StringVar(&req.Description, "description", "", "free-text `description`")
	f.StringVar(&req.UpstreamURL, "upstream-url", "", "upstream `URL` of a remote repository")
	f.StringArrayVar(&req.Members, "member", nil, "`key` of a member of a virtual repository, repeatable; the order is kept")
	settings = newRepoSettingFlags(f)
	registerRepoCompletions(cmd)
	return cmd
}

func newReposListCommand(o *options) *cobra.Command {
	var format, typ string
	cmd := &cobra.Command{
		Use:   "list [--format FORMAT] [--type TYPE]",
		Short: "List the repositories you can read",
		Example: `  artifortress admin repos list
  artifortress admin repos list --format npm --type virtual -o json`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			if format != "" {
				q.Set("format", format)
			}
			if typ != "" {
				if err := oneOf("--type", typ, repoTypes...); err != nil {
					return err
				}
				q.Set("type", typ)
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var res struct {
				Items []repository `json:"items"`
			}
			raw, err := s.client.Call(s.ctx, http.MethodGet, "/v1/repos", q, nil, &res)
			if err != nil {
				return err
			}
			return s.print(raw, func(w io.Writer) error {
				t := newTable(w, "KEY", "TYPE", "FORMAT", "DESCRIPTION")
				for _, r := range res.Items {
					t.row(r.Key, r.Type, r.Format, r.Description)
				}
				return t.flush()
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "only repositories of this `format`")
	cmd.Flags().StringVar(&typ, "type", "", "only repositories of this `type`: local, remote or virtual")
	registerRepoCompletions(cmd)
	return cmd
}

func newReposGetCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "get KEY",
		Short: "Show a repository",
		Example: `  artifortress admin repos get npm-local
  artifortress admin repos get npm-local -o json`,
		Args: exactArgs("KEY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var res repository
			raw, err := s.client.Call(s.ctx, http.MethodGet, Pathf("/v1/repos/%s", args[0]), nil, nil, &res)
			if err != nil {
				return err
			}
			return s.print(raw, func(w io.Writer) error { return writeRepository(w, &res) })
		},
	}
}

func newReposUpdateCommand(o *options) *cobra.Command {
	var (
		description, upstreamURL string
		members                  []string
		settings                 *repoSettingFlags
	)
	cmd := &cobra.Command{
		Use:   "update KEY [--description D] [--upstream-url U] [--member M...] [setting flags]",
		Short: "Change a repository's description, upstream, members or settings",
		Long: `Change a repository. Only the fields whose flags are given are sent; the others
keep their values (type, format and key are fixed). --member replaces the whole
member list of a virtual repository, in the order given. --description "" clears
the description. Each setting flag changes that setting alone; 0 for a limit
restores the server's default. Setting flags:
` + settingFlagNames + `.`,
		Example: `  artifortress admin repos update npm-local --description "internal npm packages"
  artifortress admin repos update npm --member npm-local --member npmjs
  artifortress admin repos update npm --anonymous-read=false
  artifortress admin repos update files --max-blob-bytes 0 --max-upload-sessions 16 --redirect-downloads=false`,
		Args: exactArgs("KEY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := cmd.Flags()
			body := map[string]any{}
			if f.Changed("description") {
				body["description"] = description
			}
			if f.Changed("upstream-url") {
				body["upstreamUrl"] = upstreamURL
			}
			if f.Changed("member") {
				body["members"] = members
			}
			if changed := settings.changed(); changed != nil {
				body["settings"] = changed
			}
			if len(body) == 0 {
				return usageErrorf("nothing to update: give at least one of --description, --upstream-url, --member, %s", settingFlagNames)
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var res repository
			raw, err := s.client.Call(s.ctx, http.MethodPatch, Pathf("/v1/repos/%s", args[0]), nil, body, &res)
			if err != nil {
				return err
			}
			return s.print(raw, func(w io.Writer) error { return writeRepository(w, &res) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&description, "description", "", "new `description` (\"\" clears it)")
	f.StringVar(&upstreamURL, "upstream-url", "", "new upstream `URL` of a remote repository")
	f.StringArrayVar(&members, "member", nil, "`key` of a member of a virtual repository, repeatable; the order is kept; replaces the whole list")
	settings = newRepoSettingFlags(f)
	return cmd
}

func newReposDeleteCommand(o *options) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "delete KEY [--force]",
		Short: "Delete a repository",
		Long: `Delete a repository. The server refuses (409 conflict) while the repository holds
packages or is a member of a virtual repository, unless a global administrator
passes --force.`,
		Example: `  artifortress admin repos delete npm-old
  artifortress admin repos delete npm-old --force`,
		Args: exactArgs("KEY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			q := url.Values{}
			if force {
				q.Set("force", "true")
			}
			if _, err := s.client.Call(s.ctx, http.MethodDelete, Pathf("/v1/repos/%s", args[0]), q, nil, nil); err != nil {
				return err
			}
			return s.done(fmt.Sprintf("Deleted repository %s.", sanitize(args[0])))
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "delete even if it holds packages or is a member of a virtual repository (global administrators)")
	return cmd
}

func writeRepository(w io.Writer, r *repository) error {
	fields := [][2]string{
		{"Key", r.Key},
		{"Type", r.Type},
		{"Format", r.Format},
		{"Description", r.Description},
		{"Upstream URL", r.UpstreamURL},
		{"Members", join(r.Members)},
	}
	fields = append(fields, settingFields(r.Settings, r.Type)...)
	fields = append(fields, [][2]string{{"Created", r.CreatedAt}, {"Updated", r.UpdatedAt}}...)
	return writeFields(w, fields)
}

func registerRepoCompletions(cmd *cobra.Command) {
	_ = cmd.RegisterFlagCompletionFunc("type", fixedCompletion(repoTypes...))
	_ = cmd.RegisterFlagCompletionFunc("format", fixedCompletion(repoFormats...))
}
