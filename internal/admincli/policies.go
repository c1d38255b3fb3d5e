package admincli

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"
)

// policyActions are the decisions a policy applies: its action when its
// expression is false, its onError when evaluating it fails.
var policyActions = []string{"deny", "quarantine"}

const (
	// maxExpressionFileBytes bounds an expression read with
	// --expression-file; the server's own bound (8 KiB) is checked there.
	maxExpressionFileBytes = 64 << 10
	// maxExpressionCell bounds the expression shown in a list of policies;
	// the whole one is "policies get".
	maxExpressionCell = 60
	// maxMessageCell bounds a policy's message or an evaluation's error in a
	// list.
	maxMessageCell = 80
	// globalScope names the scope of a policy without repository in tables.
	globalScope = "(global)"
)

// policyInfo is the API's policy resource; Repo is empty for a global
// policy.
type policyInfo struct {
	Name       string `json:"name"`
	Repo       string `json:"repo"`
	Expression string `json:"expression"`
	Action     string `json:"action"`
	Message    string `json:"message"`
	OnError    string `json:"onError"`
	CreatedBy  string `json:"createdBy"`
	CreatedAt  string `json:"createdAt"`
	UpdatedBy  string `json:"updatedBy"`
	UpdatedAt  string `json:"updatedAt"`
}

// policyRequest is the body of POST and PUT of a policy; Name is sent only
// by create (PUT takes it from the path).
type policyRequest struct {
	Name       string `json:"name,omitempty"`
	Expression string `json:"expression"`
	Action     string `json:"action"`
	Message    string `json:"message,omitempty"`
	OnError    string `json:"onError,omitempty"`
}

// policyEvaluation is the outcome of one policy for one version: the answer
// of a dry run, and an item of a version's evaluation log (with Actor).
type policyEvaluation struct {
	Policy     string  `json:"policy"`
	Stage      string  `json:"stage"`
	Decision   string  `json:"decision"`
	Passed     bool    `json:"passed"`
	Message    string  `json:"message"`
	Error      string  `json:"error"`
	DurationMS float64 `json:"durationMs"`
	Actor      string  `json:"actor"`
	At         string  `json:"at"`
}

// policiesPath returns the escaped path of the policies of a scope: the
// global ones for repo "", else those of repository repo.
func policiesPath(repo string) string {
	if repo == "" {
		return "/v1/policies"
	}
	return Pathf("/v1/repos/%s/policies", repo)
}

// policyPath returns the escaped path of policy name of a scope.
func policyPath(repo, name string) string {
	return policiesPath(repo) + Pathf("/%s", name)
}

// policyScope shows the scope of a policy: its repository, or "(global)".
func policyScope(repo string) string {
	if repo == "" {
		return globalScope
	}
	return repo
}

// describePolicy names a policy and its scope in messages.
func describePolicy(repo, name string) string {
	if repo == "" {
		return "global policy " + name
	}
	return "policy " + name + " of repository " + repo
}

// scopeFlag is --repo of the policies commands: the scope of the policy.
type scopeFlag struct{ repo string }

func (f *scopeFlag) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.repo, "repo", "", "repository `key` whose policy this is (default: the global policies, which apply to every repository)")
}

// check refuses --repo "" given explicitly, and "." or "..".
func (f *scopeFlag) check(cmd *cobra.Command) error {
	if cmd.Flags().Changed("repo") && f.repo == "" {
		return usageErrorf("--repo must not be empty; leave it out for the global policies")
	}
	if f.repo == "." || f.repo == ".." {
		return usageErrorf("--repo must not be %q", f.repo)
	}
	return nil
}

// ruleFlags are the flags giving the rule of a policy to create or
// replace.
type ruleFlags struct {
	expression, expressionFile string
	action, message, onError   string
}

