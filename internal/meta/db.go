package meta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// PostgresPoolSize is the most connections a node opens to PostgreSQL.
const PostgresPoolSize = 32

// DB is an open metadata store. Its read methods (inherited from Q) run outside
// any transaction; state changes go through Tx.
type DB struct {
	Q
	sql *sql.DB
	// writer is, on SQLite, a pool of one connection that only write
	// transactions use (groupTx), with its own statement cache: SQLite
	// keeps a connection's page cache across its own commits, so the pages
	// every write touches (indexes, the tails of audit and outbox) stay
	// in memory instead of being read again by whichever pooled
	// connection a transaction got. On PostgreSQL it is sql.
	writer      *sql.DB
	writerStmts *stmtCache
	// writeMu serializes write transactions on SQLite, which allows one writer
	// at a time anyway: queueing in Go is fairer and faster than busy-waiting
	// on the database lock. It guards batch; waiting counts the callers
	// queued on it. Unused for PostgreSQL.
	writeMu sync.Mutex
	waiting atomic.Int32
	batch   *writeBatch
	// onEvents, when set, is called after a transaction that wrote outbox
	// events commits (the event worker's Wake).
	onEvents atomic.Pointer[func()]
}

// OnEvents sets fn to be called after every commit of a transaction that
// wrote outbox events, so a worker in this process picks them up at once
// instead of at its next poll. fn must not block.
func (db *DB) OnEvents(fn func()) { db.onEvents.Store(&fn) }

// Open connects to the metadata store named by databaseURL:
//
//   - "" (the default): SQLite at <dataDir>/artifortress.db
//   - "sqlite:<path>" or "sqlite://<path>": SQLite at that file
//   - "postgres://..." or "postgresql://...": PostgreSQL (pgx)
//
// Open checks that the store answers; it does not migrate (see Migrate).
func Open(ctx context.Context, databaseURL, dataDir string) (*DB, error) {
	d, dsn, err := parseURL(databaseURL, dataDir)
	if err != nil {
		return nil, err
	}
	driver := "sqlite"
	if d == Postgres {
		driver = "pgx"
	}
	sdb, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s metadata store: %w", d, err)
	}
	if d == SQLite {
		// Readers run concurrently under WAL; writers are serialized by writeMu.
		sdb.SetMaxOpenConns(16)
		sdb.SetMaxIdleConns(16)
	} else {
		sdb.SetMaxOpenConns(PostgresPoolSize)
		sdb.SetMaxIdleConns(PostgresPoolSize)
		sdb.SetConnMaxIdleTime(5 * time.Minute)
	}
	db := &DB{Q: Q{c: sdb, d: d, stmts: &stmtCache{db: sdb}}, sql: sdb, writer: sdb}
	db.writerStmts = db.stmts
	if d == SQLite {
		w, err := sql.Open(driver, dsn)
		if err != nil {
			sdb.Close()
			return nil, fmt.Errorf("open %s metadata store: %w", d, err)
		}
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		db.writer, db.writerStmts = w, &stmtCache{db: w}
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.Ping(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s metadata store: %w", d, err)
	}
	return db, nil
}

func parseURL(databaseURL, dataDir string) (Dialect, string, error) {
	switch {
	case databaseURL == "":
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return "", "", fmt.Errorf("create data directory: %w", err)
		}
		return sqliteAt(filepath.Join(dataDir, "artifortress.db"))
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		if _, err := url.Parse(databaseURL); err != nil {
			return "", "", fmt.Errorf("database URL: %v", err)
		}
		return Postgres, databaseURL, nil
	case strings.HasPrefix(databaseURL, "sqlite:"):
		p := strings.TrimPrefix(strings.TrimPrefix(databaseURL, "sqlite:"), "//")
		if p == "" {
			return "", "", fmt.Errorf("database URL: sqlite: needs a file path")
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return "", "", fmt.Errorf("create database directory: %w", err)
		}
		return sqliteAt(p)
	default:
		return "", "", fmt.Errorf("database URL: unsupported scheme (want postgres://, postgresql:// or sqlite:)")
	}
}

// sqliteAt creates the database file with mode 0600 when it does not exist
// (SQLite would create it world-readable) and returns its DSN.
func sqliteAt(path string) (Dialect, string, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return "", "", fmt.Errorf("open database file: %w", err)
	}
	f.Close()
	return SQLite, sqliteDSN(path), nil
}

