package config

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The documents that describe every setting, relative to this package.
const (
	readmePath = "../../README.md"
	configDoc  = "../../docs/configuration.md"
)

// TestReadmeTableMatchesSettings: README.md's configuration table has one row
// per setting, with the code's flag, variable, default and help text (the
// README promises `serve --help` prints the same), and no other rows.
func TestReadmeTableMatchesSettings(t *testing.T) {
	rows := readmeRows(t)
	d := Defaults()
	for _, s := range settings(&d) {
		env := envName(s.name)
		row, ok := rows[env]
		if !ok {
			t.Errorf("%s: no row for %s in the configuration table", readmePath, env)
			continue
		}
		delete(rows, env)
		if want := flagCell(s); row[0] != want {
			t.Errorf("%s: %s: flag %s, want %s", readmePath, env, row[0], want)
		}
		if want := "`" + defaultText(s) + "`"; !strings.HasPrefix(row[2], want) {
			t.Errorf("%s: %s: default %s, want %s", readmePath, env, row[2], want)
		}
		if got := strings.ReplaceAll(row[3], "`", ""); got != s.help {
			t.Errorf("%s: %s: meaning\n  %s\nwant the code's help text\n  %s", readmePath, env, got, s.help)
		}
	}
	delete(rows, ConfigFileEnv)
	for env := range rows {
		t.Errorf("%s: the configuration table lists %s, which is no setting", readmePath, env)
	}
}

// TestConfigurationDocCoversSettings: docs/configuration.md has a section per
// setting that names its flag and variable and states the code's default,
// and its example config file shows every key.
func TestConfigurationDocCoversSettings(t *testing.T) {
	doc := readDoc(t, configDoc)
	sections := strings.Split(doc, "\n### ")
	example := yamlExample(t, doc)
	defaultRe := regexp.MustCompile("(?i)\\bdefault (empty|`([^`]*)`)")
	d := Defaults()
	for _, s := range settings(&d) {
		env := envName(s.name)
		section := ""
		for _, sec := range sections {
			heading, _, _ := strings.Cut(sec, "\n")
			if strings.Contains(heading, "`"+s.name+"`") {
				section = sec
			}
		}
		if section == "" {
			t.Errorf("%s: no section heading names `%s`", configDoc, s.name)
			continue
		}
		if !s.secret && !strings.Contains(section, "`--"+s.name+"`") {
			t.Errorf("%s: the section of %s does not name `--%s`", configDoc, s.name, s.name)
		}
		at := strings.Index(section, env)
		if at < 0 {
			t.Errorf("%s: the section of %s does not name %s", configDoc, s.name, env)
			continue
		}
		m := defaultRe.FindStringSubmatch(section[at:])
		if m == nil || !sameDefault(s, m) {
			t.Errorf("%s: after %s the section states %q, want the default %s", configDoc, env, m, defaultText(s))
		}
		if !regexp.MustCompile(`(?m)^#? ?` + regexp.QuoteMeta(s.name) + `:`).MatchString(example) {
			t.Errorf("%s: the example config file lacks %s", configDoc, s.name)
		}
	}
}

// readmeRows returns the cells (flag, variable, default, meaning) of each
// row of the table in README.md's Configuration section, by variable.
func readmeRows(t *testing.T) map[string][4]string {
	t.Helper()
	_, section, _ := strings.Cut(readDoc(t, readmePath), "\n## Configuration\n")
	section, _, _ = strings.Cut(section, "\n## ")
	rows := map[string][4]string{}
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `--") && !strings.HasPrefix(line, "| (no flag)") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 4 {
			t.Fatalf("%s: a configuration row without 4 cells: %s", readmePath, line)
		}
		rows[strings.Trim(cells[1], "`")] = [4]string(cells)
	}
	if len(rows) == 0 {
		t.Fatalf("%s: no configuration table found", readmePath)
	}
	return rows
}

// yamlExample returns the first YAML block of doc.
func yamlExample(t *testing.T, doc string) string {
	t.Helper()
	_, rest, ok := strings.Cut(doc, "```yaml\n")
	block, _, closed := strings.Cut(rest, "```")
	if !ok || !closed {
		t.Fatalf("%s: no YAML example", configDoc)
	}
	return block
}

func readDoc(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func flagCell(s setting) string {
	if s.secret {
		return "(no flag)"
	}
	return "`--" + s.name + "`"
}

// defaultText is the default as `serve --help` prints it.
func defaultText(s setting) string {
	if v := s.value.String(); v != "" {
		return v
	}
	return `""`
}

// sameDefault reports whether a "default ..." match states s's default;
// durations may be written short (24h for 24h0m0s).
func sameDefault(s setting, m []string) bool {
	def := s.value.String()
	if m[1] == "empty" {
		return def == ""
	}
	if s.value.Type() == "duration" {
		got, err := time.ParseDuration(m[2])
		return err == nil && got.String() == def
	}
	return m[2] == def
}
