package policy

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"

	"github.com/artifortress/artifortress/internal/format/semver"
)

// The names of the CEL variables an expression sees.
const (
	varRepo      = "repo"
	varVersion   = "version"
	varManifest  = "manifest"
	varPrincipal = "principal"
	varStage     = "stage"
	varNow       = "now"
)

// The keys of the map variables. Selecting any other key on them
// (version.nmae) is a compile error, so a typo fails Validate instead of
// failing every evaluation.
var knownKeys = map[string][]string{
	varRepo:      {"key", "type", "format"},
	varVersion:   {"id", "format", "namespace", "name", "package", "version", "createdBy", "entries", "size", "labels", "upstreamPublishedAt"},
	varPrincipal: {"subject"},
}

// environment is the one CEL environment every policy compiles in. A cel.Env
// is safe for concurrent use once built.
var environment = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable(varRepo, cel.MapType(cel.StringType, cel.StringType)),
		cel.Variable(varVersion, cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable(varManifest, cel.DynType),
		cel.Variable(varPrincipal, cel.MapType(cel.StringType, cel.StringType)),
		cel.Variable(varStage, cel.StringType),
		cel.Variable(varNow, cel.TimestampType),
		cel.Function("isSemver",
			cel.Overload("isSemver_string", []*cel.Type{cel.StringType}, cel.BoolType,
				cel.UnaryBinding(isSemver))),
		ext.Strings(),
		cel.ParserExpressionSizeLimit(MaxExpressionLength),
		cel.ASTValidators(
			keyValidator{},
			cel.ValidateDurationLiterals(),
			cel.ValidateTimestampLiterals(),
			cel.ValidateRegexLiterals(),
		),
	)
})

// isSemver implements isSemver(string) bool with the strict SemVer 2.0.0
// parser the formats use.
func isSemver(v ref.Val) ref.Val {
	s, ok := v.(types.String)
	if !ok {
		return types.MaybeNoSuchOverloadErr(v)
	}
	return types.Bool(semver.Valid(string(s)))
}

// compile parses and type-checks expr. Errors in expr are CodeInvalidPolicy
// fault errors for the "expression" field; any other error is internal.
func compile(expr string) (*cel.Ast, error) {
	env, err := environment()
	if err != nil {
		return nil, fmt.Errorf("policy: building the CEL environment: %w", err)
	}
	switch {
	case strings.TrimSpace(expr) == "":
		return nil, invalid("expression", "must not be empty")
	case len(expr) > MaxExpressionLength:
		return nil, invalid("expression", "must be at most %d bytes, not %d", MaxExpressionLength, len(expr))
	}
	checked, iss := env.Compile(expr)
	if iss != nil && iss.Err() != nil {
		return nil, invalid("expression", "%s", iss.Err().Error())
	}
	if t := checked.OutputType(); !t.IsExactType(cel.BoolType) {
		return nil, invalid("expression", "must evaluate to bool, not %s (compare dynamic values explicitly, for example manifest.private == true)", t)
	}
	return checked, nil
}

// keyValidator rejects selections of unknown keys on the map variables
// (version.nmae, has(repo.kye)). Maps accept any key when type-checked, so
// without it a typo would only show as an error at every evaluation.
type keyValidator struct{}

func (keyValidator) Name() string { return "artifortress.policy.keys" }

func (keyValidator) Validate(_ *cel.Env, _ cel.ValidatorConfig, a *ast.AST, iss *cel.Issues) {
	// A comprehension variable may shadow a variable's name
	// ([1].all(version, version > 0)); such expressions are left alone.
	shadowed := map[string]bool{}
	ast.PreOrderVisit(a.Expr(), ast.NewExprVisitor(func(e ast.Expr) {
		if e.Kind() == ast.ComprehensionKind {
			c := e.AsComprehension()
			shadowed[c.IterVar()] = true
			shadowed[c.IterVar2()] = true
			shadowed[c.AccuVar()] = true
		}
	}))
	ast.PreOrderVisit(a.Expr(), ast.NewExprVisitor(func(e ast.Expr) {
		if e.Kind() != ast.SelectKind {
			return
		}
		sel := e.AsSelect()
		if sel.Operand().Kind() != ast.IdentKind {
			return
		}
		name := sel.Operand().AsIdent()
		keys, ok := knownKeys[name]
		if !ok || shadowed[name] || slices.Contains(keys, sel.FieldName()) {
			return
		}
		iss.ReportErrorAtID(e.ID(), "%s has no key %q (it has %s)", name, sel.FieldName(), strings.Join(keys, ", "))
	}))
}