func (f *ruleFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.expression, "expression", "", "CEL `expression` a version must satisfy (true: it complies)")
	fs.StringVar(&f.expressionFile, "expression-file", "", "read the CEL expression from this `file` (- is standard input)")
	fs.StringVar(&f.action, "action", "", "what a version that does not comply gets: deny or quarantine (required)")
	fs.StringVar(&f.message, "message", "", "`text` given with the decision, e.g. what to fix")
	fs.StringVar(&f.onError, "on-error", "", "decision when evaluating the expression fails: deny or quarantine (default deny)")
	_ = cmd.RegisterFlagCompletionFunc("action", fixedCompletion(policyActions...))
	_ = cmd.RegisterFlagCompletionFunc("on-error", fixedCompletion(policyActions...))
}

// request checks the flags and returns the rule they give.
func (f *ruleFlags) request(cmd *cobra.Command) (policyRequest, error) {
	expr, err := f.readExpression(cmd)
	if err != nil {
		return policyRequest{}, err
	}
	if f.action == "" {
		return policyRequest{}, usageErrorf("--action is required: deny or quarantine")
	}
	if err := oneOf("--action", f.action, policyActions...); err != nil {
		return policyRequest{}, err
	}
	if cmd.Flags().Changed("on-error") {
		if err := oneOf("--on-error", f.onError, policyActions...); err != nil {
			return policyRequest{}, err
		}
	}
	return policyRequest{Expression: expr, Action: f.action, Message: f.message, OnError: f.onError}, nil
}

// readExpression returns the expression of --expression or
// --expression-file, exactly one of which must be given.
func (f *ruleFlags) readExpression(cmd *cobra.Command) (string, error) {
	inline, fromFile := cmd.Flags().Changed("expression"), cmd.Flags().Changed("expression-file")
	switch {
	case inline && fromFile:
		return "", usageErrorf("--expression and --expression-file are mutually exclusive")
	case inline:
		if f.expression == "" {
			return "", usageErrorf("--expression must not be empty")
		}
		return f.expression, nil
	case !fromFile:
		return "", usageErrorf("an expression is required: give --expression EXPR or --expression-file FILE")
	}
	if f.expressionFile == "" {
		return "", usageErrorf("--expression-file must not be empty (- is standard input)")
	}
	b, err := readInput(cmd, f.expressionFile, maxExpressionFileBytes)
	if err != nil {
		return "", err
	}
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return "", usageErrorf("--expression-file %s is empty", f.expressionFile)
	case !utf8.Valid(b):
		return "", usageErrorf("--expression-file %s is not UTF-8 text", f.expressionFile)
	}
	return string(b), nil
}

func newPoliciesCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "policies",
		Aliases: []string{"policy"},
		Short:   "Manage publishing policies (CEL) and try them on versions",
		Long: `Manage publishing policies: named CEL expressions (https://cel.dev) a version must
satisfy when it is published or promoted. True means the version complies. When the
expression is false the policy's action applies: deny refuses the publish (403
policy_denied), quarantine publishes the version into the repository's quarantine
lane ("artifortress admin quarantine"), where it stays hidden until released. When
evaluating fails (a missing manifest key read without has(), a timeout, ...) the
policy's on-error decision applies (deny by default), so a broken policy fails
closed. Across policies, deny beats quarantine beats allow.

A policy is global (the default: it applies to every repository; managed with the
global admin scope) or belongs to one repository (--repo; managed by the
repository's administrators, read by its readers).

An expression sees repo (key, type, format), version (id, format, namespace, name,
package, version, createdBy, entries (path, digest, mediaType, size), size, labels,
upstreamPublishedAt for remote versions), manifest (the decoded JSON manifest),
principal (subject), stage ("publish", "promote" or "dry-run") and now, with the
CEL standard library, the strings extension and isSemver(string). Examples:

  version.entries.all(e, e.size <= 10485760)       every file at most 10 MiB
  isSemver(version.version)                        SemVer required
  'team' in version.labels                         a team label is required
  !has(manifest.license) || manifest.license != 'AGPL-3.0-only'

"dry-run" evaluates a stored policy against a version, drafts included, without
recording anything; "artifortress admin versions evaluations" shows what the
policies decided when a version was published.`,
		Example: `  artifortress admin policies create semver --expression 'isSemver(version.version)' --action deny --message "versions are SemVer"
  artifortress admin policies create needs-team --repo npm-local --expression-file needs-team.cel --action quarantine
  artifortress admin policies list --repo npm-local --effective
  artifortress admin policies dry-run semver --target-repo npm-local --version-id ver_0123456789abcdef01234567`,
		Args: cobra.NoArgs,
		RunE: showHelp,
	}
	cmd.AddCommand(
		newPoliciesListCommand(o),
		newPoliciesGetCommand(o),
		newPoliciesCreateCommand(o),
		newPoliciesPutCommand(o),
		newPoliciesDeleteCommand(o),
		newPoliciesDryRunCommand(o),
	)
	return cmd
}

