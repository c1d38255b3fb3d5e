package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/policy"
	"github.com/artifortress/artifortress/internal/repo"
)

// EventPolicyDenied announces a publish or promotion a policy refused.
const EventPolicyDenied = "policy.denied"

// policyInput is what the policies of r see of version v, whose files are
// entries.
func (s *Service) policyInput(r repo.Repo, f format.Format, v meta.Version, p meta.Package, entries []meta.Entry, caller *auth.Principal, stage string) (policy.Input, error) {
	in := policy.Input{
		Repo: policy.RepoInput{Key: r.Key, Type: r.Type, Format: r.Format},
		Version: policy.VersionInput{
			ID: v.ID, Format: r.Format, Namespace: p.Namespace, Name: p.Name, Package: f.FullName(p.Namespace, p.Name),
			Version: v.Version, CreatedBy: v.CreatedBy, Labels: map[string]string{}, UpstreamPublishedAt: v.UpstreamPublishedAt,
		},
		Principal: policy.PrincipalInput{Subject: caller.Name()},
		Stage:     stage,
		Now:       s.now().UTC(),
	}
	for _, e := range entries {
		in.Version.Entries = append(in.Version.Entries, policy.Entry{Path: e.Path, Digest: e.Digest, MediaType: e.MediaType, Size: e.Size})
	}
	if v.Labels != "" {
		if err := json.Unmarshal([]byte(v.Labels), &in.Version.Labels); err != nil {
			return policy.Input{}, fmt.Errorf("version %s: corrupt labels: %w", v.ID, err)
		}
	}
	if v.Manifest != nil {
		if err := json.Unmarshal(v.Manifest, &in.Manifest); err != nil {
			return policy.Input{}, fmt.Errorf("version %s: corrupt manifest: %w", v.ID, err)
		}
	}
	return in, nil
}

// evaluate runs the policies that apply to r against version v (its files
// are entries), inside the transaction that acts on the outcome.
func (s *Service) evaluate(ctx context.Context, tx *meta.Tx, r repo.Repo, f format.Format, v meta.Version, p meta.Package, entries []meta.Entry, caller *auth.Principal, stage string) (policy.Result, error) {
	rows, err := tx.EffectivePolicies(ctx, r.Key)
	if err != nil {
		return policy.Result{}, err
	}
	if len(rows) == 0 {
		return policy.Result{Decision: policy.Allow}, nil
	}
	in, err := s.policyInput(r, f, v, p, entries, caller, stage)
	if err != nil {
		return policy.Result{}, err
	}
	ps := make([]policy.Policy, len(rows))
	for i, row := range rows {
		ps[i] = toPolicy(row)
	}
	return s.policies.Evaluate(ctx, ps, in), nil
}

// logRows are a result's evaluation log entries.
func logRows(res policy.Result, versionID, repoKey, stage, actor string, at time.Time) []meta.PolicyEvaluation {
	out := make([]meta.PolicyEvaluation, len(res.Evaluations))
	for i, e := range res.Evaluations {
		out[i] = meta.PolicyEvaluation{VersionID: versionID, Repo: repoKey, Stage: stage, Policy: e.Policy, Decision: e.Decision,
			Passed: e.Passed, Message: e.Message, Error: e.Error, Duration: e.Duration, Actor: actor, CreatedAt: at}
	}
	return out
}

// deciding lists the evaluations that decided a result (those whose
// decision is the result's), as names and messages.
func deciding(res policy.Result) (names, messages []string) {
	for _, e := range res.Evaluations {
		if e.Decision == res.Decision {
			names = append(names, e.Policy)
			msg := e.Message
			if msg == "" {
				msg = "policy " + e.Policy + " did not pass"
			}
			messages = append(messages, e.Policy+": "+msg)
		}
	}
	return names, messages
}

// failures lists the evaluations that failed (error or timeout) and so
// decided by their policy's onError, for the audit record: a fail-closed
// decision is audited with its cause.
func failures(res policy.Result) []map[string]any {
	var out []map[string]any
	for _, e := range res.Evaluations {
		if e.Error != "" {
			out = append(out, map[string]any{"policy": e.Policy, "decision": e.Decision, "error": e.Error})
		}
	}
	return out
}

// policyDenied is the 403 of a refused publish or promotion.
func policyDenied(res policy.Result) error {
	names, messages := deciding(res)
	return fault.Coded(fault.KindForbidden, "policy_denied", "refused by policy: %s", strings.Join(messages, "; ")).
		With("policies", names).With("policy", names[0])
}

// refusal is a policy's refusal of a change to a version, recorded by
// refuse once the change rolled back.
type refusal struct {
	res       policy.Result
	versionID string
	payload   map[string]any // the refused version as its events describe it
	// gone is set when the version went with the rollback (an upload that
	// created it): its evaluations are not logged, having no version to
	// belong to.
	gone bool
}

// refusalOf is the refusal res makes of version v of r with entries.
func refusalOf(res policy.Result, r repo.Repo, f format.Format, v meta.Version, p meta.Package, entries []meta.Entry) *refusal {
	return &refusal{res: res, versionID: v.ID, payload: payloadOf(r, f, v, p, entries)}
}

// refuse writes, in its own transaction (the refused change rolled back),
// the evaluation log, the audit record and the policy.denied event of
// refusal d, in repository r, and returns the 403 policy_denied to answer;
// target is the repository whose policies refused (r itself for a
// publish, the target of a promotion).
func (s *Service) refuse(ctx context.Context, caller *auth.Principal, r repo.Repo, stage, target string, d refusal) error {
	now := s.now().UTC().Truncate(time.Microsecond)
	names, messages := deciding(d.res)
	err := s.db.Tx(ctx, func(tx *meta.Tx) error {
		if !d.gone {
			if err := tx.InsertEvaluations(ctx, logRows(d.res, d.versionID, r.Key, stage, caller.Name(), now)); err != nil {
				return err
			}
		}
		payload := maps.Clone(d.payload)
		payload["stage"], payload["policies"], payload["reason"], payload["actor"] = stage, names, strings.Join(messages, "; "), caller.Name()
		payload["targetRepo"] = target
		details := map[string]any{"stage": stage, "policies": names, "reason": strings.Join(messages, "; "), "targetRepo": target}
		if f := failures(d.res); f != nil {
			details["failedEvaluations"] = f
		}
		if err := tx.InsertAudit(ctx, s.audit(ctx, caller, "policy.deny", r.Key, "repo/"+r.Key+"/versions/"+d.versionID, now, details)); err != nil {
			return err
		}
		return tx.InsertEvent(ctx, meta.Event{Type: EventPolicyDenied, Aggregate: "version/" + d.versionID, Payload: payload, RequestID: requestID(ctx), CreatedAt: now})
	})
	if err != nil {
		return err
	}
	return policyDenied(d.res)
}
