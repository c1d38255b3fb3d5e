package catalog

import (
	"context"
	"errors"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/policy"
	"github.com/artifortress/artifortress/internal/repo"
)

// PolicyRequest is the rule of a policy, as created or replaced.
type PolicyRequest struct {
	Name       string
	Expression string
	Action     string
	Message    string
	OnError    string
}

// policyScope authorizes a change to, or a read of, the policies of a
// scope: repoKey "" is the global scope (changes need the global admin
// scope, reads any token), otherwise the repository's (changes need its
// admin role, reads its read role).
func (s *Service) policyScope(ctx context.Context, caller *auth.Principal, repoKey string, change bool) error {
	if repoKey == "" {
		if change && !caller.IsAdmin() {
			return fault.Forbidden("global policies need the global admin scope")
		}
		if !caller.Authenticated() {
			return fault.Unauthorized("authentication required: send a token as Bearer or as the Basic password")
		}
		return nil
	}
	role := auth.RoleRead
	if change {
		role = auth.RoleAdmin
	}
	_, err := s.repos.Access(ctx, caller, repoKey, role)
	return err
}

func policyNotFound(name string) error {
	return fault.Coded(fault.KindNotFound, "policy_not_found", "policy %q not found", name)
}

func scopeResource(repoKey, name string) string {
	if repoKey == "" {
		return "policies/" + name
	}
	return "repo/" + repoKey + "/policies/" + name
}

