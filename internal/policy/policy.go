package policy

import (
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/artifortress/artifortress/internal/fault"
)

// Actions applied when a policy's expression is false, and the fail-closed
// choices for OnError.
const (
	ActionDeny       = "deny"
	ActionQuarantine = "quarantine"
)

// Decisions of an evaluation and of a whole Result.
const (
	Allow      = "allow"
	Deny       = "deny"
	Quarantine = "quarantine"
)

// Limits on a policy's fields.
const (
	// MaxNameLength bounds Policy.Name.
	MaxNameLength = 64
	// MaxExpressionLength bounds Policy.Expression in bytes.
	MaxExpressionLength = 8192
	// MaxMessageLength bounds Policy.Message in bytes.
	MaxMessageLength = 1024
)

// CodeInvalidPolicy is the fault code of every error Validate returns.
const CodeInvalidPolicy = "invalid_policy"

// Policy is one named rule a version must satisfy to be published or promoted.
type Policy struct {
	// Name identifies the policy: [a-z0-9][a-z0-9._-]{0,63}.
	Name string
	// Expression is CEL that must type-check to bool: true means the version
	// complies.
	Expression string
	// Action is ActionDeny or ActionQuarantine, applied when Expression is false.
	Action string
	// Message is shown to the publisher when the policy does not pass (at most
	// MaxMessageLength bytes of UTF-8; may be empty).
	Message string
	// OnError is ActionDeny or ActionQuarantine: the decision when evaluation
	// fails or times out, so a broken policy fails closed.
	OnError string
}

// Entry is one file of a version as an expression sees it.
type Entry struct {
	Path      string
	Digest    string
	MediaType string
	Size      int64
}

// RepoInput describes the repository the version belongs to.
type RepoInput struct {
	Key, Type, Format string
}

// VersionInput describes the version being published or promoted.
type VersionInput struct {
	ID, Format, Namespace, Name, Package, Version, CreatedBy string
	Entries                                                  []Entry
	Labels                                                   map[string]string
	// UpstreamPublishedAt is when a remote repository's upstream published
	// the version; nil for local versions.
	UpstreamPublishedAt *time.Time
}

// PrincipalInput describes who publishes or promotes.
type PrincipalInput struct {
	Subject string
}

// Stages an Input may carry.
const (
	StagePublish = "publish"
	StagePromote = "promote"
	StageDryRun  = "dry-run"
)

// Input is what an expression sees. See the package documentation for the
// CEL variables it becomes.
type Input struct {
	Repo    RepoInput
	Version VersionInput
	// Manifest is the decoded JSON document of the version's manifest
	// (map[string]any, []any, string, float64, json.Number, bool, nil), nil
	// when the version has none.
	Manifest  any
	Principal PrincipalInput
	// Stage is StagePublish, StagePromote or StageDryRun.
	Stage string
	// Now is the evaluation time; the zero value means time.Now().
	Now time.Time
}

// Evaluation is the outcome of one policy.
type Evaluation struct {
	Policy string
	// Decision is Allow, Deny or Quarantine.
	Decision string
	// Passed reports that the expression evaluated to true.
	Passed bool
	// Message is the policy's message when it did not pass, the error text
	// when evaluation failed, and empty when it passed.
	Message string
	// Error is non-empty when evaluation failed or timed out; Decision is then
	// the policy's OnError.
	Error    string
	Duration time.Duration
}

// Result is the outcome of a set of policies.
type Result struct {
	// Decision is Deny if any evaluation denies, else Quarantine if any
	// quarantines, else Allow (also when there are no policies).
	Decision string
	// Evaluations holds one evaluation per policy, in the order given.
	Evaluations []Evaluation
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// invalid returns the error Validate reports for field.
func invalid(field, format string, args ...any) *fault.Error {
	e := fault.Coded(fault.KindBadRequest, CodeInvalidPolicy, format, args...)
	e.Message = field + ": " + e.Message
	return e.With("field", field)
}

// Validate checks a policy's fields and compiles its expression. Errors are
// fault errors of kind bad request with code CodeInvalidPolicy and a "field"
// detail naming the offending field ("name", "expression", "action",
// "message" or "onError"); for the expression the message carries CEL's
// error text.
func Validate(p Policy) error {
	if !nameRE.MatchString(p.Name) {
		return invalid("name", "%q must be 1 to %d characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit", p.Name, MaxNameLength)
	}
	if !validAction(p.Action) {
		return invalid("action", "must be %q or %q, not %q", ActionDeny, ActionQuarantine, p.Action)
	}
	if !validAction(p.OnError) {
		return invalid("onError", "must be %q or %q, not %q", ActionDeny, ActionQuarantine, p.OnError)
	}
	if len(p.Message) > MaxMessageLength {
		return invalid("message", "must be at most %d bytes, not %d", MaxMessageLength, len(p.Message))
	}
	if !utf8.ValidString(p.Message) {
		return invalid("message", "must be valid UTF-8")
	}
	_, err := compile(p.Expression)
	return err
}

func validAction(a string) bool { return a == ActionDeny || a == ActionQuarantine }
