package admincli

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/artifortress/artifortress/internal/repo"
)

// TestEverySettingHasAFlag keeps the CLI in step with the server: every
// option of repo.Settings is decoded by repoSettings and set by a flag.
func TestEverySettingHasAFlag(t *testing.T) {
	server := jsonNames(reflect.TypeFor[repo.Settings]())
	if got := jsonNames(reflect.TypeFor[repoSettings]()); !slices.Equal(got, server) {
		t.Errorf("repoSettings decodes %v, the server's settings are %v", got, server)
	}
	flags := newRepoSettingFlags(pflag.NewFlagSet("test", pflag.ContinueOnError))
	var keys []string
	for _, sf := range flags.byFlag {
		keys = append(keys, sf.key)
		if !strings.Contains(settingFlagNames, "--"+sf.flag) {
			t.Errorf("--%s is missing from the usage list %q", sf.flag, settingFlagNames)
		}
	}
	slices.Sort(keys)
	if !slices.Equal(keys, server) {
		t.Errorf("setting flags send %v, the server's settings are %v", keys, server)
	}
}

func jsonNames(typ reflect.Type) []string {
	var names []string
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
