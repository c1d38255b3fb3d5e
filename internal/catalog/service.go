package catalog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/policy"
	"github.com/artifortress/artifortress/internal/repo"
	"github.com/artifortress/artifortress/internal/telemetry"
)

// Formats finds a format's rules by name.
type Formats func(name string) (format.Format, bool)

// Service runs the catalog.
type Service struct {
	db      *meta.DB
	repos   *repo.Service
	formats Formats
	now     func() time.Time
	// policies evaluates the policies of a publish or promotion.
	policies *policy.Engine
	// retention is how long a tombstoned version stays restorable.
	retention time.Duration
}

// New returns a catalog over db, evaluating policies with the default
// engine options (see SetPolicyOptions).
func New(db *meta.DB, repos *repo.Service, formats Formats) *Service {
	return &Service{db: db, repos: repos, formats: formats, now: time.Now, policies: policy.NewEngine(policy.Options{}), retention: DefaultTombstoneRetention}
}

// SetPolicyOptions replaces the policy engine's options (evaluation
// timeout, cost limit). Call it before serving.
func (s *Service) SetPolicyOptions(o policy.Options) { s.policies = policy.NewEngine(o) }

// Version is a version as callers see it: the row, its package, the
// package's full name as the format writes it, and its entries.
type Version struct {
	Row      meta.Version
	Package  meta.Package
	FullName string
	Entries  []meta.Entry
	// RestorableUntil is when a tombstoned version stops being
	// restorable; nil in any other state.
	RestorableUntil *time.Time
}

// ManifestJSON returns the manifest, or nil when none is set.
func (v Version) ManifestJSON() json.RawMessage {
	if v.Row.Manifest == nil {
		return nil
	}
	return json.RawMessage(v.Row.Manifest)
}

// formatOf returns the rules of a repository's format.
func (s *Service) formatOf(r repo.Repo) (format.Format, error) {
	f, ok := s.formats(r.Format)
	if !ok {
		return nil, fault.Unavailable("format %q has no catalog rules in this build", r.Format)
	}
	return f, nil
}

// repoFormat loads a repository the caller holds role on, with its format's rules.
func (s *Service) repoFormat(ctx context.Context, caller *auth.Principal, repoKey string, role auth.Role) (repo.Repo, format.Format, error) {
	r, err := s.repos.Access(ctx, caller, repoKey, role)
	if err != nil {
		return repo.Repo{}, nil, err
	}
	f, err := s.formatOf(r)
	return r, f, err
}

// lockedVersion loads a version of repository r inside tx, locked against
// concurrent changes until tx ends (see meta.LockVersion).
func (s *Service) lockedVersion(ctx context.Context, tx *meta.Tx, r repo.Repo, id string) (meta.Version, meta.Package, error) {
	if err := tx.LockVersion(ctx, id); err != nil && !errors.Is(err, meta.ErrNotFound) {
		return meta.Version{}, meta.Package{}, err
	}
	return s.versionIn(ctx, tx.Q, r, id)
}

// versionIn loads a version by id, with its package, when it belongs to
// repository r.
func (s *Service) versionIn(ctx context.Context, q meta.Q, r repo.Repo, id string) (meta.Version, meta.Package, error) {
	v, err := q.GetVersion(ctx, id)
	if errors.Is(err, meta.ErrNotFound) {
		return meta.Version{}, meta.Package{}, versionNotFound(id)
	}
	if err != nil {
		return meta.Version{}, meta.Package{}, err
	}
	p, err := q.GetPackageByID(ctx, v.PackageID)
	if err != nil {
		return meta.Version{}, meta.Package{}, err
	}
	if p.Repo != r.Key {
		return meta.Version{}, meta.Package{}, versionNotFound(id)
	}
	return v, p, nil
}

// versionOf looks a package's version up by any spelling of it: the
// format's normalised one is unique (see format.NormalizeVersion).
// ErrNotFound if none.
func versionOf(ctx context.Context, q meta.Q, f format.Format, packageID, version string) (meta.Version, error) {
	return q.GetVersionOf(ctx, packageID, format.NormalizeVersion(f, version))
}

func versionNotFound(id string) error {
	return fault.Coded(fault.KindNotFound, "version_not_found", "version %q not found in this repository", id)
}

func (s *Service) audit(ctx context.Context, caller *auth.Principal, action, repoKey, resource string, at time.Time, details map[string]any) meta.AuditRecord {
	return meta.AuditRecord{
		At: at, Actor: caller.Name(), ActorVia: caller.Via(), Action: action, Resource: resource,
		Repo: repoKey, RequestID: telemetry.RequestID(ctx), Details: details,
	}
}

func newID(prefix string) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// fieldError turns a format's FieldError into a 400 naming the field.
func fieldError(err error) error {
	var fe *format.FieldError
	if errors.As(err, &fe) {
		return fault.BadRequest(fe.Field, "%s", fe.Message)
	}
	return fault.BadRequest("", "%v", err)
}

func requestID(ctx context.Context) string { return telemetry.RequestID(ctx) }
