package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/fault"
)

// The expressions documented as examples in doc.go.
const (
	exMaxSize      = `version.entries.all(e, e.size <= 10485760)`
	exLicences     = `!has(manifest.license) || !(manifest.license in ['GPL-3.0-only', 'AGPL-3.0-only'])`
	exSemver       = `isSemver(version.version)`
	exMinimumAge   = `!has(version.upstreamPublishedAt) || now - version.upstreamPublishedAt >= duration('72h')`
	exRequiredTeam = `'team' in version.labels`
)

var now = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)

// baseInput is a small, compliant npm version; each case changes a copy.
func baseInput() Input {
	var in Input
	in.Repo = RepoInput{Key: "npm-local", Type: "local", Format: "npm"}
	in.Version = VersionInput{
		ID: "v1", Format: "npm", Name: "left-pad", Package: "left-pad", Version: "1.3.0", CreatedBy: "alice",
		Entries: []Entry{{Path: "left-pad-1.3.0.tgz", Digest: "sha256:00", MediaType: "application/gzip", Size: 1024}},
		Labels:  map[string]string{"team": "web"},
	}
	in.Manifest = map[string]any{"name": "left-pad", "version": "1.3.0", "license": "MIT"}
	in.Principal.Subject = "alice"
	in.Stage = StagePublish
	in.Now = now
	return in
}

func at(t time.Time) *time.Time { return &t }

func TestDocumentedExamples(t *testing.T) {
	cases := []struct {
		name   string
		expr   string
		change func(*Input)
		passed bool
	}{
		{"size/small", exMaxSize, func(*Input) {}, true},
		{"size/exactly the limit", exMaxSize, func(in *Input) { in.Version.Entries[0].Size = 10485760 }, true},
		{"size/no entries", exMaxSize, func(in *Input) { in.Version.Entries = nil }, true},
		{"size/one entry too large", exMaxSize, func(in *Input) {
			in.Version.Entries = append(in.Version.Entries, Entry{Path: "big.bin", Size: 10485761})
		}, false},

		{"licence/MIT", exLicences, func(*Input) {}, true},
		{"licence/absent", exLicences, func(in *Input) { in.Manifest = map[string]any{"name": "x"} }, true},
		{"licence/no manifest", exLicences, func(in *Input) { in.Manifest = nil }, true},
		{"licence/GPL", exLicences, func(in *Input) { in.Manifest.(map[string]any)["license"] = "GPL-3.0-only" }, false},
		{"licence/AGPL from JSON", exLicences, func(in *Input) {
			var m any
			if err := json.Unmarshal([]byte(`{"name":"x","license":"AGPL-3.0-only","info":{"n":1}}`), &m); err != nil {
				panic(err)
			}
			in.Manifest = m
		}, false},

		{"semver/valid", exSemver, func(*Input) {}, true},
		{"semver/pre-release", exSemver, func(in *Input) { in.Version.Version = "2.0.0-rc.1+build.5" }, true},
		{"semver/leading v", exSemver, func(in *Input) { in.Version.Version = "v1.3.0" }, false},
		{"semver/two parts", exSemver, func(in *Input) { in.Version.Version = "1.3" }, false},

		{"age/local version", exMinimumAge, func(*Input) {}, true},
		{"age/old enough", exMinimumAge, func(in *Input) { in.Version.UpstreamPublishedAt = at(now.Add(-72 * time.Hour)) }, true},
		{"age/too recent", exMinimumAge, func(in *Input) { in.Version.UpstreamPublishedAt = at(now.Add(-71 * time.Hour)) }, false},

		{"label/present", exRequiredTeam, func(*Input) {}, true},
		{"label/other labels", exRequiredTeam, func(in *Input) { in.Version.Labels = map[string]string{"owner": "bob"} }, false},
		{"label/no labels", exRequiredTeam, func(in *Input) { in.Version.Labels = nil }, false},
	}
	e := NewEngine(Options{})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := Policy{Name: "example", Expression: c.expr, Action: ActionDeny, Message: "not compliant", OnError: ActionQuarantine}
			if err := Validate(p); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			in := baseInput()
			c.change(&in)
			res := e.Evaluate(context.Background(), []Policy{p}, in)
			if len(res.Evaluations) != 1 {
				t.Fatalf("got %d evaluations, want 1", len(res.Evaluations))
			}
			ev := res.Evaluations[0]
			if ev.Error != "" {
				t.Fatalf("evaluation error: %s", ev.Error)
			}
			want, wantMsg := Allow, ""
			if !c.passed {
				want, wantMsg = Deny, "not compliant"
			}
			if ev.Passed != c.passed || ev.Decision != want || res.Decision != want || ev.Message != wantMsg || ev.Policy != "example" {
				t.Fatalf("got %+v (result %s), want passed=%v decision=%s message=%q", ev, res.Decision, c.passed, want, wantMsg)
			}
		})
	}
}

