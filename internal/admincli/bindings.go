package admincli

import (
	"fmt"
	"io"
	"net/http"

	"github.com/spf13/cobra"
)

// repoRoles are the roles of docs/api.md, checked before a request is sent.
var repoRoles = []string{"read", "write", "promote", "admin"}

// binding is one item of GET /v1/repos/{key}/bindings, and the answer of
// PUT /v1/repos/{key}/bindings/{subject} (which adds repo).
type binding struct {
	Repo    string   `json:"repo,omitempty"`
	Subject string   `json:"subject"`
	Roles   []string `json:"roles"`
}

func newBindingsCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "bindings",
		Aliases: []string{"binding"},
		Short:   "Grant subjects roles on a repository (role bindings)",
		Long: `Role bindings give a subject roles on one repository, in addition to the scopes of
its tokens. Roles: read; write and promote (both imply read); admin (implies all).
Managing bindings needs the admin role on the repository.`,
		Example: `  artifortress admin bindings list npm-local
  artifortress admin bindings set npm-local alice --role write
  artifortress admin bindings delete npm-local alice`,
		Args: cobra.NoArgs,
		RunE: showHelp,
	}
	cmd.AddCommand(newBindingsListCommand(o), newBindingsSetCommand(o), newBindingsDeleteCommand(o))
	return cmd
}

func newBindingsListCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "list REPO",
		Short: "List the role bindings of a repository",
		Example: `  artifortress admin bindings list npm-local
  artifortress admin bindings list npm-local -o json`,
		Args: exactArgs("REPO"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var res struct {
				Items []binding `json:"items"`
			}
			raw, err := s.client.Call(s.ctx, http.MethodGet, Pathf("/v1/repos/%s/bindings", args[0]), nil, nil, &res)
			if err != nil {
				return err
			}
			return s.print(raw, func(w io.Writer) error {
				t := newTable(w, "SUBJECT", "ROLES")
				for _, b := range res.Items {
					t.row(b.Subject, join(b.Roles))
				}
				return t.flush()
			})
		},
	}
}

func newBindingsSetCommand(o *options) *cobra.Command {
	var roles []string
	cmd := &cobra.Command{
		Use:   "set REPO SUBJECT --role ROLE...",
		Short: "Set a subject's roles on a repository",
		Long: `Set the roles of a subject on a repository (1 to 4 roles, repeat --role). The
given roles replace any roles the subject held through a binding on the repository.`,
		Example: `  artifortress admin bindings set npm-local alice --role write
  artifortress admin bindings set npm-local release-bot --role read --role promote`,
		Args: exactArgs("REPO", "SUBJECT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(roles) == 0 {
				return usageErrorf("at least one --role is required (%s)", join(repoRoles))
			}
			for _, r := range roles {
				if err := oneOf("--role", r, repoRoles...); err != nil {
					return err
				}
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var res binding
			raw, err := s.client.Call(s.ctx, http.MethodPut, Pathf("/v1/repos/%s/bindings/%s", args[0], args[1]), nil,
				map[string][]string{"roles": roles}, &res)
			if err != nil {
				return err
			}
			return s.print(raw, func(w io.Writer) error {
				t := newTable(w, "REPO", "SUBJECT", "ROLES")
				t.row(res.Repo, res.Subject, join(res.Roles))
				return t.flush()
			})
		},
	}
	cmd.Flags().StringArrayVar(&roles, "role", nil, "`role` to grant, repeatable (required): read, write, promote, admin")
	_ = cmd.RegisterFlagCompletionFunc("role", fixedCompletion(repoRoles...))
	return cmd
}

func newBindingsDeleteCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:     "delete REPO SUBJECT",
		Short:   "Remove a subject's role binding on a repository",
		Example: `  artifortress admin bindings delete npm-local alice`,
		Args:    exactArgs("REPO", "SUBJECT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			if _, err := s.client.Call(s.ctx, http.MethodDelete, Pathf("/v1/repos/%s/bindings/%s", args[0], args[1]), nil, nil, nil); err != nil {
				return err
			}
			return s.done(fmt.Sprintf("Removed the binding of %s on %s.", sanitize(args[1]), sanitize(args[0])))
		},
	}
}
