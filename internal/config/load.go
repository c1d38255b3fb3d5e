package config

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// Loader binds the settings to a flag set and loads them.
type Loader struct {
	cfg   Config
	flags *pflag.FlagSet
	file  string
}

// ConfigFileEnv names the config file when --config is not given.
const ConfigFileEnv = "ARTIFORTRESS_CONFIG"

// NewLoader registers a flag for every setting (except secrets) on fs, plus
// --config. Flag help shows each setting's environment variable and default.
func NewLoader(fs *pflag.FlagSet) *Loader {
	l := &Loader{cfg: Defaults(), flags: fs}
	fs.StringVar(&l.file, "config", "", "YAML config file (env "+ConfigFileEnv+"); keys are the flag names")
	for _, s := range settings(&l.cfg) {
		if s.secret {
			continue
		}
		fs.Var(s.value, s.name, fmt.Sprintf("%s (env %s)", s.help, envName(s.name)))
		if s.value.Type() == "bool" {
			fs.Lookup(s.name).NoOptDefVal = "true"
			fs.Bool(negated(s.name), false, fmt.Sprintf("same as --%s=false", s.name))
		}
	}
	return l
}

// Load returns the configuration: defaults, then the config file, then the
// environment, then flags set on the command line; then validates it.
// environ is os.Environ()-shaped.
func (l *Loader) Load(environ []string) (Config, error) {
	cfg := Defaults()
	all := settings(&cfg)
	byName := map[string]setting{}
	for _, s := range all {
		byName[s.name] = s
	}
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	file := l.file
	if f := l.flags.Lookup("config"); f != nil && f.Changed {
		file = f.Value.String()
	}
	if file == "" {
		file = env[ConfigFileEnv]
	}
	if file != "" {
		if err := loadFile(file, byName); err != nil {
			return Config{}, err
		}
	}
	for _, s := range all {
		if v, ok := env[envName(s.name)]; ok {
			if err := s.value.Set(v); err != nil {
				return Config{}, fmt.Errorf("%s: %v", envName(s.name), err)
			}
		}
	}
	var flagErr error
	// VisitAll with Changed rather than Visit: when the flags are a parent
	// command's persistent flags, cobra records the parse on the child's
	// set, but both share each *pflag.Flag.
	l.flags.VisitAll(func(f *pflag.Flag) {
		if s, ok := byName[f.Name]; ok && f.Changed && flagErr == nil {
			if err := s.value.Set(f.Value.String()); err != nil {
				flagErr = fmt.Errorf("--%s: %v", f.Name, err)
			}
		}
	})
	// --no-<name> turns a bool setting off; given with --<name> it is a
	// contradiction, not a precedence question.
	for _, s := range all {
		neg := l.flags.Lookup(negated(s.name))
		if neg == nil || !neg.Changed || flagErr != nil {
			continue
		}
		if pos := l.flags.Lookup(s.name); pos != nil && pos.Changed {
			flagErr = fmt.Errorf("--%s and --%s contradict each other", s.name, negated(s.name))
		} else if neg.Value.String() == "true" {
			flagErr = s.value.Set("false")
		}
	}
	if flagErr != nil {
		return Config{}, flagErr
	}
	return cfg, cfg.Validate()
}

// negated is the flag that turns bool setting name off.
func negated(name string) string { return "no-" + name }

func loadFile(path string, byName map[string]setting) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s, ok := byName[k]
		if !ok {
			return fmt.Errorf("config file %s: unknown setting %q", path, k)
		}
		v := doc[k]
		if v == nil {
			continue
		}
		switch v.(type) {
		case map[string]any, []any:
			return fmt.Errorf("config file %s: %s: want a single value", path, k)
		}
		if err := s.value.Set(fmt.Sprint(v)); err != nil {
			return fmt.Errorf("config file %s: %s: %v", path, k, err)
		}
	}
	return nil
}

// Reference returns a table of every setting: name, environment variable,
// default and help, for documentation and `serve --help`.
func Reference() string {
	d := Defaults()
	var b strings.Builder
	for _, s := range settings(&d) {
		def := s.value.String()
		if def == "" {
			def = `""`
		}
		flag := "--" + s.name
		if s.secret {
			flag = "(no flag)"
		}
		fmt.Fprintf(&b, "  %-24s %-36s default %s\n      %s\n", flag, envName(s.name), def, s.help)
	}
	return b.String()
}
