package repo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/telemetry"
	"github.com/artifortress/artifortress/internal/ttlcache"
)

// Service manages repositories and their role bindings.
type Service struct {
	db  *meta.DB
	now func() time.Time
	// bindingChanged is told, after commit, whose role bindings changed
	// (the token service drops what it cached of that subject).
	bindingChanged func(subject string)
	// cache holds repository definitions read outside transactions for
	// cacheTTL, so that serving a blob does not read the repository and
	// its members from the database on every request. Changes made through
	// this node drop it at once; those made through other nodes take
	// effect within the TTL (the same contract as verified tokens).
	cache *ttlcache.Cache[string, loaded]
}

// maxCachedRepos bounds the repository cache; past it the cache is emptied.
const maxCachedRepos = 10000

// NewService returns a repository service over db. bindingChanged, if not
// nil, is called after a subject's role bindings change. cacheTTL is how
// long a repository definition read for an access check may be reused (0:
// read it every time).
func NewService(db *meta.DB, bindingChanged func(subject string), cacheTTL time.Duration) *Service {
	if bindingChanged == nil {
		bindingChanged = func(string) {}
	}
	return &Service{db: db, now: time.Now, bindingChanged: bindingChanged, cache: ttlcache.New[string, loaded](cacheTTL, maxCachedRepos)}
}

// loaded is a repository as stored and as callers see it (settings
// decoded once, not on every access check).
type loaded struct {
	row  meta.Repo
	repo Repo
}

// view returns the repository as callers see it, with its own copy of the
// members (the value may be cached).
func (l loaded) view() Repo {
	r := l.repo
	r.Members = slices.Clone(r.Members)
	return r
}

// load reads a repository with q and decodes it, with the count of its
// versions the quarantine lane hides.
func load(ctx context.Context, q meta.Q, key string) (loaded, error) {
	row, err := q.GetRepo(ctx, key)
	if err != nil {
		return loaded{}, err
	}
	r, err := fromRow(row)
	if err != nil {
		return loaded{}, err
	}
	if r.BlockedVersions, err = q.CountBlocked(ctx, key); err != nil {
		return loaded{}, err
	}
	return loaded{row: row, repo: r}, nil
}

// getRepo reads a repository; access checks take it as a parameter so that
// those inside a transaction read through it (txRepo) and the others
// through the cache (cachedRepo).
type getRepo func(ctx context.Context, key string) (loaded, error)

func txRepo(tx *meta.Tx) getRepo {
	return func(ctx context.Context, key string) (loaded, error) { return load(ctx, tx.Q, key) }
}

// cachedRepo reads a repository through the cache. Only found repositories
// are cached: one created on another node is visible at once.
func (s *Service) cachedRepo(ctx context.Context, key string) (loaded, error) {
	now := s.now()
	if l, ok := s.cache.Get(key, now); ok {
		return l, nil
	}
	gen := s.cache.Generation()
	l, err := load(ctx, s.db.Q, key)
	if err == nil {
		s.cache.Put(key, l, now, gen)
	}
	return l, err
}

// repoChanged drops cached repositories after a change commits. Everything
// is dropped: a deletion also changes the members of virtual repositories.
func (s *Service) repoChanged() { s.cache.DropAll() }

// QuarantineChanged tells the service, after the change commits, that
// versions of a repository entered or left the quarantine lane, so that
// this node's next access check counts them again.
func (s *Service) QuarantineChanged(key string) { s.cache.Drop(key) }

// CreateRequest describes a new repository.
type CreateRequest struct {
	Key         string
	Type        string
	Format      string
	Description string
	UpstreamURL string
	Members     []string
	Settings    Settings
}

