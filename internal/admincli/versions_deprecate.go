package admincli

import (
	"fmt"
	"net/http"

	"github.com/spf13/cobra"
)

func newVersionsDeprecateCommand(o *options) *cobra.Command {
	var message string
	var clear bool
	cmd := &cobra.Command{
		Use:     "deprecate REPO NAME VERSION (--message TEXT | --clear)",
		Aliases: []string{"yank"},
		Short:   "Set or clear a published version's deprecation notice (npm deprecate, PyPI yank)",
		Long: `Set the deprecation notice of a published version (role write), or clear it. The
version itself does not change. npm shows the notice on install and in npm view;
PyPI project pages mark the release yanked (PEP 592) with the notice as the
reason, so pip installs it only when pinned exactly (==). Each change writes the
audit record version.deprecate.`,
		Example: `  artifortress admin versions deprecate pypi-local requests-toolbelt 1.0.2 --message "broken on Python 3.12"
  artifortress admin versions yank pypi-local requests-toolbelt 1.0.2 --message "broken on Python 3.12"
  artifortress admin versions deprecate npm-local @acme/ui 1.0.0 --clear`,
		Args: exactArgs("REPO", "NAME", "VERSION"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkSegments([]string{"REPO", "NAME", "VERSION"}, args); err != nil {
				return err
			}
			if clear == (message != "") {
				return usageErrorf("give --message TEXT, or --clear")
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			path := packagePath(args[0], args[1]) + Pathf("/versions/%s/deprecation", args[2])
			if _, err := s.client.Call(s.ctx, http.MethodPut, path, nil, map[string]string{"message": message}, nil); err != nil {
				return err
			}
			if clear {
				return s.done(fmt.Sprintf("Cleared the deprecation of %s %s.", sanitize(args[1]), sanitize(args[2])))
			}
			return s.done(fmt.Sprintf("Deprecated %s %s.", sanitize(args[1]), sanitize(args[2])))
		},
	}
	cmd.Flags().StringVar(&message, "message", "", "the notice (at most 1024 bytes): why, and what to use instead")
	cmd.Flags().BoolVar(&clear, "clear", false, "remove the notice")
	return cmd
}
