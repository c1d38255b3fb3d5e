package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func load(t *testing.T, args, env []string) (Config, error) {
	t.Helper()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	l := NewLoader(fs)
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	return l.Load(env)
}

func TestPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "artifortress.yaml")
	if err := os.WriteFile(file, []byte("listen: 127.0.0.1:1111\nlog-level: debug\nmax-token-ttl: 48h\nauto-migrate: false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := load(t, []string{"--config", file, "--listen", "127.0.0.1:3333"},
		[]string{"ARTIFORTRESS_LISTEN=127.0.0.1:2222", "ARTIFORTRESS_LOG_LEVEL=warn"})
	if err != nil {
		t.Fatal(err)
	}
	want := Defaults()
	want.Listen = "127.0.0.1:3333"    // flag beats env and file
	want.LogLevel = "warn"            // env beats file
	want.MaxTokenTTL = 48 * time.Hour // file beats default
	want.AutoMigrate = false
	if cfg != want {
		t.Errorf("got %+v\nwant %+v", cfg, want)
	}
	// The file may also come from the environment.
	cfg, err = load(t, nil, []string{"ARTIFORTRESS_CONFIG=" + file})
	if err != nil || cfg.Listen != "127.0.0.1:1111" {
		t.Errorf("ARTIFORTRESS_CONFIG: %v %+v", err, cfg)
	}
}

func TestDefaultsAreValid(t *testing.T) {
	cfg, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:8080" || cfg.DataDir != "./data" || cfg.DatabaseURL != "" || !cfg.AutoMigrate {
		t.Errorf("defaults %+v", cfg)
	}
}

func TestInvalidSettingsNameTheSetting(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		args, env []string
		mention   string
	}{
		{args: []string{"--listen", "nohost"}, mention: "listen"},
		{args: []string{"--data-dir", " "}, mention: "data-dir"},
		{env: []string{"ARTIFORTRESS_DATABASE_URL=mysql://db"}, mention: "database-url"},
		{args: []string{"--public-url", "ftp://x"}, mention: "public-url"},
		{args: []string{"--trusted-proxies", "10.0.0.0/8,proxy.local"}, mention: "trusted-proxies"},
		{args: []string{"--max-token-ttl", "10s"}, mention: "max-token-ttl"},
		{env: []string{"ARTIFORTRESS_MAX_TOKEN_TTL=soon"}, mention: "ARTIFORTRESS_MAX_TOKEN_TTL"},
		{env: []string{"ARTIFORTRESS_BOOTSTRAP_TOKEN=tooshort"}, mention: "bootstrap-token"},
		{args: []string{"--max-request-bytes", "10"}, mention: "max-request-bytes"},
		{args: []string{"--log-level", "chatty"}, mention: "log-level"},
		{args: []string{"--config", write("unknown.yaml", "colour: blue\n")}, mention: "colour"},
		{args: []string{"--config", write("list.yaml", "listen: [a, b]\n")}, mention: "listen"},
		{args: []string{"--config", write("broken.yaml", "listen: [\n")}, mention: "broken.yaml"},
		{args: []string{"--config", filepath.Join(dir, "missing.yaml")}, mention: "config file"},
	}
	for _, c := range cases {
		t.Run(c.mention, func(t *testing.T) {
			_, err := load(t, c.args, c.env)
			if err == nil || !strings.Contains(err.Error(), c.mention) {
				t.Errorf("error %v does not name %s", err, c.mention)
			}
		})
	}
}

func TestBootstrapTokenHasNoFlag(t *testing.T) {
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	NewLoader(fs)
	if fs.Lookup("bootstrap-token") != nil {
		t.Error("the bootstrap secret must not be a flag: flags show in ps")
	}
	if !strings.Contains(Reference(), "ARTIFORTRESS_BOOTSTRAP_TOKEN") {
		t.Error("the settings reference omits the bootstrap secret")
	}
}

// TestNegatedBoolFlags: every bool setting has a --no-<name> flag that turns
// it off over the environment and the file; given with --<name> it is an
// error.
func TestNegatedBoolFlags(t *testing.T) {
	cfg, err := load(t, []string{"--no-worker"}, []string{"ARTIFORTRESS_WORKER=true"})
	if err != nil || cfg.Worker {
		t.Fatalf("--no-worker: worker=%v, %v", cfg.Worker, err)
	}
	if cfg, err := load(t, []string{"--no-auto-migrate"}, nil); err != nil || cfg.AutoMigrate {
		t.Fatalf("--no-auto-migrate: %v %v", cfg.AutoMigrate, err)
	}
	if cfg, err := load(t, nil, nil); err != nil || !cfg.Worker {
		t.Fatalf("default: worker=%v, %v", cfg.Worker, err)
	}
	if _, err := load(t, []string{"--worker", "--no-worker"}, nil); err == nil || !strings.Contains(err.Error(), "contradict") {
		t.Fatalf("--worker --no-worker: %v", err)
	}
}
