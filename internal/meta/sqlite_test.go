package meta_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/meta/metatest"
)

// openSQLite opens the default store (no URL) in a fresh data directory.
func openSQLite(tb testing.TB, migrate bool) *meta.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := meta.Open(ctx, "", tb.TempDir())
	if err != nil {
		tb.Fatalf("open SQLite: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	if db.Dialect() != meta.SQLite {
		tb.Fatalf("Dialect() = %q, want %q", db.Dialect(), meta.SQLite)
	}
	if migrate {
		if _, err := db.Migrate(ctx); err != nil {
			tb.Fatalf("migrate SQLite: %v", err)
		}
	}
	return db
}

func TestSQLite(t *testing.T) {
	metatest.Run(t, func(t *testing.T) *meta.DB { return openSQLite(t, true) })
}

func TestSQLiteMigrate(t *testing.T) {
	metatest.RunMigrate(t, func(t *testing.T) *meta.DB { return openSQLite(t, false) })
}

func BenchmarkSQLite(b *testing.B) {
	metatest.Bench(b, func(b *testing.B) *meta.DB { return openSQLite(b, true) })
}

// TestSQLiteFiles checks the files Open creates: a private data directory, a
// database file with mode 0600 (SQLite itself would create it world-readable)
// in WAL mode.
func TestSQLiteFiles(t *testing.T) {
	ctx := context.Background()
	dataDir := filepath.Join(t.TempDir(), "data", "nested")
	db, err := meta.Open(ctx, "", dataDir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	path := filepath.Join(dataDir, "artifortress.db")

	t.Run("data_dir_private", func(t *testing.T) {
		fi, err := os.Stat(dataDir)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("data directory mode %o, want no group/other access", perm)
		}
	})
	t.Run("db_file_0600", func(t *testing.T) {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatalf("database file: %v", err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("database file mode %o, want 600", perm)
		}
		if fi.Size() == 0 {
			t.Error("database file is empty after Migrate: the store wrote elsewhere")
		}
	})
	t.Run("wal", func(t *testing.T) {
		// WAL is a property of the file, so a separate connection reports it.
		raw, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		var mode string
		if err := raw.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
			t.Fatalf("PRAGMA journal_mode: %v", err)
		}
		if !strings.EqualFold(mode, "wal") {
			t.Errorf("journal_mode = %q, want wal", mode)
		}
		if _, err := os.Stat(path + "-wal"); err != nil {
			t.Errorf("no write-ahead log next to the database: %v", err)
		}
	})
}

// TestSQLiteURL checks the sqlite: URL forms: the store lives at the named
// path (mode 0600), and reopening the same URL sees the same data.
func TestSQLiteURL(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, c := range []struct {
		name, url, path string
	}{
		{"absolute", "sqlite:" + filepath.Join(dir, "abs", "a.db"), filepath.Join(dir, "abs", "a.db")},
		{"absolute_slashes", "sqlite://" + filepath.Join(dir, "slashes", "b.db"), filepath.Join(dir, "slashes", "b.db")},
		{"relative", "sqlite:rel/dir/c.db", filepath.Join(dir, "rel", "dir", "c.db")},
		{"relative_slashes", "sqlite://rel2/d.db", filepath.Join(dir, "rel2", "d.db")},
		{"space_in_path", "sqlite:" + filepath.Join(dir, "with space", "e.db"), filepath.Join(dir, "with space", "e.db")},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			unused := filepath.Join(dir, "unused-data-dir-"+c.name)
			db, err := meta.Open(ctx, c.url, unused)
			if err != nil {
				t.Fatalf("Open(%q): %v", c.url, err)
			}
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatalf("Migrate: %v", err)
			}
			if err := db.InsertState(ctx, "where", c.name); err != nil {
				t.Fatalf("InsertState: %v", err)
			}
			db.Close()

			fi, err := os.Stat(c.path)
			if err != nil {
				t.Fatalf("database not at %s: %v", c.path, err)
			}
			if perm := fi.Mode().Perm(); perm != 0o600 {
				t.Errorf("database file mode %o, want 600", perm)
			}
			if _, err := os.Stat(unused); !os.IsNotExist(err) {
				t.Errorf("Open with a URL touched the data directory (stat err %v)", err)
			}

			db, err = meta.Open(ctx, c.url, unused)
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			defer db.Close()
			if got, err := db.GetState(ctx, "where"); err != nil || got != c.name {
				t.Errorf("after reopen GetState = %q, %v; want %q", got, err, c.name)
			}
		})
	}
	t.Run("empty_path", func(t *testing.T) {
		for _, u := range []string{"sqlite:", "sqlite://"} {
			if db, err := meta.Open(context.Background(), u, dir); err == nil {
				db.Close()
				t.Errorf("Open(%q) succeeded, want an error", u)
			}
		}
	})
}

// TestSQLiteAwkwardPath checks that a data directory whose name means
// something in a URI (%, #, ?) still holds the database, rather than SQLite
// opening a truncated or decoded path.
func TestSQLiteAwkwardPath(t *testing.T) {
	for _, c := range []struct{ name, dir string }{
		{"percent", "a%41b"},
		{"hash", "a#b"},
		{"question", "a?b"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			parent := t.TempDir()
			dataDir := filepath.Join(parent, c.dir)
			db, err := meta.Open(ctx, "", dataDir)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer db.Close()
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatalf("Migrate: %v", err)
			}
			fi, err := os.Stat(filepath.Join(dataDir, "artifortress.db"))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Size() == 0 {
				entries, _ := os.ReadDir(parent)
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Errorf("%s/artifortress.db is empty after Migrate: SQLite wrote elsewhere (%s holds %q)", c.dir, parent, names)
			}
		})
	}
}
