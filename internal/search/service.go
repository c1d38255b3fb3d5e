package search

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/repo"
)

// Query bounds.
const (
	DefaultLimit  = 20  // results per page when Query.Limit is 0
	MaxLimit      = 100 // results per page at most
	MaxQueryBytes = 256 // length of Query.Text
	MaxTerms      = 16  // words in Query.Text
)

// Options tune a Service. Zero fields take the defaults.
type Options struct {
	// BatchSize is how many versions one rebuild step indexes, in one
	// transaction (default 250: on SQLite a step holds the write lock, about
	// 30 ms at this size).
	BatchSize int
	// PollInterval is how often Run looks for a rebuild to drive when it
	// has not been woken (default 5s).
	PollInterval time.Duration
	// Logger receives Run's errors (default slog.Default()).
	Logger *slog.Logger
}

// Service answers searches and runs rebuilds of the index.
type Service struct {
	db      *meta.DB
	repos   *repo.Service
	formats Formats
	opts    Options
	now     func() time.Time
	// wake tells Run, in this process, that a rebuild was started or resumed.
	wake chan struct{}
}

// New returns the search service over db. repos decides who reads which
// repository; formats renders package names.
func New(db *meta.DB, repos *repo.Service, formats Formats, opts Options) *Service {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 250
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Service{db: db, repos: repos, formats: formats, opts: opts, now: time.Now, wake: make(chan struct{}, 1)}
}

// Indexer returns the event handler that keeps this service's index in step.
func (s *Service) Indexer() *Indexer { return NewIndexer(s.db, s.formats) }

// Query is a search request.
type Query struct {
	// Text is matched against the words of package names, namespaces,
	// versions and manifests (description, keywords, licence): every word
	// of Text must start a word of a version. "" matches every version.
	Text string
	// Repo, when set, searches that repository only (a virtual repository:
	// its members the caller can read).
	Repo string
	// Format, when set, keeps versions of that format only.
	Format string
	// Limit is the page size, 1 to MaxLimit; 0 means DefaultLimit.
	Limit int
	// Cursor continues a previous search: its Results.NextCursor, with the
	// same Text, Repo and Format.
	Cursor string
}

// Hit is one matching version.
type Hit struct {
	Repo        string
	Format      string
	Package     string // the full name as the format writes it
	Namespace   string
	Name        string
	Version     string
	VersionID   string
	PublishedAt time.Time
	PublishedBy string
	Description string
	// Score ranks the hit: 3 the package's name or full name is the query,
	// 2 it starts with the query, 1 other words matched. Hits are ordered
	// by score, then newest published first.
	Score int
}

// Results is one page of hits.
type Results struct {
	Hits []Hit
	// NextCursor continues the search; "" on the last page.
	NextCursor string
}

// Search returns the published versions matching q in the repositories the
// caller can read (quarantined and other unpublished content never shows).
// Invalid input is fault.BadRequest naming the field; a Repo the caller
// cannot read answers as repo.Service.Access does (not found, or
// unauthorized for the anonymous caller). When the index is missing or
// broken Search answers 503 search_unavailable; nothing else is affected.
func (s *Service) Search(ctx context.Context, caller *auth.Principal, q Query) (Results, error) {
	sq, err := s.parse(q)
	if err != nil {
		return Results{}, err
	}
	if err := s.scope(ctx, caller, q.Repo, &sq); err != nil {
		return Results{}, err
	}
	limit := sq.Limit
	sq.Limit++ // one more tells whether there is a next page
	hits, err := s.db.Search(ctx, sq)
	if err != nil {
		if ctx.Err() != nil {
			return Results{}, ctx.Err()
		}
		return Results{}, unavailable(err)
	}
	out := Results{Hits: make([]Hit, 0, min(len(hits), limit))}
	for i, h := range hits {
		if i == limit {
			out.NextCursor = encodeCursor(fingerprint(q), hits[i-1].Position())
			break
		}
		out.Hits = append(out.Hits, Hit{
			Repo: h.Repo, Format: h.Format, Package: h.Package, Namespace: h.Namespace, Name: h.Name,
			Version: h.Version, VersionID: h.VersionID, PublishedAt: h.PublishedAt, PublishedBy: h.PublishedBy,
			Description: h.Description, Score: h.Tier,
		})
	}
	return out, nil
}

// unavailable is the answer when the index cannot be read.
func unavailable(err error) error {
	return &fault.Error{Kind: fault.KindUnavailable, Code: "search_unavailable",
		Message: "search is unavailable: the search index cannot be read (everything else works); an administrator can rebuild it",
		Err:     err}
}