// Create creates a repository. Global administrators only.
func (s *Service) Create(ctx context.Context, caller *auth.Principal, req CreateRequest) (Repo, error) {
	if !caller.IsAdmin() {
		return Repo{}, fault.Forbidden("creating repositories needs the global admin scope")
	}
	if !auth.ValidRepoKey(req.Key) {
		return Repo{}, fault.BadRequest("key", "invalid repository key %q (want [a-z0-9][a-z0-9._-]{0,63})", req.Key)
	}
	if err := validateType(req.Type); err != nil {
		return Repo{}, err
	}
	if err := validateFormat(req.Format); err != nil {
		return Repo{}, err
	}
	if err := validateDescription(req.Description); err != nil {
		return Repo{}, err
	}
	if err := validateShape(req.Type, req.UpstreamURL, req.Members); err != nil {
		return Repo{}, err
	}
	if err := req.Settings.validate(); err != nil {
		return Repo{}, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	row := meta.Repo{
		Key: req.Key, Type: req.Type, Format: req.Format, Description: req.Description,
		UpstreamURL: req.UpstreamURL, Members: req.Members, Settings: encodeSettings(req.Settings),
		CreatedAt: now, UpdatedAt: now,
	}
	err := s.db.Tx(ctx, func(tx *meta.Tx) error {
		if err := checkMembers(ctx, tx, req.Key, req.Format, req.Members); err != nil {
			return err
		}
		if err := checkDeployTo(ctx, tx, req.Type, req.Members, req.Settings.DeployTo); err != nil {
			return err
		}
		if err := tx.InsertRepo(ctx, row); err != nil {
			if errors.Is(err, meta.ErrExists) {
				return fault.Conflict("repository %q already exists", req.Key).With("field", "key")
			}
			return err
		}
		return tx.InsertAudit(ctx, s.audit(ctx, caller, "repo.create", req.Key, now, map[string]any{
			"type": req.Type, "format": req.Format, "upstreamUrl": req.UpstreamURL, "members": req.Members,
		}))
	})
	if err != nil {
		return Repo{}, err
	}
	// A repository of that key deleted on another node may still be cached
	// here (with its old creation time, which keys cached blob links).
	s.repoChanged()
	return fromRow(row)
}

// checkMembers verifies that every member exists, has the same format and
// does not lead back to key (no cycles through nested virtual repositories).
func checkMembers(ctx context.Context, tx *meta.Tx, key, format string, members []string) error {
	for i, m := range members {
		field := fmt.Sprintf("members[%d]", i)
		if m == key {
			return fault.BadRequest(field, "a repository cannot be its own member")
		}
		r, err := tx.GetRepo(ctx, m)
		if errors.Is(err, meta.ErrNotFound) {
			return fault.BadRequest(field, "repository %q does not exist", m)
		}
		if err != nil {
			return err
		}
		if r.Format != format {
			return fault.BadRequest(field, "repository %q has format %s, not %s", m, r.Format, format)
		}
		if path, err := findCycle(ctx, tx, m, key, []string{key, m}); err != nil {
			return err
		} else if path != nil {
			return fault.BadRequest(field, "cycle: %s", strings.Join(path, " -> "))
		}
	}
	return nil
}

// checkDeployTo verifies a virtual repository's deployTo: one of its
// members, and a local one.
func checkDeployTo(ctx context.Context, tx *meta.Tx, typ string, members []string, deployTo string) error {
	const field = "settings.deployTo"
	switch {
	case deployTo == "":
		return nil
	case typ != TypeVirtual:
		return fault.BadRequest(field, "only virtual repositories deploy to a member")
	case !slices.Contains(members, deployTo):
		return fault.BadRequest(field, "%q is not a member", deployTo)
	}
	r, err := tx.GetRepo(ctx, deployTo)
	if err != nil {
		return err
	}
	if r.Type != TypeLocal {
		return fault.BadRequest(field, "%q is %s; publishes go to a local repository", deployTo, r.Type)
	}
	return nil
}

// findCycle walks the members of from, depth first, and returns the path when
// it reaches target.
func findCycle(ctx context.Context, tx *meta.Tx, from, target string, path []string) ([]string, error) {
	r, err := tx.GetRepo(ctx, from)
	if err != nil {
		return nil, err
	}
	for _, m := range r.Members {
		p := append(path[:len(path):len(path)], m)
		if m == target {
			return p, nil
		}
		if found, err := findCycle(ctx, tx, m, target, p); err != nil || found != nil {
			return found, err
		}
	}
	return nil, nil
}

// Access loads a repository the caller needs role on, for services that act
// inside repositories (uploads, downloads, packages).
func (s *Service) Access(ctx context.Context, caller *auth.Principal, key string, role auth.Role) (Repo, error) {
	l, err := s.access(ctx, s.cachedRepo, caller, key, role)
	if err != nil {
		return Repo{}, err
	}
	return l.view(), nil
}

// access loads a repository the caller needs role on. A repository the caller
// cannot read answers not-found, so that its name does not leak; to the
// anonymous caller it answers unauthorized (so clients authenticate),
// except for reading a repository with anonymousRead set.
func (s *Service) access(ctx context.Context, get getRepo, caller *auth.Principal, key string, role auth.Role) (loaded, error) {
	if !caller.Authenticated() {
		return s.anonymousAccess(ctx, get, key, role)
	}
	if !caller.Can(key, auth.RoleRead) {
		// What anyone may read, a known caller may read too.
		if r, err := s.anonymousAccess(ctx, get, key, role); err == nil {
			return r, nil
		}
		return loaded{}, fault.NotFound("repository %q not found", key)
	}
	r, err := get(ctx, key)
	if errors.Is(err, meta.ErrNotFound) {
		return loaded{}, fault.NotFound("repository %q not found", key)
	}
	if err != nil {
		return loaded{}, err
	}
	if !caller.Can(key, role) {
		return loaded{}, fault.Forbidden("this needs the %s role on repository %q", role, key)
	}
	return r, nil
}

func (s *Service) anonymousAccess(ctx context.Context, get getRepo, key string, role auth.Role) (loaded, error) {
	denied := fault.Unauthorized("authentication required: send a token as Bearer or as the Basic password")
	if role != auth.RoleRead {
		return loaded{}, denied
	}
	r, err := get(ctx, key)
	if errors.Is(err, meta.ErrNotFound) {
		return loaded{}, denied
	}
	if err != nil {
		return loaded{}, err
	}
	if !r.repo.Settings.AnonymousRead {
		return loaded{}, denied
	}
	return r, nil
}

// Get returns a repository the caller can read.
func (s *Service) Get(ctx context.Context, caller *auth.Principal, key string) (Repo, error) {
	l, err := s.access(ctx, s.cachedRepo, caller, key, auth.RoleRead)
	if err != nil {
		return Repo{}, err
	}
	return l.view(), nil
}

// ListFilter narrows a listing. Empty fields do not filter.
type ListFilter struct {
	Type, Format string
}

// List returns the repositories the caller can read.
func (s *Service) List(ctx context.Context, caller *auth.Principal, f ListFilter) ([]Repo, error) {
	if f.Type != "" {
		if err := validateType(f.Type); err != nil {
			return nil, err
		}
	}
	if f.Format != "" {
		if err := validateFormat(f.Format); err != nil {
			return nil, err
		}
	}
	rows, err := s.db.ListRepos(ctx)
	if err != nil {
		return nil, err
	}
	out := []Repo{}
	for _, r := range rows {
		if !caller.Can(r.Key, auth.RoleRead) || (f.Type != "" && r.Type != f.Type) || (f.Format != "" && r.Format != f.Format) {
			continue
		}
		repo, err := fromRow(r)
		if err != nil {
			return nil, err
		}
		out = append(out, repo)
	}
	return out, nil
}

func (s *Service) audit(ctx context.Context, caller *auth.Principal, action, repo string, at time.Time, details map[string]any) meta.AuditRecord {
	return meta.AuditRecord{
		At: at, Actor: caller.Name(), ActorVia: caller.Via(), Action: action, Resource: "repo/" + repo, Repo: repo,
		RequestID: telemetry.RequestID(ctx), Details: details,
	}
}

func fromRow(r meta.Repo) (Repo, error) {
	settings, err := decodeSettings(r.Settings)
	if err != nil {
		return Repo{}, fmt.Errorf("repository %s: corrupt settings: %w", r.Key, err)
	}
	members := slices.Clone(r.Members)
	if members == nil {
		members = []string{}
	}
	return Repo{
		Key: r.Key, Type: r.Type, Format: r.Format, Description: r.Description, UpstreamURL: r.UpstreamURL,
		Members: members, Settings: settings, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}, nil
}
