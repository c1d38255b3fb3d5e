package config

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/pflag"
)

// setting binds one Config field to its flag, environment variable and file key.
type setting struct {
	name   string // flag name and config file key
	help   string
	secret bool // never shown; no flag (a flag would show in ps)
	value  pflag.Value
}

// Env returns the environment variable of a setting.
func envName(name string) string {
	b := []byte("ARTIFORTRESS_")
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-':
			c = '_'
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b)
}

func settings(c *Config) []setting {
	return []setting{
		{name: "listen", help: "address to listen on (host:port)", value: (*stringValue)(&c.Listen)},
		{name: "data-dir", help: "directory for the SQLite database, blobs and the initial admin token", value: (*stringValue)(&c.DataDir)},
		{name: "database-url", help: "metadata store: empty for SQLite in the data directory, postgres://... for PostgreSQL, sqlite:<path> for another SQLite file", value: (*stringValue)(&c.DatabaseURL)},
		{name: "trusted-proxies", help: "comma-separated addresses and CIDRs of reverse proxies whose X-Forwarded-Proto, -Host and -Prefix are believed when building links (public-url, when set, wins)", value: (*stringValue)(&c.TrustedProxies)},
		{name: "public-url", help: "absolute URL clients reach this server at (used in links); empty to derive it from each request", value: (*stringValue)(&c.PublicURL)},
		{name: "auto-migrate", help: "apply pending database migrations at start-up", value: (*boolValue)(&c.AutoMigrate)},
		{name: "max-token-ttl", help: "longest lifetime a personal access token may be issued for", value: (*durationValue)(&c.MaxTokenTTL)},
		{name: "bootstrap-token", help: "administrator secret accepted instead of an initial admin token file (environment or file only)", secret: true, value: (*stringValue)(&c.BootstrapToken)},
		{name: "max-request-bytes", help: "largest JSON request body accepted by the /v1 API", value: (*int64Value)(&c.MaxRequestBytes)},
		{name: "log-level", help: "debug, info, warn or error", value: (*stringValue)(&c.LogLevel)},
		{name: "otlp-endpoint", help: "OTLP/HTTP trace collector (host:port or URL); empty turns tracing off", value: (*stringValue)(&c.OTLPEndpoint)},
		{name: "shutdown-timeout", help: "how long to let in-flight requests finish on SIGTERM", value: (*durationValue)(&c.ShutdownTimeout)},
		{name: "auth-cache-ttl", help: "how long a node remembers a verified token, a repository definition and a blob's link to a repository (0: read them from the database every time); revocations, binding and repository changes made on other nodes take effect within it", value: (*durationValue)(&c.AuthCacheTTL)},
		{name: "token-usage-interval", help: "how often token last-use times are written to the database", value: (*durationValue)(&c.TokenUsageInterval)},
		{name: "blob-store", help: "where blobs live: empty for files under <data-dir>/blobs, or s3://bucket[/prefix]", value: (*stringValue)(&c.BlobStore)},
		{name: "s3-endpoint", help: "S3 endpoint URL (empty: AWS for the region)", value: (*stringValue)(&c.S3Endpoint)},
		{name: "s3-region", help: "S3 region", value: (*stringValue)(&c.S3Region)},
		{name: "s3-access-key", help: "S3 access key id", value: (*stringValue)(&c.S3AccessKey)},
		{name: "s3-secret-key", help: "S3 secret access key (environment or file only)", secret: true, value: (*stringValue)(&c.S3SecretKey)},
		{name: "s3-path-style", help: "address buckets as path segments (most self-hosted S3 servers) rather than host names", value: (*boolValue)(&c.S3PathStyle)},
		{name: "max-blob-bytes", help: "largest blob accepted, unless a repository sets its own (0: no limit)", value: (*int64Value)(&c.MaxBlobBytes)},
		{name: "max-upload-sessions", help: "unfinished upload sessions allowed per repository, unless it sets its own", value: (*intValue)(&c.MaxUploadSessions)},
		{name: "upload-session-ttl", help: "how long an upload session may stay unfinished before the sweeper expires it", value: (*durationValue)(&c.UploadSessionTTL)},
		{name: "tombstone-retention", help: "how long a deleted (tombstoned) version stays restorable before garbage collection may take it (0: not restorable)", value: (*durationValue)(&c.TombstoneRetention)},
		{name: "worker", help: "run the event worker (search indexing, webhooks) in this process; turn it off where a separate 'artifortress worker' runs it", value: (*boolValue)(&c.Worker)},
		{name: "event-lease", help: "how long a worker holds the events it claimed; events of a worker that died are taken over once it ends (handlers get at most half of it, and 10s)", value: (*durationValue)(&c.EventLease)},
		{name: "outbound-allow", help: "comma-separated non-public destinations outbound calls (webhooks, remote repositories' upstreams) may reach: CIDRs, addresses, host names, *.domain", value: (*stringValue)(&c.OutboundAllow)},
		{name: "sweep-interval", help: "how often expired upload sessions and staging debris are cleaned", value: (*durationValue)(&c.SweepInterval)},
	}
}

type stringValue string

func (v *stringValue) String() string     { return string(*v) }
func (v *stringValue) Set(s string) error { *v = stringValue(s); return nil }
func (v *stringValue) Type() string       { return "string" }

type boolValue bool

func (v *boolValue) String() string { return strconv.FormatBool(bool(*v)) }
func (v *boolValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("want true or false")
	}
	*v = boolValue(b)
	return nil
}
func (v *boolValue) Type() string     { return "bool" }
func (v *boolValue) IsBoolFlag() bool { return true }

type durationValue time.Duration

func (v *durationValue) String() string { return time.Duration(*v).String() }
func (v *durationValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration such as 90s, 30m or 720h")
	}
	*v = durationValue(d)
	return nil
}
func (v *durationValue) Type() string { return "duration" }

type int64Value int64

func (v *int64Value) String() string { return strconv.FormatInt(int64(*v), 10) }
func (v *int64Value) Set(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("want a whole number")
	}
	*v = int64Value(n)
	return nil
}
func (v *int64Value) Type() string { return "int" }

type intValue int

func (v *intValue) String() string { return strconv.Itoa(int(*v)) }
func (v *intValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("want a whole number")
	}
	*v = intValue(n)
	return nil
}
func (v *intValue) Type() string { return "int" }