func TestVariables(t *testing.T) {
	in := baseInput()
	in.Version.Namespace = "@acme"
	in.Version.Entries = append(in.Version.Entries, Entry{Path: "README.md", Digest: "sha256:11", MediaType: "text/markdown", Size: 10})
	in.Version.UpstreamPublishedAt = at(now.Add(-time.Hour))
	in.Stage = StagePromote
	in.Principal.Subject = "ci@acme"
	in.Manifest = map[string]any{"count": float64(3), "ratio": 0.5, "big": json.Number("12"), "frac": json.Number("1.5"), "list": []any{float64(1), "x"}}
	exprs := []string{
		`repo.key == 'npm-local' && repo.type == 'local' && repo.format == 'npm'`,
		`version.id == 'v1' && version.format == 'npm' && version.namespace == '@acme' && version.name == 'left-pad'`,
		`version.package == 'left-pad' && version.version == '1.3.0' && version.createdBy == 'alice'`,
		`version.size == 1034 && size(version.entries) == 2`,
		`version.entries[1].path == 'README.md' && version.entries[1].digest == 'sha256:11' && version.entries[1].mediaType == 'text/markdown' && version.entries[1].size == 10`,
		`version.labels.team == 'web' && version.labels['team'].startsWith('w')`,
		`version.upstreamPublishedAt == timestamp('2026-03-14T11:00:00Z')`,
		`now == timestamp('2026-03-14T12:00:00Z')`,
		`principal.subject == 'ci@acme' && stage == 'promote'`,
		`manifest.count + 1 == 4 && manifest.ratio == 0.5 && manifest.big == 12 && manifest.frac == 1.5 && manifest.list[0] == 1`,
		`version.name.matches('^left-') && version.name.upperAscii() == 'LEFT-PAD' && version.name.split('-').size() == 2`,
	}
	e := NewEngine(Options{})
	for _, x := range exprs {
		p := Policy{Name: "v", Expression: x, Action: ActionDeny, OnError: ActionDeny}
		if err := Validate(p); err != nil {
			t.Errorf("Validate(%s): %v", x, err)
			continue
		}
		if ev := e.Evaluate(context.Background(), []Policy{p}, in).Evaluations[0]; !ev.Passed || ev.Error != "" {
			t.Errorf("%s: got %+v, want passed", x, ev)
		}
	}
}

