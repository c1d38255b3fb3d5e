package admincli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// maxDescriptionCell bounds the description of a search hit in a table.
const maxDescriptionCell = 60

// searchHit is one item of GET /v1/search and /v1/repos/{key}/search.
type searchHit struct {
	Repo        string `json:"repo"`
	Format      string `json:"format"`
	Package     string `json:"package"`
	Namespace   string `json:"namespace"`
	Name        string `json:"name"`
	Version     string `json:"version"`
	VersionID   string `json:"versionId"`
	PublishedAt string `json:"publishedAt"`
	PublishedBy string `json:"publishedBy"`
	Description string `json:"description"`
	Score       int    `json:"score"`
}

// searchStatus is the answer of GET /v1/admin/search/status and of the
// rebuild, pause and resume calls.
type searchStatus struct {
	State      string    `json:"state"`
	Healthy    bool      `json:"healthy"`
	Problem    string    `json:"problem"`
	Rows       int64     `json:"rows"`
	Indexed    int64     `json:"indexed"`
	Total      int64     `json:"total"`
	StartedAt  string    `json:"startedAt"`
	UpdatedAt  string    `json:"updatedAt"`
	FinishedAt string    `json:"finishedAt"`
	Lag        searchLag `json:"lag"`
}

// searchLag compares the newest event the index follows with the newest
// it has applied.
type searchLag struct {
	NewestEventID  int64   `json:"newestEventId"`
	NewestEventAt  string  `json:"newestEventAt"`
	IndexedEventID int64   `json:"indexedEventId"`
	IndexedEventAt string  `json:"indexedEventAt"`
	Events         int64   `json:"events"`
	BehindSeconds  float64 `json:"behindSeconds"`
}

func newSearchCommand(o *options) *cobra.Command {
	var (
		repo, format string
		pages        pageFlags
	)
	cmd := &cobra.Command{
		Use:   "search [QUERY...] [--repo R] [--format F] [--limit N] [--cursor C | --all]",
		Short: "Search published versions; show and drive the search index",
		Long: `Search the published versions of the repositories the token can read, by the words
of their package names, namespaces, versions and manifests (description, keywords,
licence). Every word of QUERY must start a word of a version; several arguments
are one query ("react hooks"). Without QUERY, every version matches. Hits come
best first: the package's name is the query, then names starting with it, then
other matches, newest published first within each.

--repo searches one repository (a virtual one: its members the token can read),
--format keeps one format. The server answers one page (--limit hits, 20 by default,
at most 100); when more remain, the table output names the cursor of the next page
on standard error and -o json carries it as nextCursor. A cursor only continues
the same query, repository and format. --all follows the cursors.

The index follows the event outbox, so a version shows up shortly after it is
published. The subcommands (global administrators) show its state and lag and
rebuild it from the catalog; to search for one of their names, put it after
"--" (artifortress admin search -- status).`,
		Example: `  artifortress admin search react
  artifortress admin search json parser --format npm --limit 50
  artifortress admin search tool --repo generic-local --all -o json
  artifortress admin search status`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{}
			if text := strings.Join(args, " "); text != "" {
				q.Set("q", text)
			}
			if format != "" {
				q.Set("format", format)
			}
			if err := pages.query(cmd, q); err != nil {
				return err
			}
			path := "/v1/search"
			if repo != "" {
				if err := checkSegments([]string{"--repo"}, []string{repo}); err != nil {
					return err
				}
				path = Pathf("/v1/repos/%s/search", repo)
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			return pages.fetch(s, "search", "hits", path, q, func(w io.Writer, raw []json.RawMessage) error {
				hits, err := decodeItems[searchHit](raw, "search hit")
				if err != nil {
					return err
				}
				t := newTable(w, "REPO", "PACKAGE", "VERSION", "FORMAT", "PUBLISHED", "DESCRIPTION")
				for _, h := range hits {
					t.row(h.Repo, h.Package, h.Version, h.Format, h.PublishedAt, clip(h.Description, maxDescriptionCell))
				}
				return t.flush()
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&repo, "repo", "", "search this repository `key` only")
	f.StringVar(&format, "format", "", "only versions of this `format` (npm, maven, generic, ...)")
	pages.register(cmd, "hits", 20, 100)
	_ = cmd.RegisterFlagCompletionFunc("format", fixedCompletion(repoFormats...))
	cmd.AddCommand(
		newSearchStatusCommand(o),
		newSearchControlCommand(o, "rebuild", "/v1/admin/search/rebuild",
			"Rebuild the search index from the catalog",
			`Rebuild the search index from the catalog (every published version, not the
events), in batches in the background; searches keep answering from the current
index meanwhile. An index that cannot be read is first recreated empty. A rebuild
already running or paused is refused with 409 search_rebuild_in_progress.`,
			"Rebuild started: the server indexes in the background; follow it with 'artifortress admin search status'."),
		newSearchControlCommand(o, "pause", "/v1/admin/search/pause",
			"Pause a running rebuild of the search index",
			`Pause a running rebuild after its current batch; it keeps its position. Pausing a
paused rebuild changes nothing; with no rebuild it is refused with 409
search_rebuild_not_running.`,
			"Rebuild paused: continue it with 'artifortress admin search resume'."),
		newSearchControlCommand(o, "resume", "/v1/admin/search/resume",
			"Resume a paused rebuild of the search index",
			`Resume a paused rebuild from its position. Resuming a running rebuild changes
nothing; with no rebuild it is refused with 409 search_rebuild_not_running.`,
			"Rebuild running: follow it with 'artifortress admin search status'."),
	)
	return cmd
}

func newSearchStatusCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the state, size and lag of the search index (global administrators)",
		Long: `Show the search index: whether it can be read (when not, searches answer 503
search_unavailable until a rebuild repairs it), how many versions it holds, the
state and progress of the running, paused or last rebuild, and its lag behind the
event outbox (events not yet applied, and how far behind in time).`,
		Example: `  artifortress admin search status
  artifortress admin search status -o json | jq .lag.events`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			return s.searchStatus(http.MethodGet, "/v1/admin/search/status", "")
		},
	}
}

