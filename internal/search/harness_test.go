package search_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/catalog"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/format/formats"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/repo"
	"github.com/artifortress/artifortress/internal/search"
	"github.com/artifortress/artifortress/internal/testpg"
)

type backend struct {
	name string
	url  func(t testing.TB) string
}

func backends() []backend {
	return []backend{
		{"sqlite", func(testing.TB) string { return "" }},
		{"postgres", testpg.URL},
	}
}

// eachBackend runs fn as a subtest per metadata backend.
func eachBackend(t *testing.T, fn func(t *testing.T, s *stack)) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) { fn(t, newStack(t, be.url(t), search.Options{})) })
	}
}

// testRepos are the repositories of a stack: key -> format. "anon" lets
// anonymous callers read; "virt" is a virtual repository over gen-a and gen-b.
var testRepos = map[string]string{"gen-a": "generic", "gen-b": "generic", "npm-a": "npm", "anon": "generic"}

// stack is the catalog and the search service over one real metadata store,
// with committed blobs in every local repository.
type stack struct {
	db      *meta.DB
	catalog *catalog.Service
	search  *search.Service
	indexer *search.Indexer
	admin   *auth.Principal
	digest  string // committed in every test repository
	handled int64  // newest outbox id fed to the indexer
}

func newStack(t testing.TB, databaseURL string, opts search.Options) *stack {
	t.Helper()
	ctx := context.Background()
	db, err := meta.Open(ctx, databaseURL, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	sum := sha256.Sum256([]byte("content"))
	s := &stack{db: db, admin: auth.NewPrincipal("admin", auth.SourcePAT, "", []auth.Scope{{Admin: true}}, nil), digest: string(blob.FromSum(sum[:]))}
	err = db.Tx(ctx, func(tx *meta.Tx) error {
		if _, err := tx.InsertBlob(ctx, meta.Blob{Digest: s.digest, Size: 7, CreatedAt: now}); err != nil {
			return err
		}
		for key, f := range testRepos {
			settings := "{}"
			if key == "anon" {
				settings = `{"anonymousRead":true}`
			}
			if err := tx.InsertRepo(ctx, meta.Repo{Key: key, Type: "local", Format: f, Settings: settings, CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
			if _, err := tx.LinkBlob(ctx, key, s.digest, "admin", now); err != nil {
				return err
			}
		}
		return tx.InsertRepo(ctx, meta.Repo{Key: "virt", Type: "virtual", Format: "generic", Members: []string{"gen-a", "gen-b"}, Settings: "{}", CreatedAt: now, UpdatedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	repos := repo.NewService(db, nil, 0)
	s.catalog = catalog.New(db, repos, formats.Lookup)
	s.search = search.New(db, repos, formats.Lookup, opts)
	s.indexer = s.search.Indexer()
	return s
}

// newServiceLike returns another search service over the stack's store, as
// another node (or the same one after a restart) would have.
func newServiceLike(s *stack, opts search.Options) *search.Service {
	return search.New(s.db, repo.NewService(s.db, nil, 0), formats.Lookup, opts)
}

// publish publishes name@version in repoKey through the catalog, with
// manifest fields added to the required name and version.
func (s *stack) publish(t testing.TB, repoKey, name, version string, fields map[string]any) catalog.Version {
	t.Helper()
	ctx := context.Background()
	v, _, err := s.catalog.CreateDraft(ctx, s.admin, repoKey, catalog.DraftRequest{Name: name, Version: version})
	if err != nil {
		t.Fatalf("draft %s %s@%s: %v", repoKey, name, version, err)
	}
	if _, err := s.catalog.AddEntries(ctx, s.admin, repoKey, v.Row.ID, []catalog.EntryRequest{{Path: "f.bin", Digest: s.digest}}); err != nil {
		t.Fatalf("entries: %v", err)
	}
	m := map[string]any{"name": name, "version": version}
	for k, val := range fields {
		m[k] = val
	}
	raw, _ := json.Marshal(m)
	if _, err := s.catalog.PutManifest(ctx, s.admin, repoKey, v.Row.ID, raw); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	res, err := s.catalog.Publish(ctx, s.admin, repoKey, v.Row.ID)
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	return res.Version
}

// events returns the outbox events after id.
func (s *stack) events(t testing.TB, after int64) []meta.Event {
	t.Helper()
	es, err := s.db.ListEvents(context.Background(), "", after, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// drain feeds every new outbox event to the indexer, as the worker would.
func (s *stack) drain(t testing.TB) {
	t.Helper()
	for _, e := range s.events(t, s.handled) {
		if err := s.indexer.Handle(context.Background(), e); err != nil {
			t.Fatalf("handle event %d (%s): %v", e.ID, e.Type, err)
		}
		s.handled = e.ID
	}
}

// rows returns the whole index ordered by version id.
func (s *stack) rows(t testing.TB) []meta.SearchRow {
	t.Helper()
	rows, err := s.db.ListSearchRows(context.Background(), "", 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// rebuild starts a rebuild and steps it to the end.
func (s *stack) rebuild(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.search.StartRebuild(ctx); err != nil {
		t.Fatalf("StartRebuild: %v", err)
	}
	for i := 0; ; i++ {
		more, err := s.search.Step(ctx)
		if err != nil {
			t.Fatalf("Step %d: %v", i, err)
		}
		if !more {
			break
		}
	}
	st, err := s.search.Status(ctx)
	if err != nil || st.State != meta.SearchIdle {
		t.Fatalf("after the rebuild: state %q, err %v", st.State, err)
	}
}

// find searches and fails the test on error.
func (s *stack) find(t testing.TB, caller *auth.Principal, q search.Query) search.Results {
	t.Helper()
	res, err := s.search.Search(context.Background(), caller, q)
	if err != nil {
		t.Fatalf("Search(%+v): %v", q, err)
	}
	return res
}

// ids renders hits as "repo:package@version" for comparisons.
func ids(hits []search.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = fmt.Sprintf("%s:%s@%s", h.Repo, h.Package, h.Version)
	}
	return out
}

func reader(repos ...string) *auth.Principal {
	scopes := make([]auth.Scope, len(repos))
	for i, r := range repos {
		scopes[i] = auth.Scope{Repo: r, Role: auth.RoleRead}
	}
	return auth.NewPrincipal("reader", auth.SourcePAT, "", scopes, nil)
}

// wantFault checks that err is a domain error with code (and field, when not "").
func wantFault(t testing.TB, err error, code, field string) {
	t.Helper()
	fe := fault.As(err)
	if fe == nil {
		t.Fatalf("error %v, want a fault with code %s", err, code)
	}
	if fe.Code != code {
		t.Fatalf("code %q (%v), want %q", fe.Code, err, code)
	}
	if field != "" && fe.Details["field"] != field {
		t.Fatalf("field %v (%v), want %q", fe.Details["field"], err, field)
	}
}

// bulkWords name and describe the packages of bulkCatalog.
var bulkWords = strings.Fields(`alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike
	november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu amber cobalt crimson
	indigo jade olive ruby scarlet silver topaz umber violet wheat azure`)

// bulkRepos are the repositories bulkCatalog spreads packages over.
var bulkRepos = []string{"b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8", "b9"}

// bulkName is bulk package i's name: two words and a number.
func bulkName(i int) string {
	return fmt.Sprintf("%s-%s-%d", bulkWords[i%len(bulkWords)], bulkWords[(i/len(bulkWords))%len(bulkWords)], i)
}

// bulkCatalog writes n published versions (4 per package, over bulkRepos)
// straight into the truth tables, unindexed: far faster than publishing.
// Version k is published step microseconds after version k-1 (0: all in
// the same microsecond).
func bulkCatalog(tb testing.TB, s *stack, n int, step int64) {
	tb.Helper()
	ctx := context.Background()
	now := time.Now()
	err := s.db.Tx(ctx, func(tx *meta.Tx) error {
		for _, r := range bulkRepos {
			if err := tx.InsertRepo(ctx, meta.Repo{Key: r, Type: "local", Format: "generic", Settings: "{}", CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	var pkgs, vers []string
	var pargs, vargs []any
	flush := func() {
		if len(pkgs) > 0 {
			if _, err := s.db.RawExec(ctx, "INSERT INTO packages (id, repo_key, format, namespace, name, display_name, created_at) VALUES "+strings.Join(pkgs, ","), pargs...); err != nil {
				tb.Fatal(err)
			}
		}
		if len(vers) > 0 {
			if _, err := s.db.RawExec(ctx, "INSERT INTO versions (id, package_id, version, normalized_version, state, manifest, created_by, created_at, updated_at, published_by, published_at) VALUES "+strings.Join(vers, ","), vargs...); err != nil {
				tb.Fatal(err)
			}
		}
		pkgs, vers, pargs, vargs = nil, nil, nil, nil
	}
	base := meta.Micros(now) - int64(n)*step
	w := func(i int) string { return bulkWords[i%len(bulkWords)] }
	for i := range n / 4 {
		name := bulkName(i)
		pid := fmt.Sprintf("pkg_b%06d", i)
		pkgs = append(pkgs, "(?, ?, 'generic', '', ?, ?, ?)")
		pargs = append(pargs, pid, bulkRepos[i%len(bulkRepos)], name, name, base)
		for v := range 4 {
			k := i*4 + v
			version := fmt.Sprintf("%d.%d.0", v+1, i%10)
			manifest := fmt.Sprintf(`{"name":%q,"version":%q,"description":"A %s %s library","keywords":[%q]}`, name, version, w(i/7), w(i/11), w(i/13))
			vers = append(vers, "(?, ?, ?, ?, 'published', ?, 'bench', ?, ?, 'bench', ?)")
			at := base + int64(k)*step
			vargs = append(vargs, fmt.Sprintf("ver_b%07d", k), pid, version, version, manifest, at, at, at) // generic: no normalisation
		}
		if len(vers) >= 500 {
			flush()
		}
	}
	flush()
}
