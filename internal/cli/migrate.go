package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/artifortress/artifortress/internal/config"
	"github.com/artifortress/artifortress/internal/meta"
)

func newMigrateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply or inspect database migrations",
		Long: "Migrations are embedded in the binary, one ordered set per database (SQLite, PostgreSQL).\n" +
			"It reads the same settings as serve (--database-url, --data-dir, ...).\n" +
			"`serve` applies them at start-up unless --auto-migrate=false; run them here to migrate ahead\n" +
			"of a rollout. Several nodes migrating at once are serialized by the database.",
	}
	loader := config.NewLoader(cmd.PersistentFlags())
	cmd.AddCommand(&cobra.Command{
		Use:     "up",
		Short:   "Apply every pending migration",
		Example: "  artifortress migrate up\n  artifortress migrate up --database-url postgres://artifortress@db/artifortress",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openForMigrate(cmd, loader)
			if err != nil {
				return err
			}
			defer db.Close()
			applied, err := db.Migrate(cmd.Context())
			if err != nil {
				return err
			}
			for _, m := range applied {
				fmt.Fprintf(cmd.OutOrStdout(), "applied %04d_%s\n", m.Version, m.Name)
			}
			if len(applied) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "nothing to apply: the schema is current")
			}
			return nil
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:     "status",
		Short:   "List migrations and whether each is applied",
		Example: "  artifortress migrate status",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := openForMigrate(cmd, loader)
			if err != nil {
				return err
			}
			defer db.Close()
			status, err := db.MigrationStatus(cmd.Context())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "VERSION\tNAME\tSTATE\tAPPLIED AT\n")
			for _, m := range status {
				state, at := "pending", ""
				if m.Applied {
					state, at = "applied", m.AppliedAt.Format("2006-01-02T15:04:05Z")
				}
				fmt.Fprintf(tw, "%04d\t%s\t%s\t%s\n", m.Version, m.Name, state, at)
			}
			return tw.Flush()
		},
	})
	return cmd
}

// openForMigrate opens the store named by the same settings serve reads.
func openForMigrate(cmd *cobra.Command, loader *config.Loader) (*meta.DB, error) {
	cfg, err := loader.Load(osEnviron())
	if err != nil {
		return nil, usageError{fmt.Errorf("invalid configuration: %w", err)}
	}
	return meta.Open(cmd.Context(), cfg.DatabaseURL, cfg.DataDir)
}
