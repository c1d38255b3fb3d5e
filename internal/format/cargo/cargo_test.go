package cargo

import (
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/format/formattest"
)

func TestParseName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"serde", "serde"},
		{"Serde_JSON", "serde_json"},
		{"tokio-util", "tokio-util"},
		{"a", "a"},
		{"x" + strings.Repeat("1", 63), "x" + strings.Repeat("1", 63)},
	}
	for _, tt := range tests {
		ns, name, err := New().ParseName(tt.in)
		if err != nil || ns != "" || name != tt.want {
			t.Errorf("ParseName(%q) = %q, %q, %v; want %q", tt.in, ns, name, err, tt.want)
		}
	}
	for _, in := range []string{"", "1serde", "_serde", "-serde", "serde json", "serde.json", "sérde", "x" + strings.Repeat("1", 64)} {
		_, _, err := New().ParseName(in)
		formattest.FieldError(t, err, "name")
	}
}

func TestVersions(t *testing.T) {
	formattest.FieldError(t, New().ValidateVersion("1.0.0-alpha.1+build"), "")
	for _, v := range []string{"1.0", "v1.0.0", "=1.0.0", "1.0.0.0"} {
		formattest.FieldError(t, New().ValidateVersion(v), "version")
	}
	formattest.Order(t, New().CompareVersions, []string{"0.1.0", "0.1.1", "0.2.0-alpha.1", "0.2.0", "1.0.0-rc.1", "1.0.0", "1.2.0", "1.10.0"})
}

func TestValidateManifest(t *testing.T) {
	c := format.Coordinates{Name: "serde_json", Version: "1.0.100"}
	ck := strings.Repeat("ab", 32)
	tests := []struct{ name, raw, field string }{
		{"ok", `{"name":"serde_json","vers":"1.0.100","deps":[{"name":"serde","req":"^1.0","features":["std"],"optional":false,"default_features":true,"target":null,"kind":"normal"},{"name":"ryu","req":"1","kind":"dev","package":"ryu"}],"features":{"default":["std"],"std":["serde/std"],"alloc":[],"raw":["dep:ryu"]},"cksum":"` + ck + `","yanked":false,"links":null,"v":2,"features2":{"x":["serde?/alloc"]}}`, ""},
		{"ok mixed case name", `{"name":"Serde_JSON","vers":"1.0.100","deps":[],"features":{}}`, ""},
		{"name mismatch", `{"name":"serde-json","vers":"1.0.100","deps":[],"features":{}}`, "manifest.name"},
		{"vers mismatch", `{"name":"serde_json","vers":"1.0.101","deps":[],"features":{}}`, "manifest.vers"},
		{"missing deps", `{"name":"serde_json","vers":"1.0.100","features":{}}`, "manifest.deps"},
		{"dep missing req", `{"name":"serde_json","vers":"1.0.100","deps":[{"name":"serde"}],"features":{}}`, "manifest.deps[0].req"},
		{"dep empty req", `{"name":"serde_json","vers":"1.0.100","deps":[{"name":"serde","req":" "}],"features":{}}`, "manifest.deps[0].req"},
		{"dep bad name", `{"name":"serde_json","vers":"1.0.100","deps":[{"name":"serde","req":"1"},{"name":"9x","req":"1"}],"features":{}}`, "manifest.deps[1].name"},
		{"dep bad kind", `{"name":"serde_json","vers":"1.0.100","deps":[{"name":"serde","req":"1","kind":"test"}],"features":{}}`, "manifest.deps[0].kind"},
		{"dep not object", `{"name":"serde_json","vers":"1.0.100","deps":["serde"],"features":{}}`, "manifest.deps[0]"},
		{"missing features", `{"name":"serde_json","vers":"1.0.100","deps":[]}`, "manifest.features"},
		{"features array", `{"name":"serde_json","vers":"1.0.100","deps":[],"features":[]}`, "manifest.features"},
		{"feature not list", `{"name":"serde_json","vers":"1.0.100","deps":[],"features":{"std":"x"}}`, `manifest.features["std"]`},
		{"bad cksum", `{"name":"serde_json","vers":"1.0.100","deps":[],"features":{},"cksum":"ABC"}`, "manifest.cksum"},
		{"yanked string", `{"name":"serde_json","vers":"1.0.100","deps":[],"features":{},"yanked":"no"}`, "manifest.yanked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			formattest.FieldError(t, New().ValidateManifest(c, []byte(tt.raw)), tt.field)
		})
	}
}
