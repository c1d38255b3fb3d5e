package cli

import (
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

func newWorkerCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run the event worker alone",
		Long: "Deliver outbox events (search indexing, webhooks) without serving clients, so the worker\n" +
			"can be scaled apart from the serving nodes. It reads the same settings as serve and answers\n" +
			"/health/live, /health/ready and /metrics on --listen. Start serve with --worker=false on the\n" +
			"nodes that should not run it. Several workers may share a PostgreSQL store.",
		Example: "  ARTIFORTRESS_DATABASE_URL=postgres://artifortress@db/artifortress artifortress worker --listen :9090",
		Args:    noArgs,
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
		srv, err := server.New(ctx, cfg, log)
		if err != nil {
			log.Error("start-up failed", slog.String("error", err.Error()))
			return err
		}
		defer srv.Close()
		return srv.ServeWorker(ctx)
	}
	return cmd
}