func TestValidate(t *testing.T) {
	valid := Policy{Name: "max-size", Expression: exMaxSize, Action: ActionDeny, OnError: ActionDeny, Message: "too large"}
	if err := Validate(valid); err != nil {
		t.Fatalf("Validate(valid) = %v", err)
	}
	for _, ok := range []func(*Policy){
		func(p *Policy) { p.Name = "0" },
		func(p *Policy) { p.Name = "a" + strings.Repeat("z", 63) },
		func(p *Policy) { p.Name = "team.web_rules-2" },
		func(p *Policy) { p.Action, p.OnError = ActionQuarantine, ActionQuarantine },
		func(p *Policy) { p.Message = "" },
		func(p *Policy) { p.Message = strings.Repeat("é", MaxMessageLength/2) },
		func(p *Policy) { p.Expression = "true" },
		func(p *Policy) { p.Expression = "[1].all(version, version > 0)" }, // shadowing is not a key error
	} {
		p := valid
		ok(&p)
		if err := Validate(p); err != nil {
			t.Errorf("Validate(%+v) = %v, want nil", p, err)
		}
	}

	cases := []struct {
		name   string
		change func(*Policy)
		field  string
		text   string // in the message
	}{
		{"empty name", func(p *Policy) { p.Name = "" }, "name", "must be"},
		{"upper-case name", func(p *Policy) { p.Name = "MaxSize" }, "name", "must be"},
		{"name starting with dash", func(p *Policy) { p.Name = "-a" }, "name", "must be"},
		{"name with space", func(p *Policy) { p.Name = "max size" }, "name", "must be"},
		{"name too long", func(p *Policy) { p.Name = strings.Repeat("a", 65) }, "name", "must be"},
		{"empty action", func(p *Policy) { p.Action = "" }, "action", `"deny" or "quarantine"`},
		{"allow action", func(p *Policy) { p.Action = "allow" }, "action", `not "allow"`},
		{"bad onError", func(p *Policy) { p.OnError = "Deny" }, "onError", `not "Deny"`},
		{"empty onError", func(p *Policy) { p.OnError = "" }, "onError", "must be"},
		{"message too long", func(p *Policy) { p.Message = strings.Repeat("x", MaxMessageLength+1) }, "message", "at most 1024 bytes"},
		{"message not UTF-8", func(p *Policy) { p.Message = "\xff" }, "message", "UTF-8"},
		{"empty expression", func(p *Policy) { p.Expression = "  " }, "expression", "must not be empty"},
		{"expression too long", func(p *Policy) { p.Expression = "true" + strings.Repeat(" ", MaxExpressionLength) }, "expression", "at most"},
		{"syntax error", func(p *Policy) { p.Expression = "version.size >" }, "expression", "Syntax error"},
		{"unbalanced", func(p *Policy) { p.Expression = "(true" }, "expression", "Syntax error"},
		{"unknown identifier", func(p *Policy) { p.Expression = "verison.name == 'x'" }, "expression", "undeclared reference to 'verison'"},
		{"unknown function", func(p *Policy) { p.Expression = "isSemVer(version.version)" }, "expression", "undeclared reference to 'isSemVer'"},
		{"unknown version key", func(p *Policy) { p.Expression = "version.nmae == 'x'" }, "expression", `version has no key "nmae"`},
		{"unknown repo key in has", func(p *Policy) { p.Expression = "has(repo.kind)" }, "expression", `repo has no key "kind"`},
		{"unknown principal key", func(p *Policy) { p.Expression = "principal.name == 'x'" }, "expression", `principal has no key "name"`},
		{"int result", func(p *Policy) { p.Expression = "version.size + 1" }, "expression", "must evaluate to bool, not int"},
		{"string result", func(p *Policy) { p.Expression = "version.name.lowerAscii()" }, "expression", "must evaluate to bool"},
		{"dyn result", func(p *Policy) { p.Expression = "manifest.private" }, "expression", "must evaluate to bool, not dyn"},
		{"type error", func(p *Policy) { p.Expression = "stage == 1" }, "expression", "no matching overload"},
		{"isSemver on int", func(p *Policy) { p.Expression = "isSemver(1)" }, "expression", "no matching overload"},
		{"bad duration literal", func(p *Policy) { p.Expression = "now - version.upstreamPublishedAt >= duration('72x')" }, "expression", "duration"},
		{"bad regex literal", func(p *Policy) { p.Expression = "version.name.matches('[')" }, "expression", "matches"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := valid
			c.change(&p)
			err := Validate(p)
			fe := fault.As(err)
			if fe == nil {
				t.Fatalf("Validate(%+v) = %v, want a fault error", p, err)
			}
			if fe.Kind != fault.KindBadRequest || fe.Code != CodeInvalidPolicy || fe.Details["field"] != c.field {
				t.Fatalf("got kind %v code %q field %v, want bad request %q field %q (%v)", fe.Kind, fe.Code, fe.Details["field"], CodeInvalidPolicy, c.field, err)
			}
			if !strings.HasPrefix(fe.Message, c.field+": ") || !strings.Contains(fe.Message, c.text) {
				t.Fatalf("message %q does not start with %q and contain %q", fe.Message, c.field+": ", c.text)
			}
		})
	}
}

