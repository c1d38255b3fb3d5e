package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/interpreter"

	"github.com/artifortress/artifortress/internal/fault"
)

// Defaults for Options.
const (
	DefaultTimeout   = 100 * time.Millisecond
	DefaultCostLimit = 1_000_000
	// cacheSize bounds the Engine's compiled programs; the cache is emptied
	// when it is full.
	cacheSize = 1024
	// interruptEvery is how many comprehension iterations pass between checks
	// of the timeout.
	interruptEvery = 100
)

// Options configures an Engine.
type Options struct {
	// Timeout bounds the evaluation of one policy; 0 means DefaultTimeout.
	Timeout time.Duration
	// CostLimit bounds CEL's runtime cost of one policy; 0 means
	// DefaultCostLimit.
	CostLimit uint64
}

// Engine evaluates policies. It keeps the programs it compiled, keyed by
// expression text, so repeated evaluations do not recompile. An Engine is
// safe for concurrent use.
type Engine struct {
	timeout   time.Duration
	costLimit uint64

	mu    sync.Mutex
	cache map[string]compiled
}

// compiled is a cached compilation: a program or the error compiling it.
type compiled struct {
	prg cel.Program
	err error
}

// NewEngine returns an Engine with opt, defaults filled in.
func NewEngine(opt Options) *Engine {
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.CostLimit == 0 {
		opt.CostLimit = DefaultCostLimit
	}
	return &Engine{timeout: opt.Timeout, costLimit: opt.CostLimit, cache: make(map[string]compiled)}
}

// program returns the compiled program of expr, from the cache when it can.
// Compilation errors are cached too: a stored expression that no longer
// compiles fails every evaluation the same way.
func (e *Engine) program(expr string) (cel.Program, error) {
	e.mu.Lock()
	c, ok := e.cache[expr]
	e.mu.Unlock()
	if ok {
		return c.prg, c.err
	}
	c.prg, c.err = e.build(expr)
	e.mu.Lock()
	if len(e.cache) >= cacheSize {
		clear(e.cache)
	}
	e.cache[expr] = c
	e.mu.Unlock()
	return c.prg, c.err
}

func (e *Engine) build(expr string) (cel.Program, error) {
	checked, err := compile(expr)
	if err != nil {
		if fe := fault.As(err); fe != nil {
			return nil, fmt.Errorf("compiling: %s", fe.Message)
		}
		return nil, err
	}
	env, err := environment()
	if err != nil {
		return nil, err
	}
	return env.Program(checked,
		cel.InterruptCheckFrequency(interruptEvery),
		cel.CostLimit(e.costLimit))
}

// Evaluate evaluates every policy against in, in order, each under its own
// timeout and cost limit. It never panics: a policy whose expression does not
// compile, fails at runtime, runs out of time or cost, or does not yield a
// bool gets its OnError decision. An Action or OnError outside ActionDeny and
// ActionQuarantine (a policy that never went through Validate) counts as
// ActionDeny.
func (e *Engine) Evaluate(ctx context.Context, policies []Policy, in Input) Result {
	res := Result{Decision: Allow, Evaluations: make([]Evaluation, 0, len(policies))}
	vars, err := activation(in)
	for _, p := range policies {
		var ev Evaluation
		if err != nil {
			ev = Evaluation{Policy: p.Name, Decision: failClosed(p.OnError), Error: err.Error(), Message: err.Error()}
		} else {
			ev = e.evaluate(ctx, p, vars)
		}
		res.Evaluations = append(res.Evaluations, ev)
		res.Decision = combine(res.Decision, ev.Decision)
	}
	return res
}

// combine returns the stronger of two decisions: deny, then quarantine, then allow.
func combine(a, b string) string {
	switch {
	case a == Deny || b == Deny:
		return Deny
	case a == Quarantine || b == Quarantine:
		return Quarantine
	default:
		return Allow
	}
}

// failClosed maps an action to its decision, ActionDeny when it is unknown.
func failClosed(action string) string {
	if action == ActionQuarantine {
		return Quarantine
	}
	return Deny
}

