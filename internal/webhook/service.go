package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/telemetry"
)

// Service manages webhooks and their delivery logs.
type Service struct {
	db         *meta.DB
	dispatcher *Dispatcher
	now        func() time.Time
}

// NewService returns a webhook service over db; d sends redeliveries and
// its guard checks URLs whose host is an IP address.
func NewService(db *meta.DB, d *Dispatcher) *Service {
	return &Service{db: db, dispatcher: d, now: d.now}
}

// CreateRequest describes a new webhook.
type CreateRequest struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
	// Repos limits deliveries to these repositories. Empty: every
	// repository, which needs the global admin scope.
	Repos []string `json:"repos"`
	// Secret signs deliveries; empty generates one (returned by Create).
	Secret string `json:"secret"`
	// Enabled defaults to true.
	Enabled *bool `json:"enabled"`
}

// Create creates a webhook. Global administrators may create any; a
// repository administrator must list repositories, and administer each.
// The result carries the secret, which is never returned again.
func (s *Service) Create(ctx context.Context, caller *auth.Principal, req CreateRequest) (Created, error) {
	if err := authenticated(caller); err != nil {
		return Created{}, err
	}
	if err := validateURL(req.URL, s.dispatcher.guard); err != nil {
		return Created{}, err
	}
	events, err := normalizeEvents(req.Events)
	if err != nil {
		return Created{}, err
	}
	repos, err := normalizeRepos(req.Repos)
	if err != nil {
		return Created{}, err
	}
	secret := req.Secret
	if secret == "" {
		secret = NewSecret()
	} else if err := validateSecret(secret); err != nil {
		return Created{}, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	row := meta.Webhook{
		ID: newID(), URL: req.URL, Events: events, Repos: repos, Secret: secret,
		Enabled: req.Enabled == nil || *req.Enabled, CreatedBy: caller.Name(), CreatedAt: now, UpdatedAt: now,
	}
	err = s.db.Tx(ctx, func(tx *meta.Tx) error {
		if err := authorizeRepos(ctx, tx.Q, caller, repos); err != nil {
			return err
		}
		if err := tx.InsertWebhook(ctx, row); err != nil {
			return err
		}
		return tx.InsertAudit(ctx, s.audit(ctx, caller, "webhook.create", row, now, describe(row)))
	})
	if err != nil {
		return Created{}, err
	}
	return Created{Webhook: fromRow(row), Secret: secret}, nil
}

// List returns the webhooks the caller manages, oldest first: every one
// for a global administrator; for anyone else, those whose repositories
// the caller administers, all of them.
func (s *Service) List(ctx context.Context, caller *auth.Principal) ([]Webhook, error) {
	if err := authenticated(caller); err != nil {
		return nil, err
	}
	rows, err := s.db.ListWebhooks(ctx, false)
	if err != nil {
		return nil, err
	}
	out := []Webhook{}
	for _, w := range rows {
		if canManage(caller, w.Repos) {
			out = append(out, fromRow(w))
		}
	}
	return out, nil
}

// Get returns a webhook the caller manages. One it does not manage answers
// webhook_not_found, so that its existence does not leak.
func (s *Service) Get(ctx context.Context, caller *auth.Principal, id string) (Webhook, error) {
	w, err := s.load(ctx, s.db.Q, caller, id, false)
	if err != nil {
		return Webhook{}, err
	}
	return fromRow(w), nil
}

// load reads a webhook the caller manages (locking it when forUpdate).
func (s *Service) load(ctx context.Context, q meta.Q, caller *auth.Principal, id string, forUpdate bool) (meta.Webhook, error) {
	if err := authenticated(caller); err != nil {
		return meta.Webhook{}, err
	}
	get := q.GetWebhook
	if forUpdate {
		get = q.GetWebhookForUpdate
	}
	w, err := get(ctx, id)
	if errors.Is(err, meta.ErrNotFound) || (err == nil && !canManage(caller, w.Repos)) {
		return meta.Webhook{}, notFound(id)
	}
	return w, err
}

// UpdateRequest changes a webhook; nil fields stay as they are.
type UpdateRequest struct {
	URL    *string   `json:"url"`
	Events *[]string `json:"events"`
	// Repos replaces the repositories; an empty list means every
	// repository (global administrators only).
	Repos *[]string `json:"repos"`
	// Secret replaces the secret (it must not be empty; it is not returned).
	Secret  *string `json:"secret"`
	Enabled *bool   `json:"enabled"`
}

// Update changes a webhook the caller manages. The caller must also manage
// the result: a repository administrator can only name repositories they
// administer. A request that changes nothing changes nothing (no audit
// record).
func (s *Service) Update(ctx context.Context, caller *auth.Principal, id string, req UpdateRequest) (Webhook, error) {
	var out meta.Webhook
	err := s.db.Tx(ctx, func(tx *meta.Tx) error {
		w, err := s.load(ctx, tx.Q, caller, id, true)
		if err != nil {
			return err
		}
		next, changed, err := s.apply(w, req)
		if err != nil {
			return err
		}
		if len(changed) == 0 {
			out = w
			return nil
		}
		if slices.Contains(changed, "repos") {
			// The current repositories were checked by load.
			if err := authorizeRepos(ctx, tx.Q, caller, next.Repos); err != nil {
				return err
			}
		}
		next.UpdatedAt = s.now().UTC().Truncate(time.Microsecond)
		if err := tx.UpdateWebhook(ctx, next); err != nil {
			return err
		}
		details := describe(next)
		details["changed"] = changed
		out = next
		return tx.InsertAudit(ctx, s.audit(ctx, caller, "webhook.update", next, next.UpdatedAt, details))
	})
	if err != nil {
		return Webhook{}, err
	}
	return fromRow(out), nil
}

// apply validates req and returns w changed by it and the names of the
// fields that changed.
func (s *Service) apply(w meta.Webhook, req UpdateRequest) (meta.Webhook, []string, error) {
	changed := []string{}
	if req.URL != nil && *req.URL != w.URL {
		if err := validateURL(*req.URL, s.dispatcher.guard); err != nil {
			return w, nil, err
		}
		w.URL = *req.URL
		changed = append(changed, "url")
	}
	if req.Events != nil {
		events, err := normalizeEvents(*req.Events)
		if err != nil {
			return w, nil, err
		}
		if !slices.Equal(events, w.Events) {
			w.Events = events
			changed = append(changed, "events")
		}
	}
	if req.Repos != nil {
		repos, err := normalizeRepos(*req.Repos)
		if err != nil {
			return w, nil, err
		}
		if !slices.Equal(repos, nonNil(w.Repos)) {
			w.Repos = repos
			changed = append(changed, "repos")
		}
	}
	if req.Secret != nil {
		if *req.Secret == "" {
			return w, nil, fault.BadRequest("secret", "must not be empty; omit it to keep the current secret")
		}
		if err := validateSecret(*req.Secret); err != nil {
			return w, nil, err
		}
		if *req.Secret != w.Secret {
			w.Secret = *req.Secret
			changed = append(changed, "secret")
		}
	}
	if req.Enabled != nil && *req.Enabled != w.Enabled {
		w.Enabled = *req.Enabled
		changed = append(changed, "enabled")
	}
	return w, changed, nil
}

// Delete deletes a webhook the caller manages, with its delivery log.
func (s *Service) Delete(ctx context.Context, caller *auth.Principal, id string) error {
	return s.db.Tx(ctx, func(tx *meta.Tx) error {
		w, err := s.load(ctx, tx.Q, caller, id, true)
		if err != nil {
			return err
		}
		if err := tx.DeleteWebhook(ctx, id); err != nil {
			if errors.Is(err, meta.ErrNotFound) {
				return notFound(id)
			}
			return err
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		return tx.InsertAudit(ctx, s.audit(ctx, caller, "webhook.delete", w, now, describe(w)))
	})
}

func authenticated(caller *auth.Principal) error {
	if !caller.Authenticated() {
		return fault.Unauthorized("authentication required: send a token as Bearer or as the Basic password")
	}
	return nil
}

// canManage reports whether caller manages a webhook for repos: a global
// administrator always; anyone else when repos is not empty and they
// administer each one.
func canManage(caller *auth.Principal, repos []string) bool {
	if caller.IsAdmin() {
		return true
	}
	if len(repos) == 0 {
		return false
	}
	for _, r := range repos {
		if !caller.Can(r, auth.RoleAdmin) {
			return false
		}
	}
	return true
}

// authorizeRepos checks that the caller may subscribe to repos and that
// they exist. A repository the caller cannot read is reported as missing.
func authorizeRepos(ctx context.Context, q meta.Q, caller *auth.Principal, repos []string) error {
	if len(repos) == 0 && !caller.IsAdmin() {
		return fault.Forbidden("a webhook for every repository needs the global admin scope; list the repositories you administer in repos")
	}
	for i, r := range repos {
		field := fmt.Sprintf("repos[%d]", i)
		if !caller.Can(r, auth.RoleRead) {
			return fault.BadRequest(field, "repository %q does not exist", r)
		}
		if _, err := q.GetRepo(ctx, r); errors.Is(err, meta.ErrNotFound) {
			return fault.BadRequest(field, "repository %q does not exist", r)
		} else if err != nil {
			return err
		}
		if !caller.Can(r, auth.RoleAdmin) {
			return fault.Forbidden("a webhook for repository %q needs the admin role on it", r).With("field", field)
		}
	}
	return nil
}

func notFound(id string) error {
	return fault.Coded(fault.KindNotFound, "webhook_not_found", "webhook %q not found", id)
}

// describe is what the audit trail records of a webhook: never its secret,
// and of its URL only the scheme and host (paths and queries often carry
// a receiver's token).
func describe(w meta.Webhook) map[string]any {
	target := ""
	if u, err := url.Parse(w.URL); err == nil {
		target = u.Scheme + "://" + u.Host
	}
	return map[string]any{"target": target, "events": nonNil(w.Events), "repos": nonNil(w.Repos), "enabled": w.Enabled}
}

// audit builds the record of a change to w. A webhook of exactly one
// repository is filed under it, so the repository's audit trail shows it.
func (s *Service) audit(ctx context.Context, caller *auth.Principal, action string, w meta.Webhook, at time.Time, details map[string]any) meta.AuditRecord {
	repo := ""
	if len(w.Repos) == 1 {
		repo = w.Repos[0]
	}
	return meta.AuditRecord{
		At: at, Actor: caller.Name(), ActorVia: caller.Via(), Action: action, Resource: "webhook/" + w.ID,
		Repo: repo, RequestID: telemetry.RequestID(ctx), Details: details,
	}
}

func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "wh_" + hex.EncodeToString(b)
}