func newSearchControlCommand(o *options, name, path, short, long, done string) *cobra.Command {
	return &cobra.Command{
		Use:     name,
		Short:   short + " (global administrators)",
		Long:    long + "\n\nThe answer is the status of the index, as \"search status\" shows it.",
		Example: "  artifortress admin search " + name + "\n  artifortress admin search " + name + " -o json",
		Args:    exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			return s.searchStatus(http.MethodPost, path, done)
		},
	}
}

// searchStatus performs a request answering the index's status and prints
// it; in table mode note follows on standard error.
func (s *session) searchStatus(method, path, note string) error {
	var st searchStatus
	raw, err := s.client.Call(s.ctx, method, path, nil, nil, &st)
	if err != nil {
		return err
	}
	return s.print(raw, func(w io.Writer) error {
		if err := writeSearchStatus(w, &st); err != nil {
			return err
		}
		if note != "" {
			fmt.Fprintln(s.errOut, note)
		}
		return nil
	})
}

func writeSearchStatus(w io.Writer, st *searchStatus) error {
	rows := formatInt(st.Rows)
	if st.Rows < 0 {
		rows = "unknown"
	}
	progress := ""
	if st.Total > 0 || st.Indexed > 0 {
		progress = fmt.Sprintf("%d of %d versions", st.Indexed, st.Total)
		if st.Total > 0 {
			progress += fmt.Sprintf(" (%d%%)", min(100, st.Indexed*100/st.Total))
		}
	}
	behind := ""
	switch {
	case st.Lag.Events < 0:
		behind = "unknown"
	case st.Lag.Events == 0:
		behind = "up to date"
	default:
		behind = fmt.Sprintf("%d event(s), %s", st.Lag.Events, time.Duration(st.Lag.BehindSeconds*float64(time.Second)).Round(time.Millisecond))
	}
	return writeFields(w, [][2]string{
		{"State", st.State},
		{"Healthy", strconv.FormatBool(st.Healthy)},
		{"Problem", st.Problem},
		{"Versions indexed", rows},
		{"Rebuild progress", progress},
		{"Rebuild started", st.StartedAt},
		{"Rebuild updated", st.UpdatedAt},
		{"Rebuild finished", st.FinishedAt},
		{"Newest event", eventAt(st.Lag.NewestEventID, st.Lag.NewestEventAt)},
		{"Indexed event", eventAt(st.Lag.IndexedEventID, st.Lag.IndexedEventAt)},
		{"Behind", behind},
	})
}

// eventAt shows an event id with its time ("42 at 2026-...").
func eventAt(id int64, at string) string {
	if id <= 0 {
		return ""
	}
	if at == "" {
		return formatInt(id)
	}
	return formatInt(id) + " at " + at
}
