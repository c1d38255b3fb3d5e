package helm

import (
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/format/formattest"
)

func TestParseName(t *testing.T) {
	for _, in := range []string{"nginx", "kube-prometheus-stack", "a", "0ad", strings.Repeat("a", 63)} {
		ns, name, err := New().ParseName(in)
		if err != nil || ns != "" || name != in {
			t.Errorf("ParseName(%q) = %q, %q, %v", in, ns, name, err)
		}
	}
	for _, in := range []string{"", "Nginx", "my_chart", "my.chart", "-a", "a-", "a/b", strings.Repeat("a", 64)} {
		_, _, err := New().ParseName(in)
		formattest.FieldError(t, err, "name")
	}
}

func TestVersions(t *testing.T) {
	formattest.FieldError(t, New().ValidateVersion("15.2.0-rc.1+build"), "")
	for _, v := range []string{"v1.0.0", "1.0", "latest"} {
		formattest.FieldError(t, New().ValidateVersion(v), "version")
	}
	formattest.Order(t, New().CompareVersions, []string{"0.1.0", "1.0.0-alpha", "1.0.0", "1.0.1", "1.2.0", "1.10.0", "10.0.0"})
}

func TestValidateManifest(t *testing.T) {
	c := format.Coordinates{Name: "web", Version: "1.2.3"}
	tests := []struct{ name, raw, field string }{
		{"ok v2", `{"apiVersion":"v2","name":"web","version":"1.2.3","appVersion":"2.0","type":"application","dependencies":[{"name":"redis","version":"^17.0.0","repository":"https://charts.example.com"},{"name":"common","version":"1.x","repository":""}]}`, ""},
		{"ok v1", `{"apiVersion":"v1","name":"web","version":"1.2.3"}`, ""},
		{"ok library", `{"apiVersion":"v2","name":"web","version":"1.2.3","type":"library","dependencies":[]}`, ""},
		{"bad apiVersion", `{"apiVersion":"v3","name":"web","version":"1.2.3"}`, "manifest.apiVersion"},
		{"missing apiVersion", `{"name":"web","version":"1.2.3"}`, "manifest.apiVersion"},
		{"wrong name", `{"apiVersion":"v2","name":"api","version":"1.2.3"}`, "manifest.name"},
		{"wrong version", `{"apiVersion":"v2","name":"web","version":"1.2.4"}`, "manifest.version"},
		{"bad type", `{"apiVersion":"v2","name":"web","version":"1.2.3","type":"plugin"}`, "manifest.type"},
		{"appVersion number", `{"apiVersion":"v2","name":"web","version":"1.2.3","appVersion":2}`, "manifest.appVersion"},
		{"dep missing version", `{"apiVersion":"v2","name":"web","version":"1.2.3","dependencies":[{"name":"redis"}]}`, "manifest.dependencies[0].version"},
		{"dep bad name", `{"apiVersion":"v2","name":"web","version":"1.2.3","dependencies":[{"name":"Redis","version":"1"}]}`, "manifest.dependencies[0].name"},
		{"dep repository number", `{"apiVersion":"v2","name":"web","version":"1.2.3","dependencies":[{"name":"redis","version":"1","repository":5}]}`, "manifest.dependencies[0].repository"},
		{"deps object", `{"apiVersion":"v2","name":"web","version":"1.2.3","dependencies":{}}`, "manifest.dependencies"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			formattest.FieldError(t, New().ValidateManifest(c, []byte(tt.raw)), tt.field)
		})
	}
}
