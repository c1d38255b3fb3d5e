package formats

import (
	"os"
	"path/filepath"

	"github.com/artifortress/artifortress/internal/format"
	"slices"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/format/formattest"
)

// samples holds, per format, names as users write them (including ones
// the format normalises) and valid versions, for the contract checks.
var samples = map[string]struct{ names, versions []string }{
	"generic":  {[]string{"tool", "My_Tool-1.2+linux"}, []string{"1.0", "1.10", "2024-01-01", "1.0~rc1", "v2"}},
	"oci":      {[]string{"app", "team/app", "org/team/sub/app-x"}, []string{"sha256:" + strings.Repeat("a", 64), "sha256:" + strings.Repeat("0", 64), "sha512:" + strings.Repeat("f", 128)}},
	"npm":      {[]string{"lodash", "@babel/core", "@types%2Fnode"}, []string{"1.0.0", "1.0.0-rc.1", "0.0.1", "2.0.0+build"}},
	"pypi":     {[]string{"requests", "Foo.Bar_baz", "zope.interface"}, []string{"1.0", "1.0.0", "1.0rc1", "1!0.1", "2.0.post1.dev2+local.7", "1.0RC1", "v1.0.0.0", "1.0rc1", "1.0+Local"}},
	"maven":    {[]string{"org.example:app", "com.Google:Guava"}, []string{"1.0", "1.0-SNAPSHOT", "1.0.0.RELEASE", "2.0-rc1", "1-sp"}},
	"go":       {[]string{"example.com/m", "github.com/Azure/sdk/v2"}, []string{"v1.0.0", "v0.0.0-20240101120000-abcdefabcdef", "v2.0.0+incompatible", "v1.2.3-pre"}},
	"cargo":    {[]string{"serde", "Serde_JSON"}, []string{"1.0.0", "0.1.0-alpha.1", "1.0.0+build"}},
	"nuget":    {[]string{"Newtonsoft.Json", "nunit"}, []string{"1.0", "1.0.0.0", "1.0.0-Beta", "1.0.0-beta", "1.0.0+meta", "1.0.0-rc.01", "1.0.0-RC.1", "2.1.0.4"}},
	"helm":     {[]string{"nginx", "kube-prometheus-stack"}, []string{"1.0.0", "0.1.0-rc.1", "15.2.0"}},
	"rubygems": {[]string{"rails", "ActiveSupport"}, []string{"1.0", "1.0.a", "2.0.0.rc1", "1.0-beta", "1"}},
	"debian":   {[]string{"libc6", "g++"}, []string{"1.0", "1:2.30-1", "1.0~rc1-1", "2.36-9+deb12u4"}},
	"rpm":      {[]string{"bash", "gcc-c++"}, []string{"1.0-1", "1:1.0-1.el9", "1.0~rc1", "1.0^git1-2"}},
}

func TestAllHasTheTwelveFormats(t *testing.T) {
	want := []string{"cargo", "debian", "generic", "go", "helm", "maven", "npm", "nuget", "oci", "pypi", "rpm", "rubygems"}
	var got []string
	for k := range All() {
		got = append(got, k)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("All() keys = %v, want %v", got, want)
	}
}

func TestContract(t *testing.T) {
	for key, f := range All() {
		t.Run(key, func(t *testing.T) {
			s, ok := samples[key]
			if !ok {
				t.Fatalf("no contract samples for format %q", key)
			}
			formattest.Contract(t, key, f, s.names, s.versions)
		})
	}
}

func TestLookup(t *testing.T) {
	for key := range All() {
		f, ok := Lookup(key)
		if !ok || f.Name() != key {
			t.Errorf("Lookup(%q) = %v, %v", key, f, ok)
		}
	}
	if _, ok := Lookup("docker"); ok {
		t.Error("Lookup(docker) found a format")
	}
}

func TestAllReturnsACopy(t *testing.T) {
	m := All()
	delete(m, "npm")
	if _, ok := All()["npm"]; !ok {
		t.Fatal("changing All()'s result changed the registry")
	}
}

// TestAppendOnlyFormatsMatchTheDatabase ties the formats that declare
// themselves append-only (ADR 0009) to the list migration 0012's triggers
// enforce on both dialects: a format added to one side only would either
// have its appends refused by the database or its published versions
// writable.
func TestAppendOnlyFormatsMatchTheDatabase(t *testing.T) {
	var names []string
	for name, f := range All() {
		if format.AppendOnly(f) {
			names = append(names, "'"+name+"'")
		}
	}
	slices.Sort(names)
	want := "IN (" + strings.Join(names, ", ") + ")"
	for _, dialect := range []string{"sqlite", "postgres"} {
		sql, err := os.ReadFile(filepath.Join("..", "..", "meta", "migrations", dialect, "0012_append_only_versions.sql"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(sql), want) {
			t.Errorf("%s migration 0012 does not list the append-only formats as %s", dialect, want)
		}
	}
	if len(names) != 2 {
		t.Errorf("append-only formats: %v, want generic and pypi", names)
	}
}