func newPoliciesListCommand(o *options) *cobra.Command {
	var (
		scope     scopeFlag
		effective bool
	)
	cmd := &cobra.Command{
		Use:   "list [--repo KEY [--effective]]",
		Short: "List the global policies, or those of a repository",
		Long: `List policies by name: the global ones, or with --repo those of one repository.
--effective adds the global policies to a repository's: every policy a publish
there is checked against. Expressions are cut in the table; see "policies get" or
-o json for the whole of them.`,
		Example: `  artifortress admin policies list
  artifortress admin policies list --repo npm-local --effective
  artifortress admin policies list --repo npm-local -o json`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := scope.check(cmd); err != nil {
				return err
			}
			q := url.Values{}
			if effective {
				if scope.repo == "" {
					return usageErrorf("--effective needs --repo: the global policies and those of a repository")
				}
				q.Set("effective", "true")
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var res struct {
				Items []policyInfo `json:"items"`
			}
			raw, err := s.client.Call(s.ctx, http.MethodGet, policiesPath(scope.repo), q, nil, &res)
			if err != nil {
				return err
			}
			return s.print(raw, func(w io.Writer) error {
				t := newTable(w, "NAME", "SCOPE", "ACTION", "ON ERROR", "EXPRESSION")
				for _, p := range res.Items {
					t.row(p.Name, policyScope(p.Repo), p.Action, p.OnError, clip(oneLine(p.Expression), maxExpressionCell))
				}
				return t.flush()
			})
		},
	}
	scope.register(cmd)
	cmd.Flags().BoolVar(&effective, "effective", false, "with --repo: list the global policies too, every policy a publish there is checked against")
	return cmd
}

func newPoliciesGetCommand(o *options) *cobra.Command {
	var scope scopeFlag
	cmd := &cobra.Command{
		Use:   "get NAME [--repo KEY]",
		Short: "Show a policy with its whole expression",
		Long: `Show a policy: its rule and who changed it last. The expression is shown on one
line in the table; -o json keeps it as written, e.g. to edit it:

  artifortress admin policies get semver -o json | jq -r .expression > semver.cel`,
		Example: `  artifortress admin policies get semver
  artifortress admin policies get needs-team --repo npm-local -o json`,
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkPolicyArgs(cmd, &scope, args); err != nil {
				return err
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var p policyInfo
			raw, err := s.client.Call(s.ctx, http.MethodGet, policyPath(scope.repo, args[0]), nil, nil, &p)
			if err != nil {
				return err
			}
			return s.print(raw, func(w io.Writer) error { return writePolicy(w, &p) })
		},
	}
	scope.register(cmd)
	return cmd
}

// checkPolicyArgs checks --repo and the NAME argument of a command on one
// policy.
func checkPolicyArgs(cmd *cobra.Command, scope *scopeFlag, args []string) error {
	if err := scope.check(cmd); err != nil {
		return err
	}
	return checkSegments([]string{"NAME"}, args)
}