// sqliteDSN sets the pragmas every connection needs: WAL for concurrent readers,
// synchronous=FULL so a committed transaction survives power loss, foreign keys,
// a busy timeout as a safety net, and BEGIN IMMEDIATE so a write transaction
// never fails late on lock upgrade.
func sqliteDSN(path string) string {
	v := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)", "busy_timeout(10000)"} {
		v.Add("_pragma", p)
	}
	v.Set("_txlock", "immediate")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + v.Encode() // SQLite decodes %XX; a raw #, ? or % would change the path
}

// Dialect reports which engine the store runs on.
func (db *DB) Dialect() Dialect { return db.d }

// Ping reports whether the store answers.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.sql.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Close closes the connection pools.
func (db *DB) Close() error {
	err := db.sql.Close()
	if db.writer != db.sql {
		err = errors.Join(err, db.writer.Close())
	}
	return err
}

// Tx runs fn in one transaction: it commits when fn returns nil and rolls back
// otherwise (including on panic, which is re-raised). It returns once the
// transaction is durable (or rolled back). On SQLite, concurrent calls share
// one database transaction and one commit (groupTx).
func (db *DB) Tx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	if db.d == SQLite {
		return db.groupTx(ctx, fn)
	}
	stx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = stx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = stx.Rollback()
		}
	}()
	wroteEvents := false
	tx := &Tx{Q: Q{c: stx, d: db.d, stmts: db.stmts, tx: stx, wroteEvents: &wroteEvents}}
	if err = fn(tx); err != nil {
		return err
	}
	if err = stx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	db.committed(tx)
	return nil
}

// committed runs what follows a committed transaction: the event worker's
// wake-up and the transaction's AfterCommit hooks.
func (db *DB) committed(tx *Tx) {
	if f := db.onEvents.Load(); *tx.wroteEvents && f != nil {
		(*f)()
	}
	for _, f := range tx.afterCommit {
		f()
	}
}

// Tx is an open transaction. It offers the same methods as DB.
type Tx struct {
	Q
	afterCommit []func()
}

// AfterCommit runs f once the transaction has committed (not when it rolls
// back): for what another service keeps beside the database, such as a
// cache of what the transaction wrote, when that service took part in a
// transaction it does not run.
func (tx *Tx) AfterCommit(f func()) { tx.afterCommit = append(tx.afterCommit, f) }

// RawExec runs a statement as given, for tests that prove the database itself
// enforces an invariant and for operator tooling. Placeholders are `?`.
func (q Q) RawExec(ctx context.Context, query string, args ...any) (int64, error) {
	ctx = q.ctx(ctx)
	res, err := q.c.ExecContext(ctx, q.d.rebind(query), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// conn is what *sql.DB and *sql.Tx have in common.
type conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Q holds the queries shared by DB and Tx.
type Q struct {
	c     conn
	d     Dialect
	stmts *stmtCache
	tx    *sql.Tx // nil outside a transaction
	// wroteEvents is set when the transaction writes an outbox event.
	wroteEvents *bool
	// detached: statements ignore their context's cancellation. A
	// cancelled statement interrupts SQLite, which rolls back the whole
	// transaction: in a shared one (groupTx), other callers' work.
	detached bool
}

// ctx is the context a statement runs with (see detached).
func (q Q) ctx(ctx context.Context) context.Context {
	if q.detached {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// stmt returns the prepared statement for query, bound to the transaction
// when there is one. Parsing SQL costs more than running a point query on
// SQLite, so every query of this package is prepared once per pool.
// It returns nil when the query is to run unprepared: the cache is full, or
// preparing failed (for instance because the query names a table created
// earlier in a transaction the pool cannot see yet; running it reports any
// real error).
func (q Q) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	st, err := q.stmts.get(ctx, query, q.tx != nil)
	if err != nil || st == nil {
		return nil, nil
	}
	if q.tx == nil {
		return st, nil
	}
	return q.tx.StmtContext(ctx, st), nil
}

func (q Q) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = q.ctx(ctx)
	query = q.d.rebind(query)
	st, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return q.c.ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

func (q Q) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = q.ctx(ctx)
	query = q.d.rebind(query)
	st, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return q.c.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

func (q Q) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = q.ctx(ctx)
	query = q.d.rebind(query)
	st, err := q.stmt(ctx, query)
	if err != nil || st == nil {
		// *sql.Row cannot carry an error of ours; running the query
		// unprepared makes Scan report the same failure.
		return q.c.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// Micros converts a time to the stored form.
func Micros(t time.Time) int64 { return t.UnixMicro() }

// FromMicros converts a stored time back.
func FromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// queryStrings runs a query whose rows are one text column.
func (q Q) queryStrings(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
