// Package registryconf writes the configuration and environment of a CNCF
// Distribution registry (the `registry` binary scripts/test.sh installs),
// which the OCI tests start as an upstream (internal/ocitest) and the OCI
// benchmark as its peer (internal/bench): one place that knows the
// registry's settings.
package registryconf

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// Options are the settings that differ between the registry's users.
type Options struct {
	Root     string // storage root directory
	Listen   string // http.addr ("127.0.0.1:0": a free port, announced in the log)
	LogLevel string // "info" logs the "listening on" line; "warn" does not
	// Delete enables DELETE of manifests and blobs.
	Delete bool
	// ImageDefaults adds the storage settings of the configuration the
	// registry's own image ships: the in-memory blob descriptor cache and
	// 8 concurrent tag lookups.
	ImageDefaults bool
	// Htpasswd, when set, is the htpasswd file of Basic authentication.
	Htpasswd string
}

// Config is the registry's config.yml for o: filesystem storage under
// o.Root, JSON logs without an access log, no background purge of uploads
// (it would race whoever drives the registry), a random HTTP secret.
func Config(o Options) ([]byte, error) {
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	storage := map[string]any{
		"filesystem":  map[string]any{"rootdirectory": o.Root},
		"maintenance": map[string]any{"uploadpurging": map[string]any{"enabled": false}},
	}
	if o.Delete {
		storage["delete"] = map[string]any{"enabled": true}
	}
	if o.ImageDefaults {
		storage["cache"] = map[string]any{"blobdescriptor": "inmemory"}
		storage["tag"] = map[string]any{"concurrencylimit": 8}
	}
	cfg := map[string]any{
		"version": "0.1",
		"log": map[string]any{
			"level":     o.LogLevel,
			"formatter": "json",
			"accesslog": map[string]any{"disabled": true},
		},
		"storage": storage,
		"http":    map[string]any{"addr": o.Listen, "secret": hex.EncodeToString(secret)},
	}
	if o.Htpasswd != "" {
		cfg["auth"] = map[string]any{"htpasswd": map[string]any{"realm": "artifortress-test", "path": o.Htpasswd}}
	}
	return yaml.Marshal(cfg)
}

// Env is this process's environment without REGISTRY_* variables (each
// overrides a setting of the config file) and OTEL_* ones, with tracing
// off: the registry exports spans to an OTLP endpoint by default.
func Env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "REGISTRY_") && !strings.HasPrefix(kv, "OTEL_") {
			env = append(env, kv)
		}
	}
	return append(env, "OTEL_TRACES_EXPORTER=none")
}
