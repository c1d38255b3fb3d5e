package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/artifortress/artifortress/internal/blob/s3store"
	"github.com/artifortress/artifortress/internal/netguard"
	"github.com/artifortress/artifortress/internal/publicurl"
)

// Config is every server setting.
type Config struct {
	Listen             string
	DataDir            string
	DatabaseURL        string
	PublicURL          string
	TrustedProxies     string
	AutoMigrate        bool
	MaxTokenTTL        time.Duration
	BootstrapToken     string
	MaxRequestBytes    int64
	LogLevel           string
	OTLPEndpoint       string
	ShutdownTimeout    time.Duration
	TokenUsageInterval time.Duration
	AuthCacheTTL       time.Duration

	BlobStore         string
	S3Endpoint        string
	S3Region          string
	S3AccessKey       string
	S3SecretKey       string
	S3PathStyle       bool
	MaxBlobBytes      int64
	MaxUploadSessions int
	UploadSessionTTL  time.Duration
	SweepInterval     time.Duration

	TombstoneRetention time.Duration

	Worker        bool
	EventLease    time.Duration
	OutboundAllow string
}

// Defaults returns the configuration used when nothing is set: the embedded
// default (SQLite and blobs under ./data) on 127.0.0.1:8080.
func Defaults() Config {
	return Config{
		Listen:             "127.0.0.1:8080",
		DataDir:            "./data",
		AutoMigrate:        true,
		MaxTokenTTL:        365 * 24 * time.Hour,
		MaxRequestBytes:    1 << 20,
		LogLevel:           "info",
		ShutdownTimeout:    30 * time.Second,
		TokenUsageInterval: 30 * time.Second,
		AuthCacheTTL:       2 * time.Second,
		S3Region:           "us-east-1",
		S3PathStyle:        true,
		MaxUploadSessions:  64,
		UploadSessionTTL:   24 * time.Hour,
		SweepInterval:      time.Minute,
		TombstoneRetention: 30 * 24 * time.Hour,
		Worker:             true,
		EventLease:         30 * time.Second,
	}
}

// MinBootstrapTokenLen is the shortest bootstrap secret accepted.
const MinBootstrapTokenLen = 32

// Validate checks every setting and names the first bad one.
func (c Config) Validate() error {
	if _, port, err := net.SplitHostPort(c.Listen); err != nil || port == "" {
		return fmt.Errorf("listen: %q is not host:port (for example 127.0.0.1:8080 or :8080)", c.Listen)
	}
	if strings.TrimSpace(c.DataDir) == "" {
		return fmt.Errorf("data-dir: must not be empty")
	}
	if d := c.DatabaseURL; d != "" && !strings.HasPrefix(d, "postgres://") && !strings.HasPrefix(d, "postgresql://") && !strings.HasPrefix(d, "sqlite:") {
		return fmt.Errorf("database-url: want postgres://..., postgresql://... or sqlite:<path> (empty means SQLite in the data directory)")
	}
	if _, err := publicurl.ParseTrusted(c.TrustedProxies); err != nil {
		return fmt.Errorf("trusted-proxies: %v", err)
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("public-url: %q is not an absolute http(s) URL", c.PublicURL)
		}
	}
	if c.MaxTokenTTL < time.Minute {
		return fmt.Errorf("max-token-ttl: must be at least 1m, got %s", c.MaxTokenTTL)
	}
	if c.BootstrapToken != "" && len(c.BootstrapToken) < MinBootstrapTokenLen {
		return fmt.Errorf("bootstrap-token (ARTIFORTRESS_BOOTSTRAP_TOKEN): must be at least %d characters", MinBootstrapTokenLen)
	}
	if c.MaxRequestBytes < 1024 {
		return fmt.Errorf("max-request-bytes: must be at least 1024, got %d", c.MaxRequestBytes)
	}
	if _, err := c.SlogLevel(); err != nil {
		return err
	}
	if c.ShutdownTimeout <= 0 {
		return fmt.Errorf("shutdown-timeout: must be positive")
	}
	if c.AuthCacheTTL < 0 || c.AuthCacheTTL > time.Minute {
		return fmt.Errorf("auth-cache-ttl: must be between 0 (off) and 1m")
	}
	if c.TokenUsageInterval < time.Second {
		return fmt.Errorf("token-usage-interval: must be at least 1s")
	}
	return c.validateBlobs()
}

func (c Config) validateBlobs() error {
	switch {
	case c.BlobStore == "":
	case strings.HasPrefix(c.BlobStore, "s3://"):
		if _, _, err := s3store.ParseURL(c.BlobStore); err != nil {
			return fmt.Errorf("blob-store: %v", err)
		}
		if c.S3Endpoint != "" {
			if e, err := url.Parse(c.S3Endpoint); err != nil || (e.Scheme != "http" && e.Scheme != "https") || e.Host == "" {
				return fmt.Errorf("s3-endpoint: %q is not an absolute http(s) URL", c.S3Endpoint)
			}
		}
	default:
		return fmt.Errorf("blob-store: want empty (files under the data directory) or s3://bucket[/prefix], got %q", c.BlobStore)
	}
	if c.MaxBlobBytes < 0 {
		return fmt.Errorf("max-blob-bytes: must not be negative (0 means no limit)")
	}
	if c.MaxUploadSessions < 1 {
		return fmt.Errorf("max-upload-sessions: must be at least 1")
	}
	if c.UploadSessionTTL < time.Minute {
		return fmt.Errorf("upload-session-ttl: must be at least 1m")
	}
	if c.SweepInterval < time.Second {
		return fmt.Errorf("sweep-interval: must be at least 1s")
	}
	if c.EventLease < 2*time.Second {
		return fmt.Errorf("event-lease: must be at least 2s")
	}
	if c.TombstoneRetention < 0 {
		return fmt.Errorf("tombstone-retention: must not be negative (0: a tombstone cannot be restored)")
	}
	if _, err := netguard.New(netguard.Config{Allow: c.OutboundAllowList()}); err != nil {
		return fmt.Errorf("outbound-allow: %v", err)
	}
	return nil
}

// OutboundAllowList splits OutboundAllow into its entries.
func (c Config) OutboundAllowList() []string {
	var out []string
	for _, e := range strings.Split(c.OutboundAllow, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// SlogLevel parses LogLevel.
func (c Config) SlogLevel() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return 0, fmt.Errorf("log-level: %q is not debug, info, warn or error", c.LogLevel)
	}
	return l, nil
}
