package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/artifortress/artifortress/internal/admincli"
	"github.com/artifortress/artifortress/internal/server"
	"github.com/artifortress/artifortress/internal/transfercli"
)

// Main runs the command line with args (without the program name) and
// returns the process exit code: 0 success, 1 failure, 2 usage error.
func Main(args []string, stdout, stderr io.Writer) int {
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteC()
	if err == nil {
		return 0
	}
	switch p := cmd.CommandPath(); {
	case strings.HasPrefix(p, "artifortress admin"), p == "artifortress push", p == "artifortress pull":
		return admincli.ExitCode(err) // these trees print their own errors
	}
	fmt.Fprintln(stderr, "error:", err)
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// usageError marks a mistake in how the command was invoked.
type usageError struct{ error }

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "artifortress",
		Short:         "Artifortress: a self-hosted artifact repository manager",
		Long:          "Artifortress stores the packages a team builds and consumes, serves them to the official\npackage clients, and keeps every byte verifiable and every change audited.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newServeCommand(), newWorkerCommand(), newMigrateCommand(), newVersionCommand(), newBenchCommand(), admincli.NewCommand(), transfercli.NewPushCommand(), transfercli.NewPullCommand())
	admincli.Version = server.Version
	return root
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), "artifortress %s\n", server.Version)
			return nil
		},
	}
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("%s takes no arguments, got %q", cmd.CommandPath(), args)}
	}
	return nil
}

// osEnviron is swapped in tests.
var osEnviron = os.Environ