// expensive runs 10^7 iterations of nested comprehensions over a list built
// in the expression: seconds without a timeout or cost limit.
const expensive = `[0,1,2,3,4,5,6,7,8,9].all(a, [0,1,2,3,4,5,6,7,8,9].all(b, [0,1,2,3,4,5,6,7,8,9].all(c,
	[0,1,2,3,4,5,6,7,8,9].all(d, [0,1,2,3,4,5,6,7,8,9].all(f, [0,1,2,3,4,5,6,7,8,9].all(g,
	[0,1,2,3,4,5,6,7,8,9].all(h, a + b + c + d + f + g + h >= 0)))))))`

func TestTimeoutFailsClosed(t *testing.T) {
	p := Policy{Name: "slow", Expression: expensive, Action: ActionDeny, OnError: ActionQuarantine, Message: "m"}
	if err := Validate(p); err != nil {
		t.Fatal(err)
	}
	e := NewEngine(Options{Timeout: time.Millisecond, CostLimit: math.MaxUint64})
	res := e.Evaluate(context.Background(), []Policy{p}, baseInput())
	ev := res.Evaluations[0]
	if ev.Decision != Quarantine || res.Decision != Quarantine || ev.Passed || !strings.Contains(ev.Error, "timed out") || ev.Message != ev.Error {
		t.Fatalf("got %+v, want a timeout that quarantines", ev)
	}
	if ev.Duration > 2*time.Second {
		t.Fatalf("evaluation took %s: the timeout did not interrupt it", ev.Duration)
	}
	// The same policy denies when it is told to fail closed with deny.
	p.OnError = ActionDeny
	if ev := e.Evaluate(context.Background(), []Policy{p}, baseInput()).Evaluations[0]; ev.Decision != Deny || ev.Error == "" {
		t.Fatalf("got %+v, want a timeout that denies", ev)
	}
}

func TestCostLimitFailsClosed(t *testing.T) {
	p := Policy{Name: "costly", Expression: expensive, Action: ActionDeny, OnError: ActionQuarantine}
	e := NewEngine(Options{Timeout: time.Minute, CostLimit: 50_000})
	ev := e.Evaluate(context.Background(), []Policy{p}, baseInput()).Evaluations[0]
	if ev.Decision != Quarantine || !strings.Contains(ev.Error, "cost limit") {
		t.Fatalf("got %+v, want a cost overrun that quarantines", ev)
	}
	if ev.Duration > 10*time.Second {
		t.Fatalf("evaluation took %s: the cost limit did not stop it", ev.Duration)
	}
}

func TestErrorsFailClosed(t *testing.T) {
	cases := []struct {
		name string
		expr string
		in   func(*Input)
		text string
	}{
		{"missing manifest key", `manifest.license == 'MIT'`, func(in *Input) { in.Manifest = map[string]any{} }, "no such key"},
		{"manifest not a map", `has(manifest.license)`, func(in *Input) { in.Manifest = []any{"x"} }, "evaluation failed"},
		{"absent upstreamPublishedAt without has", `now - version.upstreamPublishedAt > duration('1h')`, func(*Input) {}, "no such key"},
		{"non-bool manifest value", `manifest.license == 'MIT' || manifest.flag`, func(in *Input) {
			in.Manifest = map[string]any{"license": "GPL", "flag": "yes"}
		}, "evaluation failed"},
		{"division by zero", `1 / (version.size - version.size) == 1`, func(*Input) {}, "division by zero"},
		{"stored expression that no longer compiles", `version.bogus == 1`, func(*Input) {}, "compiling"},
		{"stored syntax error", `((`, func(*Input) {}, "compiling"},
		{"stored non-bool expression", `manifest.license`, func(*Input) {}, "compiling"},
	}
	e := NewEngine(Options{})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := baseInput()
			c.in(&in)
			for _, onError := range []string{ActionDeny, ActionQuarantine} {
				p := Policy{Name: "p", Expression: c.expr, Action: ActionDeny, OnError: onError, Message: "policy message"}
				ev := e.Evaluate(context.Background(), []Policy{p}, in).Evaluations[0]
				if ev.Decision != failClosed(onError) || ev.Passed || !strings.Contains(ev.Error, c.text) || ev.Message != ev.Error {
					t.Fatalf("onError %s: got %+v, want decision %s and an error containing %q", onError, ev, failClosed(onError), c.text)
				}
			}
		})
	}
}