func (e *Engine) evaluate(ctx context.Context, p Policy, vars cel.Activation) (ev Evaluation) {
	ev.Policy = p.Name
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			ev.Passed = false
			ev.Error = fmt.Sprintf("evaluation failed: internal error: %v", r)
		}
		ev.Duration = time.Since(start)
		if ev.Error != "" {
			ev.Decision = failClosed(p.OnError)
			ev.Message = ev.Error
			return
		}
		if ev.Passed {
			ev.Decision = Allow
			return
		}
		ev.Decision = failClosed(p.Action)
		ev.Message = p.Message
	}()
	prg, err := e.program(p.Expression)
	if err != nil {
		ev.Error = err.Error()
		return ev
	}
	if err := ctx.Err(); err != nil {
		ev.Error = fmt.Sprintf("evaluation cancelled: %v", context.Cause(ctx))
		return ev
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	out, _, err := prg.ContextEval(ctx, vars)
	if err != nil {
		ev.Error = e.describe(ctx, err)
		return ev
	}
	b, ok := out.(types.Bool)
	if !ok {
		ev.Error = fmt.Sprintf("evaluation failed: the expression yielded %s, not bool", out.Type().TypeName())
		return ev
	}
	ev.Passed = bool(b)
	return ev
}

// describe turns an evaluation error into text for the publisher.
func (e *Engine) describe(ctx context.Context, err error) string {
	var cancelled interpreter.EvalCancelledError
	switch {
	case errors.As(err, &cancelled) && cancelled.Cause == interpreter.CostLimitExceeded:
		return fmt.Sprintf("evaluation exceeded the cost limit of %d", e.costLimit)
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(context.Cause(ctx), context.DeadlineExceeded):
		return fmt.Sprintf("evaluation timed out after %s", e.timeout)
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		return fmt.Sprintf("evaluation cancelled: %v", context.Cause(ctx))
	default:
		return "evaluation failed: " + err.Error()
	}
}

// activation builds the CEL variables from in. See the package documentation.
func activation(in Input) (cel.Activation, error) {
	entries := make([]any, 0, len(in.Version.Entries))
	var size int64
	for _, en := range in.Version.Entries {
		entries = append(entries, map[string]any{
			"path":      en.Path,
			"digest":    en.Digest,
			"size":      en.Size,
			"mediaType": en.MediaType,
		})
		size += en.Size
	}
	labels := in.Version.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	version := map[string]any{
		"id":        in.Version.ID,
		"format":    in.Version.Format,
		"namespace": in.Version.Namespace,
		"name":      in.Version.Name,
		"package":   in.Version.Package,
		"version":   in.Version.Version,
		"createdBy": in.Version.CreatedBy,
		"entries":   entries,
		"size":      size,
		"labels":    labels,
	}
	if t := in.Version.UpstreamPublishedAt; t != nil {
		version["upstreamPublishedAt"] = types.Timestamp{Time: *t}
	}
	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}
	manifest := normalize(in.Manifest)
	if manifest == nil {
		manifest = map[string]any{}
	}
	return cel.NewActivation(map[string]any{
		varRepo:      map[string]string{"key": in.Repo.Key, "type": in.Repo.Type, "format": in.Repo.Format},
		varVersion:   version,
		varManifest:  manifest,
		varPrincipal: map[string]string{"subject": in.Principal.Subject},
		varStage:     in.Stage,
		varNow:       types.Timestamp{Time: now},
	})
}

// maxExactInt is the largest magnitude below which every float64 integer
// converts to int64 exactly.
const maxExactInt = 1 << 53

// normalize returns a copy of a decoded JSON document in which numbers that
// are whole (float64 or json.Number) are int64, so expressions can write
// manifest.count > 3 and manifest.count + 1; other numbers stay double.
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = normalize(x)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, x := range t {
			l[i] = normalize(x)
		}
		return l
	case float64:
		if t == math.Trunc(t) && math.Abs(t) <= maxExactInt {
			return int64(t)
		}
		return t
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return i
		}
		if f, err := t.Float64(); err == nil {
			return normalize(f)
		}
		return string(t)
	default:
		return v
	}
}
