package api_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/artifortress/artifortress/internal/servertest"
)

// TestPackageFilterIgnoresCase: q matches part of a name whatever the case
// of either, also for formats that keep the case of names (generic, Maven,
// OCI).
func TestPackageFilterIgnoresCase(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b)
		env.CreateRepo(t, "gen", nil)
		for _, name := range []string{"MixedCase-Tool", "plain"} {
			publishGeneric(t, env, "gen", env.AdminToken, name, "1.0.0", map[string]string{"f": name})
		}
		for q, want := range map[string]string{
			"MixedCase-Tool": "MixedCase-Tool",
			"mixedcase":      "MixedCase-Tool",
			"CASE-t":         "MixedCase-Tool",
			"PLAIN":          "plain",
			"zzz":            "",
		} {
			var page struct{ Items []struct{ Package string } }
			env.Must(t, 200, "GET", "/v1/repos/gen/packages?q="+q, env.AdminToken, nil).JSON(t, &page)
			var got []string
			for _, it := range page.Items {
				got = append(got, it.Package)
			}
			if strings.Join(got, ",") != want {
				t.Errorf("q=%s: %v, want %q", q, got, want)
			}
		}
	})
}

// TestNPMVersionsInSemverOrder: an npm package's versions list in SemVer
// 2.0.0 precedence, published in random order: pre-releases before their
// release, numeric identifiers numerically (beta.2 < beta.11, 1.2.0 <
// 1.10.0), which string order would get wrong.
func TestNPMVersionsInSemverOrder(t *testing.T) {
	want := []string{
		"0.9.0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta.2", "1.0.0-beta.11",
		"1.0.0-rc.1", "1.0.0", "1.2.0", "1.10.0", "2.0.0-0", "2.0.0", "10.0.0",
	}
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b)
		env.CreateRepo(t, "js", map[string]any{"format": "npm"})
		shuffled := slices.Clone(want)
		rand.New(rand.NewPCG(4, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		for _, v := range shuffled {
			publishGeneric(t, env, "js", env.AdminToken, "@acme/widget", v, map[string]string{"package.tgz": "widget " + v})
		}
		var list struct{ Items []struct{ Version string } }
		env.Must(t, 200, "GET", "/v1/repos/js/packages/@acme%2Fwidget/versions", env.AdminToken, nil).JSON(t, &list)
		var got []string
		for _, it := range list.Items {
			got = append(got, it.Version)
		}
		if !slices.Equal(got, want) {
			t.Errorf("versions in order\n  %v\nwant\n  %v", got, want)
		}
	})
}
