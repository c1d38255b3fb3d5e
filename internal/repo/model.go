package repo

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/artifortress/artifortress/internal/fault"
)

// Types of repository.
const (
	TypeLocal   = "local"   // stores what is published to it
	TypeRemote  = "remote"  // a pull-through cache of an upstream registry
	TypeVirtual = "virtual" // an ordered union of other repositories
)

// Types lists the repository types.
var Types = []string{TypeLocal, TypeRemote, TypeVirtual}

// Formats lists the supported package formats.
var Formats = []string{"generic", "oci", "npm", "pypi", "maven", "go", "cargo", "nuget", "helm", "rubygems", "debian", "rpm"}

// MaxDescription bounds a description's length in bytes.
const MaxDescription = 1024

// MaxMembers bounds how many members a virtual repository lists.
const MaxMembers = 64

// Settings are the per-repository options. New options are added here with
// their zero value as the default.
type Settings struct {
	// AnonymousRead lets callers without credentials read the repository.
	AnonymousRead bool `json:"anonymousRead"`
	// MaxBlobBytes bounds one blob uploaded to the repository (0: the
	// server's --max-blob-bytes).
	MaxBlobBytes int64 `json:"maxBlobBytes"`
	// MaxUploadSessions bounds the repository's unfinished upload sessions
	// (0: the server's --max-upload-sessions).
	MaxUploadSessions int `json:"maxUploadSessions"`
	// RedirectDownloads answers blob downloads with a redirect to a
	// short-lived pre-signed URL when the blob store offers one (S3).
	RedirectDownloads bool `json:"redirectDownloads"`
	// MetadataTTLSeconds is how long a remote repository serves fetched
	// metadata before asking its upstream again (0: 300 seconds).
	MetadataTTLSeconds int `json:"metadataTtlSeconds"`
	// DeployTo is, for a virtual repository, the local member that
	// publishes sent to the virtual repository go to ("": refused).
	DeployTo string `json:"deployTo"`
	// ImmutableTags makes tags write-once: a tag, once set, is never
	// pointed at another version nor removed (OCI release tags; npm's
	// dist-tags would never move).
	ImmutableTags bool `json:"immutableTags"`
}

func (s Settings) validate() error {
	if s.MaxBlobBytes < 0 {
		return fault.BadRequest("settings.maxBlobBytes", "must not be negative")
	}
	if s.MaxUploadSessions < 0 {
		return fault.BadRequest("settings.maxUploadSessions", "must not be negative")
	}
	if s.MetadataTTLSeconds < 0 {
		return fault.BadRequest("settings.metadataTtlSeconds", "must not be negative")
	}
	return nil
}

// Repo is a repository as callers see it.
type Repo struct {
	Key         string
	Type        string
	Format      string
	Description string
	UpstreamURL string
	Members     []string
	Settings    Settings
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// BlockedVersions counts the versions the quarantine lane hides, as of
	// the read (cached like the rest; 0 lets downloads skip the check).
	BlockedVersions int64
}

func validateType(t string) error {
	if !slices.Contains(Types, t) {
		return fault.BadRequest("type", "unknown repository type %q (want %s)", t, strings.Join(Types, ", "))
	}
	return nil
}

func validateFormat(f string) error {
	if !slices.Contains(Formats, f) {
		return fault.BadRequest("format", "unknown format %q (want one of %s)", f, strings.Join(Formats, ", "))
	}
	return nil
}

func validateDescription(d string) error {
	if len(d) > MaxDescription {
		return fault.BadRequest("description", "at most %d bytes", MaxDescription)
	}
	return nil
}

// validateUpstream checks an upstream URL: absolute http(s) with a host, no
// user info (credentials are configured separately and never sit in a URL),
// no fragment.
func validateUpstream(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fault.BadRequest("upstreamUrl", "not a URL: %v", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fault.BadRequest("upstreamUrl", "must be an absolute http:// or https:// URL")
	case u.Host == "" || u.Hostname() == "":
		return fault.BadRequest("upstreamUrl", "must name a host")
	case u.User != nil:
		return fault.BadRequest("upstreamUrl", "must not carry credentials")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return fault.BadRequest("upstreamUrl", "must not carry a fragment")
	}
	return nil
}

// validateShape checks the fields that depend on the repository type.
func validateShape(typ, upstream string, members []string) error {
	switch typ {
	case TypeRemote:
		if upstream == "" {
			return fault.BadRequest("upstreamUrl", "a remote repository needs an upstream URL")
		}
		if err := validateUpstream(upstream); err != nil {
			return err
		}
	default:
		if upstream != "" {
			return fault.BadRequest("upstreamUrl", "only remote repositories have an upstream URL")
		}
	}
	switch typ {
	case TypeVirtual:
		if len(members) == 0 {
			return fault.BadRequest("members", "a virtual repository needs at least one member")
		}
		if len(members) > MaxMembers {
			return fault.BadRequest("members", "at most %d members", MaxMembers)
		}
		seen := map[string]bool{}
		for i, m := range members {
			if seen[m] {
				return fault.BadRequest(fmt.Sprintf("members[%d]", i), "%q is listed twice", m)
			}
			seen[m] = true
		}
	default:
		if len(members) > 0 {
			return fault.BadRequest("members", "only virtual repositories have members")
		}
	}
	return nil
}

func encodeSettings(s Settings) string {
	b, _ := json.Marshal(s) // a struct of plain fields always marshals
	return string(b)
}

func decodeSettings(raw string) (Settings, error) {
	var s Settings
	if raw == "" {
		return s, nil
	}
	err := json.Unmarshal([]byte(raw), &s)
	return s, err
}