func TestCancelledContextFailsClosed(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := Policy{Name: "p", Expression: "true", Action: ActionDeny, OnError: ActionQuarantine}
	ev := NewEngine(Options{}).Evaluate(ctx, []Policy{p}, baseInput()).Evaluations[0]
	if ev.Decision != Quarantine || !strings.Contains(ev.Error, "cancelled") {
		t.Fatalf("got %+v, want a cancelled evaluation that quarantines", ev)
	}
}

func TestUnvalidatedActionsDeny(t *testing.T) {
	e := NewEngine(Options{})
	ev := e.Evaluate(context.Background(), []Policy{{Name: "p", Expression: "false", Action: "allow"}}, baseInput()).Evaluations[0]
	if ev.Decision != Deny {
		t.Fatalf("unknown action: got %+v, want deny", ev)
	}
	ev = e.Evaluate(context.Background(), []Policy{{Name: "p", Expression: "(", Action: ActionQuarantine, OnError: ""}}, baseInput()).Evaluations[0]
	if ev.Decision != Deny {
		t.Fatalf("unknown onError: got %+v, want deny", ev)
	}
}

func TestResultDecision(t *testing.T) {
	allow := Policy{Name: "allow", Expression: "true", Action: ActionDeny, OnError: ActionDeny}
	deny := Policy{Name: "deny", Expression: "false", Action: ActionDeny, OnError: ActionQuarantine, Message: "denied"}
	quarantine := Policy{Name: "quarantine", Expression: "false", Action: ActionQuarantine, OnError: ActionDeny, Message: "held"}
	failQuarantine := Policy{Name: "broken", Expression: "manifest.nope == 1", Action: ActionDeny, OnError: ActionQuarantine}
	cases := []struct {
		policies []Policy
		want     string
	}{
		{nil, Allow},
		{[]Policy{allow}, Allow},
		{[]Policy{allow, allow}, Allow},
		{[]Policy{quarantine}, Quarantine},
		{[]Policy{allow, quarantine, allow}, Quarantine},
		{[]Policy{failQuarantine, allow}, Quarantine},
		{[]Policy{deny}, Deny},
		{[]Policy{deny, quarantine}, Deny},
		{[]Policy{quarantine, deny}, Deny},
		{[]Policy{allow, quarantine, deny, allow}, Deny},
		{[]Policy{failQuarantine, deny}, Deny},
	}
	e := NewEngine(Options{})
	for i, c := range cases {
		res := e.Evaluate(context.Background(), c.policies, baseInput())
		if res.Decision != c.want {
			t.Errorf("case %d: decision %s, want %s", i, res.Decision, c.want)
		}
		if len(res.Evaluations) != len(c.policies) {
			t.Fatalf("case %d: %d evaluations, want %d", i, len(res.Evaluations), len(c.policies))
		}
		for j, ev := range res.Evaluations {
			if ev.Policy != c.policies[j].Name {
				t.Errorf("case %d: evaluation %d is %q, want %q (order kept)", i, j, ev.Policy, c.policies[j].Name)
			}
			if ev.Duration <= 0 {
				t.Errorf("case %d: evaluation %d has no duration", i, j)
			}
		}
	}
	res := e.Evaluate(context.Background(), []Policy{allow, deny, quarantine}, baseInput())
	want := []struct {
		decision, message string
		passed            bool
	}{{Allow, "", true}, {Deny, "denied", false}, {Quarantine, "held", false}}
	for i, w := range want {
		ev := res.Evaluations[i]
		if ev.Decision != w.decision || ev.Message != w.message || ev.Passed != w.passed || ev.Error != "" {
			t.Errorf("evaluation %d = %+v, want %+v", i, ev, w)
		}
	}
}

