package meta

import "testing"

func TestRebind(t *testing.T) {
	for _, c := range []struct {
		name    string
		dialect Dialect
		in      string
		want    string
	}{
		{"sqlite_unchanged", SQLite, "SELECT a FROM t WHERE b = ? AND c = ?", "SELECT a FROM t WHERE b = ? AND c = ?"},
		{"postgres_one", Postgres, "SELECT a FROM t WHERE b = ?", "SELECT a FROM t WHERE b = $1"},
		{"postgres_many", Postgres, "INSERT INTO t (a, b, c) VALUES (?, ?, ?)", "INSERT INTO t (a, b, c) VALUES ($1, $2, $3)"},
		{"postgres_adjacent", Postgres, "??", "$1$2"},
		{"postgres_none", Postgres, "SELECT 1", "SELECT 1"},
		{"postgres_empty", Postgres, "", ""},
		{"postgres_edges", Postgres, "?x?", "$1x$2"},
		{"postgres_two_digits", Postgres, "?,?,?,?,?,?,?,?,?,?,?,?", "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12"},
		{"postgres_keeps_dollars", Postgres, "SELECT $$x$$, ?", "SELECT $$x$$, $1"},
		{"unknown_dialect_unchanged", Dialect("other"), "a = ?", "a = ?"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.dialect.rebind(c.in); got != c.want {
				t.Errorf("%s.rebind(%q) = %q, want %q", c.dialect, c.in, got, c.want)
			}
		})
	}
}

func TestRebindAllocatesOnlyWhenNeeded(t *testing.T) {
	q := "SELECT a FROM t WHERE b = 1"
	if n := testing.AllocsPerRun(100, func() { _ = Postgres.rebind(q) }); n != 0 {
		t.Errorf("rebind without placeholders allocated %v times, want 0", n)
	}
	withPlaceholder := q + " AND c = ?"
	if n := testing.AllocsPerRun(100, func() { _ = SQLite.rebind(withPlaceholder) }); n != 0 {
		t.Errorf("SQLite rebind allocated %v times, want 0", n)
	}
}