func newPoliciesCreateCommand(o *options) *cobra.Command {
	var (
		scope scopeFlag
		rule  ruleFlags
	)
	cmd := &cobra.Command{
		Use:   "create NAME (--expression EXPR | --expression-file FILE) --action deny|quarantine [--message M] [--on-error deny|quarantine] [--repo KEY]",
		Short: "Create a policy; refused when one of that name exists",
		Long: `Create a policy, global or with --repo of one repository. NAME is 1 to 64 characters
of a-z, 0-9, ".", "_" or "-", starting with a letter or digit; a policy of that name
in the same scope is refused with conflict (replace it with "policies put").

The expression comes from --expression or, as CEL expressions get long, from a file
with --expression-file (- for standard input; surrounding white space is dropped).
The server compiles it first: an expression that does not parse, names an unknown
variable or key, or is not a bool is refused with invalid_policy and CEL's message.`,
		Example: `  artifortress admin policies create semver --expression 'isSemver(version.version)' --action deny --message "versions are SemVer"
  artifortress admin policies create max-size --repo npm-local --expression 'version.entries.all(e, e.size <= 10485760)' --action quarantine
  artifortress admin policies create license --expression-file license.cel --action deny --on-error quarantine
  cat license.cel | artifortress admin policies create license --expression-file - --action deny`,
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkPolicyArgs(cmd, &scope, args); err != nil {
				return err
			}
			req, err := rule.request(cmd)
			if err != nil {
				return err
			}
			req.Name = args[0]
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var p policyInfo
			raw, err := s.client.Call(s.ctx, http.MethodPost, policiesPath(scope.repo), nil, req, &p)
			if err != nil {
				return err
			}
			return s.print(raw, func(w io.Writer) error { return writePolicy(w, &p) })
		},
	}
	scope.register(cmd)
	rule.register(cmd)
	return cmd
}

func newPoliciesPutCommand(o *options) *cobra.Command {
	var (
		scope scopeFlag
		rule  ruleFlags
	)
	cmd := &cobra.Command{
		Use:   "put NAME (--expression EXPR | --expression-file FILE) --action deny|quarantine [--message M] [--on-error deny|quarantine] [--repo KEY]",
		Short: "Create a policy, or replace the rule of the one of that name",
		Long: `Create a policy, or replace the whole rule of the policy of that name in the scope
(global, or with --repo of one repository): expression, action, message and
on-error. A flag left out takes its default (no message, on-error deny), whatever
the policy had. A note on standard error says whether the policy was created or
replaced. The flags are those of "policies create".`,
		Example: `  artifortress admin policies put semver --expression 'isSemver(version.version)' --action quarantine
  artifortress admin policies put license --repo npm-local --expression-file license.cel --action deny --message "no AGPL"`,
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkPolicyArgs(cmd, &scope, args); err != nil {
				return err
			}
			req, err := rule.request(cmd)
			if err != nil {
				return err
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			path := policyPath(scope.repo, args[0])
			resp, err := s.client.send(s.ctx, http.MethodPut, path, nil, req)
			if err != nil {
				return err
			}
			var p policyInfo
			raw, err := decodeAnswer(http.MethodPut, path, resp, &p)
			if err != nil {
				return err
			}
			verb := "Replaced"
			if resp.status == http.StatusCreated {
				verb = "Created"
			}
			fmt.Fprintf(s.errOut, "%s %s.\n", verb, sanitize(describePolicy(scope.repo, args[0])))
			return s.print(raw, func(w io.Writer) error { return writePolicy(w, &p) })
		},
	}
	scope.register(cmd)
	rule.register(cmd)
	return cmd
}

func newPoliciesDeleteCommand(o *options) *cobra.Command {
	var scope scopeFlag
	cmd := &cobra.Command{
		Use:   "delete NAME [--repo KEY]",
		Short: "Delete a policy",
		Long: `Delete a policy: publishes are no longer checked against it. Versions it held stay
in the quarantine lane until released or rejected.`,
		Example: `  artifortress admin policies delete semver
  artifortress admin policies delete needs-team --repo npm-local`,
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkPolicyArgs(cmd, &scope, args); err != nil {
				return err
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			if _, err := s.client.Call(s.ctx, http.MethodDelete, policyPath(scope.repo, args[0]), nil, nil, nil); err != nil {
				return err
			}
			return s.done(fmt.Sprintf("Deleted %s.", sanitize(describePolicy(scope.repo, args[0]))))
		},
	}
	scope.register(cmd)
	return cmd
}

