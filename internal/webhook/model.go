package webhook

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/netguard"
)

// The event types a webhook can subscribe to.
const (
	EventVersionPublished   = "version.published"
	EventVersionQuarantined = "version.quarantined"
	EventQuarantineReleased = "quarantine.released"
	EventQuarantineRejected = "quarantine.rejected"
	EventPolicyDenied       = "policy.denied"
	EventVersionTombstoned  = "version.tombstoned"
	EventVersionRestored    = "version.restored"
	EventVersionFilesAdded  = "version.files_added"
	EventTagUpdated         = "tag.updated"
)

// EventTypes lists every event type a webhook can subscribe to.
var EventTypes = []string{
	EventVersionPublished, EventVersionQuarantined, EventQuarantineReleased, EventQuarantineRejected,
	EventPolicyDenied, EventVersionTombstoned, EventVersionRestored, EventVersionFilesAdded, EventTagUpdated,
}

// Limits on a webhook's fields.
const (
	MaxURLLength   = 2048
	MaxRepos       = 64
	MinSecretBytes = 24
	MaxSecretBytes = 256
	// SecretPrefix marks a base64-encoded secret (Standard Webhooks form).
	SecretPrefix = "whsec_"
)

// Webhook is a webhook as callers see it: never with its secret.
type Webhook struct {
	ID     string   `json:"id"`
	URL    string   `json:"url"`
	Events []string `json:"events"`
	// Repos are the repositories whose events are delivered; empty means
	// every repository.
	Repos   []string `json:"repos"`
	Enabled bool     `json:"enabled"`
	// SecretMask shows the secret's form and last four characters
	// ("whsec_****AbCd"), enough to tell which secret is configured.
	SecretMask string    `json:"secretMask"`
	CreatedBy  string    `json:"createdBy"`
	CreatedAt  time.Time `json:"createdAt"`
	UpdatedAt  time.Time `json:"updatedAt"`
}

// Created is the result of Create: the webhook and, this one time, its
// signing secret.
type Created struct {
	Webhook
	Secret string `json:"secret"`
}

func fromRow(w meta.Webhook) Webhook {
	return Webhook{
		ID: w.ID, URL: w.URL, Events: nonNil(w.Events), Repos: nonNil(w.Repos), Enabled: w.Enabled,
		SecretMask: MaskSecret(w.Secret), CreatedBy: w.CreatedBy, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt,
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// MaskSecret returns a secret's masked form: its "whsec_" prefix if any,
// four asterisks and its last four characters (only asterisks for a
// secret too short to show any).
func MaskSecret(secret string) string {
	prefix := ""
	if strings.HasPrefix(secret, SecretPrefix) {
		prefix, secret = SecretPrefix, secret[len(SecretPrefix):]
	}
	if len(secret) < 16 {
		return prefix + "****"
	}
	return prefix + "****" + secret[len(secret)-4:]
}

// secretKey returns the HMAC key a secret stands for: the decoded bytes of
// a "whsec_" secret, the bytes of any other.
func secretKey(secret string) ([]byte, error) {
	if rest, ok := strings.CutPrefix(secret, SecretPrefix); ok {
		key, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return nil, err
		}
		return key, nil
	}
	return []byte(secret), nil
}

// validateSecret checks a secret given by a caller.
func validateSecret(secret string) error {
	if strings.HasPrefix(secret, SecretPrefix) {
		key, err := secretKey(secret)
		if err != nil {
			return fault.BadRequest("secret", "a secret starting with %q must continue in standard base64: %v", SecretPrefix, err)
		}
		if len(key) < MinSecretBytes || len(key) > MaxSecretBytes {
			return fault.BadRequest("secret", "the key of a %q secret must decode to %d to %d bytes, not %d", SecretPrefix, MinSecretBytes, MaxSecretBytes, len(key))
		}
		return nil
	}
	if len(secret) < MinSecretBytes || len(secret) > MaxSecretBytes {
		return fault.BadRequest("secret", "want %d to %d bytes (or %s followed by base64), got %d", MinSecretBytes, MaxSecretBytes, SecretPrefix, len(secret))
	}
	if !utf8.ValidString(secret) {
		return fault.BadRequest("secret", "must be valid UTF-8")
	}
	for _, r := range secret {
		if r < 0x20 || r == 0x7f {
			return fault.BadRequest("secret", "must not contain control characters")
		}
	}
	return nil
}

// NewSecret returns a fresh secret in Standard Webhooks form: "whsec_"
// and 32 random bytes in base64.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// validateURL checks a webhook URL: absolute http(s), a host, no user
// information or fragment. A host written as an IP address is checked
// against guard now, for early feedback; names are checked when a delivery
// connects.
func validateURL(raw string, guard *netguard.Guard) error {
	if raw == "" {
		return fault.BadRequest("url", "required")
	}
	if len(raw) > MaxURLLength {
		return fault.BadRequest("url", "longer than %d bytes", MaxURLLength)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fault.BadRequest("url", "not a URL: %v", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fault.BadRequest("url", "want an absolute http:// or https:// URL")
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return fault.BadRequest("url", "want an absolute URL with a host, such as https://hooks.example.com/artifortress")
	case u.User != nil:
		return fault.BadRequest("url", "must not contain user information (user:password@); authenticate the sender by its signature")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return fault.BadRequest("url", "must not contain a fragment (#...)")
	}
	if port := u.Port(); port == "" && strings.HasSuffix(u.Host, ":") {
		return fault.BadRequest("url", "empty port")
	}
	host := u.Hostname()
	if addr, err := netip.ParseAddr(host); err == nil && guard != nil && !guard.HostAllowed(host) {
		if err := guard.Check(addr); err != nil {
			return fault.BadRequest("url", "%v", err)
		}
	}
	return nil
}

// normalizeEvents validates, deduplicates and sorts event types.
func normalizeEvents(events []string) ([]string, error) {
	if len(events) == 0 {
		return nil, fault.BadRequest("events", "subscribe to at least one of %s", strings.Join(EventTypes, ", "))
	}
	out := make([]string, 0, len(events))
	for i, e := range events {
		if !slices.Contains(EventTypes, e) {
			return nil, fault.BadRequest(fmt.Sprintf("events[%d]", i), "unknown event type %q (want one of %s)", e, strings.Join(EventTypes, ", "))
		}
		out = append(out, e)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// normalizeRepos validates the shape of repository keys, deduplicates and
// sorts them; existence and roles are checked by the service.
func normalizeRepos(repos []string) ([]string, error) {
	if len(repos) > MaxRepos {
		return nil, fault.BadRequest("repos", "at most %d repositories", MaxRepos)
	}
	out := make([]string, 0, len(repos))
	for i, r := range repos {
		if !auth.ValidRepoKey(r) {
			return nil, fault.BadRequest(fmt.Sprintf("repos[%d]", i), "invalid repository key %q", r)
		}
		out = append(out, r)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// subscribed reports whether w wants event type typ about repository repo
// ("" when the event names none).
func subscribed(w meta.Webhook, typ, repo string) bool {
	if !slices.Contains(w.Events, typ) {
		return false
	}
	if len(w.Repos) == 0 {
		return true
	}
	return repo != "" && slices.Contains(w.Repos, repo)
}