// PutPolicy creates a policy in a scope, or replaces the rule of the one of
// that name (created reports which). The expression is compiled first: an
// invalid one is a 400 invalid_policy naming the field.
func (s *Service) PutPolicy(ctx context.Context, caller *auth.Principal, repoKey string, req PolicyRequest, mustCreate bool) (row meta.PolicyRow, created bool, err error) {
	if err := s.policyScope(ctx, caller, repoKey, true); err != nil {
		return meta.PolicyRow{}, false, err
	}
	if req.OnError == "" {
		req.OnError = policy.ActionDeny
	}
	if err := policy.Validate(policy.Policy{Name: req.Name, Expression: req.Expression, Action: req.Action, Message: req.Message, OnError: req.OnError}); err != nil {
		return meta.PolicyRow{}, false, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	err = s.db.Tx(ctx, func(tx *meta.Tx) error {
		old, err := tx.GetPolicy(ctx, repoKey, req.Name)
		switch {
		case errors.Is(err, meta.ErrNotFound):
			created = true
			row = meta.PolicyRow{ID: newID("pol_"), Repo: repoKey, Name: req.Name, CreatedBy: caller.Name(), CreatedAt: now}
		case err != nil:
			return err
		case mustCreate:
			return fault.Conflict("policy %q already exists; replace it with PUT", req.Name).With("field", "name")
		default:
			row = old
		}
		row.Expression, row.Action, row.Message, row.OnError = req.Expression, req.Action, req.Message, req.OnError
		row.UpdatedBy, row.UpdatedAt = caller.Name(), now
		if created {
			if err := tx.InsertPolicy(ctx, row); err != nil {
				if errors.Is(err, meta.ErrExists) {
					return fault.Conflict("policy %q already exists", req.Name).With("field", "name")
				}
				return err
			}
		} else if err := tx.UpdatePolicy(ctx, row); err != nil {
			return err
		}
		action := "policy.update"
		if created {
			action = "policy.create"
		}
		return tx.InsertAudit(ctx, s.audit(ctx, caller, action, repoKey, scopeResource(repoKey, req.Name), now, map[string]any{
			"expression": req.Expression, "action": req.Action, "onError": req.OnError, "message": req.Message,
		}))
	})
	return row, created, err
}

// Policy returns a policy of a scope.
func (s *Service) Policy(ctx context.Context, caller *auth.Principal, repoKey, name string) (meta.PolicyRow, error) {
	if err := s.policyScope(ctx, caller, repoKey, false); err != nil {
		return meta.PolicyRow{}, err
	}
	p, err := s.db.GetPolicy(ctx, repoKey, name)
	if errors.Is(err, meta.ErrNotFound) {
		return meta.PolicyRow{}, policyNotFound(name)
	}
	return p, err
}

// Policies lists a scope's policies by name; with effective, a
// repository's list starts with the global policies that apply to it too.
func (s *Service) Policies(ctx context.Context, caller *auth.Principal, repoKey string, effective bool) ([]meta.PolicyRow, error) {
	if err := s.policyScope(ctx, caller, repoKey, false); err != nil {
		return nil, err
	}
	var ps []meta.PolicyRow
	var err error
	if effective && repoKey != "" {
		ps, err = s.db.EffectivePolicies(ctx, repoKey)
	} else {
		ps, err = s.db.ListPolicies(ctx, repoKey)
	}
	if ps == nil {
		ps = []meta.PolicyRow{}
	}
	return ps, err
}

// DeletePolicy removes a policy of a scope.
func (s *Service) DeletePolicy(ctx context.Context, caller *auth.Principal, repoKey, name string) error {
	if err := s.policyScope(ctx, caller, repoKey, true); err != nil {
		return err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	return s.db.Tx(ctx, func(tx *meta.Tx) error {
		if err := tx.DeletePolicy(ctx, repoKey, name); errors.Is(err, meta.ErrNotFound) {
			return policyNotFound(name)
		} else if err != nil {
			return err
		}
		return tx.InsertAudit(ctx, s.audit(ctx, caller, "policy.delete", repoKey, scopeResource(repoKey, name), now, nil))
	})
}

// DryRun evaluates one stored policy of a scope against a version of
// repository repoKey (role write or promote there; drafts included),
// without recording anything: what publishing would decide, for that policy.
func (s *Service) DryRun(ctx context.Context, caller *auth.Principal, scope, name, repoKey, versionID string) (policy.Evaluation, error) {
	row, err := s.Policy(ctx, caller, scope, name)
	if err != nil {
		return policy.Evaluation{}, err
	}
	if scope != "" && scope != repoKey {
		return policy.Evaluation{}, fault.BadRequest("repo", "policy %q applies to repository %q only", name, scope)
	}
	r, f, err := s.publisherOrReviewer(ctx, caller, repoKey)
	if err != nil {
		return policy.Evaluation{}, err
	}
	v, p, err := s.versionIn(ctx, s.db.Q, r, versionID)
	if err != nil {
		return policy.Evaluation{}, err
	}
	entries, err := s.db.ListEntries(ctx, v.ID)
	if err != nil {
		return policy.Evaluation{}, err
	}
	in, err := s.policyInput(r, f, v, p, entries, caller, policy.StageDryRun)
	if err != nil {
		return policy.Evaluation{}, err
	}
	res := s.policies.Evaluate(ctx, []policy.Policy{toPolicy(row)}, in)
	return res.Evaluations[0], nil
}

// Evaluations returns a version's evaluation log (role write or promote:
// publishers see why, reviewers of the quarantine lane too).
func (s *Service) Evaluations(ctx context.Context, caller *auth.Principal, repoKey, versionID string) ([]meta.PolicyEvaluation, error) {
	r, _, err := s.publisherOrReviewer(ctx, caller, repoKey)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.versionIn(ctx, s.db.Q, r, versionID); err != nil {
		return nil, err
	}
	evs, err := s.db.ListEvaluations(ctx, versionID)
	if evs == nil {
		evs = []meta.PolicyEvaluation{}
	}
	return evs, err
}

// publisherOrReviewer loads a repository the caller publishes to (write)
// or reviews (promote).
func (s *Service) publisherOrReviewer(ctx context.Context, caller *auth.Principal, repoKey string) (repo.Repo, format.Format, error) {
	r, f, err := s.repoFormat(ctx, caller, repoKey, auth.RoleRead)
	if err != nil {
		return repo.Repo{}, nil, err
	}
	if !caller.Can(repoKey, auth.RoleWrite) && !caller.Can(repoKey, auth.RolePromote) {
		return repo.Repo{}, nil, fault.Forbidden("this needs the write or promote role on repository %q", repoKey)
	}
	return r, f, nil
}

func toPolicy(r meta.PolicyRow) policy.Policy {
	return policy.Policy{Name: r.Name, Expression: r.Expression, Action: r.Action, Message: r.Message, OnError: r.OnError}
}
