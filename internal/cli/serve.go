package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/artifortress/artifortress/internal/config"
	"github.com/artifortress/artifortress/internal/server"
	"github.com/artifortress/artifortress/internal/telemetry"
)

const precedence = `Settings come from, in increasing precedence: built-in defaults, the YAML
config file (--config or ARTIFORTRESS_CONFIG; keys are the flag names),
ARTIFORTRESS_* environment variables, then command-line flags.`

func newServeCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the server",
		Long: "Run an Artifortress node. With no settings it keeps metadata in SQLite and blobs on disk\n" +
			"under ./data and listens on 127.0.0.1:8080. On first start it writes an administrator token\n" +
			"to <data-dir>/initial-admin-token (mode 0600).\n\n" + precedence + "\n\nEvery setting:\n" + config.Reference(),
		Example: "  artifortress serve\n  artifortress serve --listen :8080 --data-dir /var/lib/artifortress\n" +
			"  ARTIFORTRESS_DATABASE_URL=postgres://artifortress@db/artifortress artifortress serve",
		Args: noArgs,
	}
	loader := config.NewLoader(cmd.Flags())
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := loader.Load(osEnviron())
		if err != nil {
			return usageError{fmt.Errorf("invalid configuration: %w", err)}
		}
		level, _ := cfg.SlogLevel()
		log := telemetry.NewLogger(cmd.ErrOrStderr(), level)
		ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		shutdownTracing, err := telemetry.SetupTracing(ctx, cfg.OTLPEndpoint, server.Version)
		if err != nil {
			return usageError{fmt.Errorf("otlp-endpoint: %w", err)}
		}
		defer shutdownTracing(context.WithoutCancel(ctx))
		srv, err := server.New(ctx, cfg, log)
		if err != nil {
			log.Error("start-up failed", slog.String("error", err.Error()))
			return err
		}
		defer srv.Close()
		return srv.Serve(ctx, nil)
	}
	return cmd
}