// parse validates q into a store query, without the repositories.
func (s *Service) parse(q Query) (meta.SearchQuery, error) {
	var sq meta.SearchQuery
	if len(q.Text) > MaxQueryBytes {
		return sq, fault.BadRequest("q", "is %d bytes long; at most %d are allowed", len(q.Text), MaxQueryBytes)
	}
	sq.Terms = queryTerms(q.Text)
	if strings.TrimSpace(q.Text) != "" && len(sq.Terms) == 0 {
		return sq, fault.BadRequest("q", "%q has no letters or digits to search for", q.Text)
	}
	if len(sq.Terms) > MaxTerms {
		return sq, fault.BadRequest("q", "has %d words; at most %d are allowed", len(sq.Terms), MaxTerms)
	}
	sq.Rank = strings.ToLower(strings.TrimSpace(q.Text))
	if q.Repo != "" && !auth.ValidRepoKey(q.Repo) {
		return sq, fault.BadRequest("repo", "invalid repository key %q", q.Repo)
	}
	if q.Format != "" {
		if _, ok := s.formats(q.Format); !ok {
			return sq, fault.BadRequest("format", "unknown format %q", q.Format)
		}
		sq.Format = q.Format
	}
	switch {
	case q.Limit == 0:
		sq.Limit = DefaultLimit
	case q.Limit < 1 || q.Limit > MaxLimit:
		return sq, fault.BadRequest("limit", "is %d; want 1 to %d", q.Limit, MaxLimit)
	default:
		sq.Limit = q.Limit
	}
	if q.Cursor != "" {
		pos, err := decodeCursor(q.Cursor, fingerprint(q))
		if err != nil {
			return sq, fault.BadRequest("cursor", "%v; pass nextCursor from the previous page unchanged, with the same q, repo and format", err)
		}
		sq.After = &pos
	}
	return sq, nil
}

// scope restricts sq to the repositories the caller can read: one
// repository (with a virtual one's readable members) when repoKey is set,
// every repository for global administrators and holders of repo:*:read,
// otherwise those the caller holds read on.
func (s *Service) scope(ctx context.Context, caller *auth.Principal, repoKey string, sq *meta.SearchQuery) error {
	if repoKey != "" {
		r, err := s.repos.Access(ctx, caller, repoKey, auth.RoleRead)
		if err != nil {
			return err
		}
		sq.Repos = []string{r.Key}
		if r.Type == repo.TypeVirtual {
			sq.Repos, err = s.members(ctx, caller, r.Key)
		}
		return err
	}
	if caller.Can(auth.AnyRepo, auth.RoleRead) {
		sq.AllRepos = true
		return nil
	}
	rows, err := s.db.ListRepos(ctx)
	if err != nil {
		return err
	}
	sq.Repos = []string{}
	for _, r := range rows {
		if readable(caller, r) {
			sq.Repos = append(sq.Repos, r.Key)
		}
	}
	return nil
}

// members returns the repositories a virtual repository resolves through,
// nested ones included, that the caller can read itself: reading through a
// virtual repository never widens what a caller sees.
func (s *Service) members(ctx context.Context, caller *auth.Principal, key string) ([]string, error) {
	var out []string
	seen := map[string]bool{key: true}
	queue := []string{key}
	for len(queue) > 0 {
		r, err := s.db.GetRepo(ctx, queue[0])
		queue = queue[1:]
		if errors.Is(err, meta.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if readable(caller, r) {
			out = append(out, r.Key)
		}
		for _, m := range r.Members {
			if !seen[m] {
				seen[m] = true
				queue = append(queue, m)
			}
		}
	}
	return out, nil
}

// readable mirrors repo.Service.Access for reading: a known caller needs
// the read role; the anonymous caller, a repository with anonymousRead.
func readable(caller *auth.Principal, r meta.Repo) bool {
	if caller.Authenticated() {
		return caller.Can(r.Key, auth.RoleRead)
	}
	var settings struct {
		AnonymousRead bool `json:"anonymousRead"`
	}
	return json.Unmarshal([]byte(r.Settings), &settings) == nil && settings.AnonymousRead
}

// fingerprint ties a cursor to the query it pages.
func fingerprint(q Query) string {
	h := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(q.Text)) + "\x00" + q.Repo + "\x00" + q.Format))
	return hex.EncodeToString(h[:6])
}

// encodeCursor renders the position of the last hit of a page.
func encodeCursor(fp string, p meta.SearchPosition) string {
	raw := strings.Join([]string{fp, strconv.Itoa(p.Tier), strconv.FormatInt(meta.Micros(p.PublishedAt), 10), p.VersionID, strconv.FormatInt(p.Key, 10)}, "\x00")
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeCursor(c, fp string) (meta.SearchPosition, error) {
	invalid := errors.New("invalid cursor")
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return meta.SearchPosition{}, invalid
	}
	parts := strings.Split(string(raw), "\x00")
	if len(parts) != 5 {
		return meta.SearchPosition{}, invalid
	}
	if parts[0] != fp {
		return meta.SearchPosition{}, errors.New("the cursor belongs to another query")
	}
	tier, err1 := strconv.Atoi(parts[1])
	at, err2 := strconv.ParseInt(parts[2], 10, 64)
	key, err3 := strconv.ParseInt(parts[4], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || tier < meta.SearchTierOther || tier > meta.SearchTierExact || parts[3] == "" {
		return meta.SearchPosition{}, invalid
	}
	return meta.SearchPosition{Tier: tier, PublishedAt: meta.FromMicros(at), VersionID: parts[3], Key: key}, nil
}

// queryTerms are the distinct terms of a query's text.
func queryTerms(text string) []string {
	var out []string
	for _, t := range terms(text) {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}
