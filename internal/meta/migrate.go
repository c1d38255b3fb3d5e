package meta

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFS embed.FS

// Migration is one embedded schema change. Files are named NNNN_name.sql and
// applied in order of NNNN; each dialect has its own set with the same numbers.
type Migration struct {
	Version   int
	Name      string
	Applied   bool
	AppliedAt time.Time
	sql       string
}

// migrationLockID is the PostgreSQL advisory lock that serializes migrations
// when several nodes start at once.
const migrationLockID = 7_236_100_001

func (d Dialect) migrations() ([]Migration, error) {
	dir := "migrations/" + string(d)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.sql", name)
		}
		body, err := fs.ReadFile(migrationFS, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: rest, sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	applied_at BIGINT NOT NULL
)`

// MigrationStatus lists every embedded migration and whether it is applied.
func (db *DB) MigrationStatus(ctx context.Context) ([]Migration, error) {
	all, err := db.d.migrations()
	if err != nil {
		return nil, err
	}
	exists, err := db.migrationsTableExists(ctx)
	if err != nil || !exists {
		return all, err // nothing applied yet
	}
	rows, err := db.query(ctx, "SELECT version, applied_at FROM schema_migrations")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	applied := map[int]int64{}
	for rows.Next() {
		var v int
		var at int64
		if err := rows.Scan(&v, &at); err != nil {
			return nil, err
		}
		applied[v] = at
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range all {
		if at, ok := applied[all[i].Version]; ok {
			all[i].Applied, all[i].AppliedAt = true, FromMicros(at)
		}
	}
	return all, nil
}

// migrationsTableExists looks the table up without creating it, so that
// reading the status never races a concurrent first Migrate.
func (db *DB) migrationsTableExists(ctx context.Context) (bool, error) {
	q := "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
	if db.d == Postgres {
		q = "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_migrations'"
	}
	var n int
	err := db.queryRow(ctx, q).Scan(&n)
	return n > 0, err
}

// Migrate applies every pending migration in one transaction, so a failure
// leaves the schema as it was. It is safe to call from several nodes at once:
// on PostgreSQL an advisory lock serializes them. It returns the migrations
// it applied.
func (db *DB) Migrate(ctx context.Context) ([]Migration, error) {
	all, err := db.d.migrations()
	if err != nil {
		return nil, err
	}
	var done []Migration
	err = db.Tx(ctx, func(tx *Tx) error {
		if db.d == Postgres {
			if _, err := tx.exec(ctx, "SELECT pg_advisory_xact_lock(?)", migrationLockID); err != nil {
				return fmt.Errorf("take migration lock: %w", err)
			}
		}
		if _, err := tx.exec(ctx, createMigrationsTable); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		have := map[int]bool{}
		rows, err := tx.query(ctx, "SELECT version FROM schema_migrations")
		if err != nil {
			return err
		}
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return err
			}
			have[v] = true
		}
		rows.Close()
		now := Micros(time.Now())
		for _, m := range all {
			if have[m.Version] {
				continue
			}
			if _, err := tx.c.ExecContext(tx.ctx(ctx), m.sql); err != nil {
				return fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
			}
			if _, err := tx.exec(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", m.Version, m.Name, now); err != nil {
				return err
			}
			m.Applied, m.AppliedAt = true, FromMicros(now)
			done = append(done, m)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return done, nil
}
