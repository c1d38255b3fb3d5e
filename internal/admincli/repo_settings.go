package admincli

import (
	"strconv"

	"github.com/spf13/pflag"
)

// repoSettings is the settings object of a repository (docs/api.md,
// "settings"). A zero value means the option is off or, for the limits,
// that the server's own setting applies.
type repoSettings struct {
	AnonymousRead     bool  `json:"anonymousRead"`
	MaxBlobBytes      int64 `json:"maxBlobBytes"`
	MaxUploadSessions int   `json:"maxUploadSessions"`
	RedirectDownloads bool  `json:"redirectDownloads"`
	// MetadataTTLSeconds applies to remote repositories.
	MetadataTTLSeconds int `json:"metadataTtlSeconds"`
	// DeployTo applies to virtual repositories.
	DeployTo string `json:"deployTo"`
	// ImmutableTags makes tags write-once.
	ImmutableTags bool `json:"immutableTags"`
}

// repoSettingFlags binds one flag to each repository setting, shared by
// `repos create` and `repos update`.
type repoSettingFlags struct {
	values repoSettings
	flags  *pflag.FlagSet
	// byFlag maps each flag to its settings key and current value.
	byFlag []settingFlag
}

type settingFlag struct {
	flag, key string
	value     func() any
}

// Names of the setting flags, for usage messages.
const settingFlagNames = "--anonymous-read, --max-blob-bytes, --max-upload-sessions, --redirect-downloads, --metadata-ttl-seconds, --deploy-to, --immutable-tags"

// newRepoSettingFlags registers the setting flags on f.
func newRepoSettingFlags(f *pflag.FlagSet) *repoSettingFlags {
	s := &repoSettingFlags{flags: f}
	v := &s.values
	f.BoolVar(&v.AnonymousRead, "anonymous-read", false,
		"let unauthenticated clients read the repository and its blobs (--anonymous-read=false turns it off)")
	f.Int64Var(&v.MaxBlobBytes, "max-blob-bytes", 0,
		"largest blob accepted in the repository, in `bytes` (0: the server's --max-blob-bytes)")
	f.IntVar(&v.MaxUploadSessions, "max-upload-sessions", 0,
		"how many unfinished upload sessions (`count`) the repository may have at once (0: the server's --max-upload-sessions)")
	f.BoolVar(&v.RedirectDownloads, "redirect-downloads", false,
		"answer blob downloads with a redirect to a short-lived pre-signed URL when the blob store offers one (S3); --redirect-downloads=false turns it off")
	f.IntVar(&v.MetadataTTLSeconds, "metadata-ttl-seconds", 0,
		"remote repositories: how long fetched metadata (packuments, index pages) is served before the upstream is asked again, in `seconds` (0: 300)")
	f.StringVar(&v.DeployTo, "deploy-to", "",
		"virtual repositories: the local member (`key`) that publishes sent to the virtual repository go to (\"\": refused)")
	f.BoolVar(&v.ImmutableTags, "immutable-tags", false,
		"tags are set once and never moved or removed (OCI release tags; npm dist-tags would never move); --immutable-tags=false turns it off")
	s.byFlag = []settingFlag{
		{"anonymous-read", "anonymousRead", func() any { return v.AnonymousRead }},
		{"max-blob-bytes", "maxBlobBytes", func() any { return v.MaxBlobBytes }},
		{"max-upload-sessions", "maxUploadSessions", func() any { return v.MaxUploadSessions }},
		{"redirect-downloads", "redirectDownloads", func() any { return v.RedirectDownloads }},
		{"metadata-ttl-seconds", "metadataTtlSeconds", func() any { return v.MetadataTTLSeconds }},
		{"deploy-to", "deployTo", func() any { return v.DeployTo }},
		{"immutable-tags", "immutableTags", func() any { return v.ImmutableTags }},
	}
	return s
}

// changed returns the settings whose flags were given, keyed as the API
// names them, or nil when none was: the server keeps (PATCH) or defaults
// (POST) the others.
func (s *repoSettingFlags) changed() map[string]any {
	var out map[string]any
	for _, sf := range s.byFlag {
		if s.flags.Changed(sf.flag) {
			if out == nil {
				out = map[string]any{}
			}
			out[sf.key] = sf.value()
		}
	}
	return out
}

// settingFields are the table rows of a repository's settings.
func settingFields(s repoSettings, repoType string) [][2]string {
	limit := func(n int64, server string) string {
		if n == 0 {
			return "0 (the server's " + server + ")"
		}
		return strconv.FormatInt(n, 10)
	}
	fields := [][2]string{
		{"Anonymous read", strconv.FormatBool(s.AnonymousRead)},
		{"Max blob bytes", limit(s.MaxBlobBytes, "--max-blob-bytes")},
		{"Max upload sessions", limit(int64(s.MaxUploadSessions), "--max-upload-sessions")},
		{"Redirect downloads", strconv.FormatBool(s.RedirectDownloads)},
	}
	switch repoType {
	case "remote":
		fields = append(fields, [2]string{"Metadata TTL", metadataTTL(s.MetadataTTLSeconds)})
	case "virtual":
		if s.DeployTo != "" {
			fields = append(fields, [2]string{"Deploy to", s.DeployTo})
		}
	}
	return fields
}

// metadataTTL shows a remote repository's metadata TTL.
func metadataTTL(seconds int) string {
	if seconds == 0 {
		return "0 (300 seconds)"
	}
	return strconv.Itoa(seconds) + " seconds"
}