func newPoliciesDryRunCommand(o *options) *cobra.Command {
	var (
		scope             scopeFlag
		versionID, target string
	)
	cmd := &cobra.Command{
		Use:   "dry-run NAME --version-id ID (--repo KEY | --target-repo KEY)",
		Short: "Evaluate a policy against a version, without effect",
		Long: `Evaluate a stored policy against a version (a draft or a published one) and show what
it would decide: allow, deny or quarantine, with its message, or the evaluation
error and the on-error decision. Nothing is recorded and nothing changes. Needs
role write on the version's repository.

A repository's policy (--repo) is tried on a version of that repository. A global
policy is tried on a version of the repository given with --target-repo.

The exit status is 0 whatever the policy decides; in scripts read the decision
with -o json, e.g. jq -e .passed.`,
		Example: `  artifortress admin policies dry-run max-size --repo npm-local --version-id ver_0123456789abcdef01234567
  artifortress admin policies dry-run semver --target-repo npm-local --version-id ver_0123456789abcdef01234567 -o json`,
		Args: exactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkPolicyArgs(cmd, &scope, args); err != nil {
				return err
			}
			if versionID == "" {
				return usageErrorf("--version-id is required: the version to evaluate the policy against")
			}
			if err := checkVersionID(versionID); err != nil {
				return err
			}
			body := map[string]string{"versionId": versionID}
			switch {
			case scope.repo == "" && target == "":
				return usageErrorf("--target-repo is required for a global policy: the repository of the version (or give --repo for a repository's policy)")
			case scope.repo == "":
				body["repo"] = target
			case target != "" && target != scope.repo:
				return usageErrorf("--target-repo %q differs from --repo %q: a repository's policy is tried on versions of that repository", target, scope.repo)
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var ev policyEvaluation
			raw, err := s.client.Call(s.ctx, http.MethodPost, policyPath(scope.repo, args[0])+"/dry-run", nil, body, &ev)
			if err != nil {
				return err
			}
			return s.print(raw, func(w io.Writer) error { return writeEvaluation(w, &ev) })
		},
	}
	scope.register(cmd)
	f := cmd.Flags()
	f.StringVar(&versionID, "version-id", "", "the `versionId` of the version to evaluate (ver_...; required)")
	f.StringVar(&target, "target-repo", "", "repository `key` of the version, for a global policy")
	return cmd
}

func writePolicy(w io.Writer, p *policyInfo) error {
	return writeFields(w, [][2]string{
		{"Name", p.Name},
		{"Scope", policyScope(p.Repo)},
		{"Action", p.Action},
		{"On error", p.OnError},
		{"Message", p.Message},
		{"Expression", oneLine(p.Expression)},
		{"Created", p.CreatedAt},
		{"Created by", p.CreatedBy},
		{"Updated", p.UpdatedAt},
		{"Updated by", p.UpdatedBy},
	})
}

func writeEvaluation(w io.Writer, ev *policyEvaluation) error {
	return writeFields(w, [][2]string{
		{"Policy", ev.Policy},
		{"Stage", ev.Stage},
		{"Decision", ev.Decision},
		{"Passed", strconv.FormatBool(ev.Passed)},
		{"Message", ev.Message},
		{"Error", ev.Error},
		{"Duration", formatMS(ev.DurationMS)},
		{"At", ev.At},
	})
}

// formatMS shows a duration in milliseconds as the server measured it.
func formatMS(ms float64) string {
	return strconv.FormatFloat(ms, 'f', -1, 64) + "ms"
}

// oneLine shows text written on several lines (an expression) on one,
// its runs of white space and control characters collapsed to one space.
func oneLine(s string) string { return strings.Join(strings.Fields(sanitize(s)), " ") }

// evaluationNote is the MESSAGE cell of an evaluation: its error when
// evaluation failed, else its message.
func evaluationNote(ev *policyEvaluation) string {
	if ev.Error != "" {
		return "error: " + ev.Error
	}
	return ev.Message
}