func TestConcurrentEvaluate(t *testing.T) {
	e := NewEngine(Options{})
	policies := []Policy{
		{Name: "size", Expression: exMaxSize, Action: ActionDeny, OnError: ActionDeny},
		{Name: "licence", Expression: exLicences, Action: ActionDeny, OnError: ActionDeny},
		{Name: "semver", Expression: exSemver, Action: ActionQuarantine, OnError: ActionDeny},
		{Name: "age", Expression: exMinimumAge, Action: ActionQuarantine, OnError: ActionDeny},
		{Name: "team", Expression: exRequiredTeam, Action: ActionDeny, OnError: ActionDeny},
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 16 {
		wg.Go(func() {
			for i := range 40 {
				in := baseInput()
				want := Allow
				if (g+i)%2 == 1 {
					in.Version.Version = "not-semver"
					want = Quarantine
				}
				// Distinct expressions per goroutine also fill and clear the cache.
				extra := Policy{Name: "extra", Expression: fmt.Sprintf("version.size >= %d", -(g*1000 + i)), Action: ActionDeny, OnError: ActionDeny}
				res := e.Evaluate(context.Background(), append(policies[:len(policies):len(policies)], extra), in)
				if res.Decision != want {
					errs <- fmt.Errorf("goroutine %d, run %d: decision %s, want %s: %+v", g, i, res.Decision, want, res.Evaluations)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestProgramCache(t *testing.T) {
	e := NewEngine(Options{})
	a, err := e.program(exSemver)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := e.program(exSemver)
	if a != b {
		t.Fatal("the second lookup compiled the expression again")
	}
	for i := range cacheSize + 10 {
		if _, err := e.program(fmt.Sprintf("version.size > %d", i)); err != nil {
			t.Fatal(err)
		}
		if n := len(e.cache); n > cacheSize {
			t.Fatalf("cache holds %d programs, bound is %d", n, cacheSize)
		}
	}
	if _, err := e.program("(("); err == nil {
		t.Fatal("a syntax error compiled")
	}
	if c, ok := e.cache["(("]; !ok || c.err == nil {
		t.Fatal("compile errors are not cached")
	}
}

func TestNormalize(t *testing.T) {
	got := normalize(map[string]any{
		"whole": 3.0, "frac": 2.5, "neg": -4.0, "huge": 1e300, "nan": math.NaN(),
		"num": json.Number("7"), "numf": json.Number("7.25"), "list": []any{1.0, []any{2.0}},
	}).(map[string]any)
	for k, want := range map[string]any{"whole": int64(3), "frac": 2.5, "neg": int64(-4), "huge": 1e300, "num": int64(7), "numf": 7.25} {
		if got[k] != want {
			t.Errorf("%s = %#v, want %#v", k, got[k], want)
		}
	}
	if f, ok := got["nan"].(float64); !ok || !math.IsNaN(f) {
		t.Errorf("nan = %#v", got["nan"])
	}
	if l := got["list"].([]any); l[0] != int64(1) || l[1].([]any)[0] != int64(2) {
		t.Errorf("list = %#v", l)
	}
}

func FuzzValidate(f *testing.F) {
	for _, s := range []string{
		exMaxSize, exLicences, exSemver, exMinimumAge, exRequiredTeam, expensive,
		"", "(", "verison.name", "version.size + 1", "has(version.nmae)", "manifest.a.b.c[0] == 1",
		"[1].all(version, version.x)", "'a'.matches('(')", "duration('1x') > duration('1h')",
		"isSemver(version.version) && version.name.split('/').size() < 3", "{'a': 1}.a == 1",
		"[1, 2].exists_one(x, x == 1)", "cel.bind(x, 1, x == 1)", "1u == 1", "b'\\xff' == b''",
	} {
		f.Add(s)
	}
	e := NewEngine(Options{Timeout: 5 * time.Millisecond, CostLimit: 100_000})
	in := baseInput()
	f.Fuzz(func(t *testing.T, expr string) {
		p := Policy{Name: "fuzz", Expression: expr, Action: ActionDeny, OnError: ActionQuarantine}
		err := Validate(p)
		if err == nil {
			// What validates also evaluates without panicking, to a decision.
			ev := e.Evaluate(context.Background(), []Policy{p}, in).Evaluations[0]
			if want := map[bool]string{true: Allow, false: Deny}[ev.Passed]; ev.Error == "" && ev.Decision != want || ev.Error != "" && ev.Decision != Quarantine {
				t.Fatalf("Evaluate(%q) = %+v", expr, ev)
			}
			return
		}
		fe := fault.As(err)
		if fe == nil || fe.Code != CodeInvalidPolicy || fe.Details["field"] != "expression" {
			t.Fatalf("Validate(%q) = %v, want an invalid_policy error on the expression", expr, err)
		}
	})
}
