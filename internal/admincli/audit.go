package admincli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"
)

// auditActions of docs/api.md, offered for completion; the server validates.
var auditActions = []string{"token.issue", "token.revoke", "repo.create", "repo.update", "repo.delete", "binding.put", "binding.delete"}

// auditRecord is one audit record.
type auditRecord struct {
	ID        int64           `json:"id"`
	At        string          `json:"at"`
	Actor     string          `json:"actor"`
	Action    string          `json:"action"`
	Resource  string          `json:"resource"`
	Repo      string          `json:"repo"`
	RequestID string          `json:"requestId"`
	Details   json.RawMessage `json:"details"`
}

// auditPage is the answer of GET /v1/audit. Items stay raw so JSON output
// keeps every field the server sends.
type auditPage struct {
	Items      []json.RawMessage `json:"items"`
	NextCursor string            `json:"nextCursor,omitempty"`
}

// auditFilters are the filters shared by audit list and audit export.
type auditFilters struct {
	actor, action, repo, since, until string
}

func (f *auditFilters) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.actor, "actor", "", "only records of this `actor` (subject)")
	fs.StringVar(&f.action, "action", "", "only records of this `action`, e.g. repo.create, token.issue")
	fs.StringVar(&f.repo, "repo", "", "only records about this repository `key`")
	fs.StringVar(&f.since, "since", "", "only records since this RFC 3339 `time`, e.g. 2026-11-01T00:00:00Z (sent in UTC)")
	fs.StringVar(&f.until, "until", "", "only records until this RFC 3339 `time` (sent in UTC)")
	_ = cmd.RegisterFlagCompletionFunc("action", fixedCompletion(auditActions...))
}

// query validates the filters and encodes the set ones.
func (f *auditFilters) query() (url.Values, error) {
	q := url.Values{}
	var since, until time.Time
	for _, t := range []struct {
		flag, value string
		parsed      *time.Time
	}{{"--since", f.since, &since}, {"--until", f.until, &until}} {
		if t.value == "" {
			continue
		}
		p, err := time.Parse(time.RFC3339, t.value)
		if err != nil {
			return nil, usageErrorf("invalid %s %q: want an RFC 3339 time such as 2026-11-26T18:00:00Z", t.flag, t.value)
		}
		*t.parsed = p
	}
	if !since.IsZero() && !until.IsZero() && until.Before(since) {
		return nil, usageErrorf("--until %s is before --since %s", f.until, f.since)
	}
	for k, v := range map[string]string{"actor": f.actor, "action": f.action, "repo": f.repo} {
		if v != "" {
			q.Set(k, v)
		}
	}
	// The API speaks RFC 3339 in UTC: an offset given on the command line is
	// converted rather than sent as is.
	if !since.IsZero() {
		q.Set("since", since.UTC().Format(time.RFC3339Nano))
	}
	if !until.IsZero() {
		q.Set("until", until.UTC().Format(time.RFC3339Nano))
	}
	return q, nil
}

func newAuditCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Read the audit log (global administrators)",
		Long: `Read the audit log: one record per privileged change (token.issue, token.revoke,
repo.create, repo.update, repo.delete, binding.put, binding.delete), written in the
same transaction as the change. Secrets never appear in records.`,
		Example: `  artifortress admin audit list --action repo.delete --since 2026-11-01T00:00:00Z
  artifortress admin audit export --since 2026-11-01T00:00:00Z -f audit-november.ndjson`,
		Args: cobra.NoArgs,
		RunE: showHelp,
	}
	cmd.AddCommand(newAuditListCommand(o), newAuditExportCommand(o))
	return cmd
}

func newAuditListCommand(o *options) *cobra.Command {
	var (
		filters auditFilters
		limit   int
		cursor  string
		all     bool
	)
	cmd := &cobra.Command{
		Use:   "list [filters] [--limit N] [--cursor C | --all]",
		Short: "List audit records, newest first, one page at a time",
		Long: `List audit records, newest first. The server answers one page (--limit records,
100 by default, at most 1000); when more remain, the table output names the cursor
of the next page on standard error and -o json carries it as nextCursor.

--all follows the cursors until the last page and prints every record at once
(--limit then sets the page size). For large ranges prefer "audit export", which
streams.`,
		Example: `  artifortress admin audit list
  artifortress admin audit list --actor alice --action binding.put --limit 20
  artifortress admin audit list --repo npm-local --since 2026-11-01T00:00:00Z --until 2026-12-01T00:00:00Z --all -o json
  artifortress admin audit list --cursor eyJpZCI6NDJ9`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, err := filters.query()
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("limit") {
				if limit < 1 || limit > 1000 {
					return usageErrorf("invalid --limit %d: want 1 to 1000", limit)
				}
				q.Set("limit", strconv.Itoa(limit))
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var (
				items []json.RawMessage
				seen  = map[string]bool{}
				last  []byte
				page  auditPage
			)
			for {
				if cursor != "" {
					q.Set("cursor", cursor)
				}
				page = auditPage{}
				last, err = s.client.Call(s.ctx, http.MethodGet, "/v1/audit", q, nil, &page)
				if err != nil {
					return err
				}
				items = append(items, page.Items...)
				if !all || page.NextCursor == "" {
					break
				}
				if seen[page.NextCursor] {
					return fmt.Errorf("audit list --all: the server repeated cursor %q; stopping", page.NextCursor)
				}
				seen[page.NextCursor] = true
				cursor = page.NextCursor
			}
			if s.json() {
				if !all {
					return writeJSON(s.out, last)
				}
				if items == nil {
					items = []json.RawMessage{}
				}
				return writeValue(s.out, auditPage{Items: items})
			}
			records := make([]auditRecord, len(items))
			for i, raw := range items {
				if err := json.Unmarshal(raw, &records[i]); err != nil {
					return fmt.Errorf("server answered an unreadable audit record: %w", err)
				}
			}
			if err := writeAuditTable(s.out, records); err != nil {
				return err
			}
			if !all && page.NextCursor != "" {
				fmt.Fprintf(s.errOut, "More records: add --cursor %s for the next page, or --all.\n", sanitize(page.NextCursor))
			}
			return nil
		},
	}
	filters.register(cmd)
	cmd.Flags().IntVar(&limit, "limit", 100, "records per page, 1 to 1000")
	cmd.Flags().StringVar(&cursor, "cursor", "", "start at this `cursor` (the nextCursor of the previous one)")
	cmd.Flags().BoolVar(&all, "all", false, "follow nextCursor until the last page")
	return cmd
}

func writeAuditTable(w io.Writer, records []auditRecord) error {
	t := newTable(w, "ID", "AT", "ACTOR", "ACTION", "RESOURCE", "DETAILS")
	for _, r := range records {
		details := ""
		var buf bytes.Buffer
		if len(r.Details) > 0 && json.Compact(&buf, r.Details) == nil {
			if d := buf.String(); d != "null" && d != "{}" {
				details = d
			}
		}
		t.row(strconv.FormatInt(r.ID, 10), r.At, r.Actor, r.Action, r.Resource, details)
	}
	return t.flush()
}

func newAuditExportCommand(o *options) *cobra.Command {
	var (
		filters auditFilters
		file    string
	)
	cmd := &cobra.Command{
		Use:   "export [filters] [-f FILE]",
		Short: "Stream audit records as NDJSON, oldest first",
		Long: `Stream the audit records matching the filters as NDJSON (one JSON record per
line, oldest first) to standard output or to a file, as the server sends them:
nothing is held in memory, so any range can be exported. --output does not apply.

With -f, the records are written to a temporary file next to FILE (mode 0600)
that replaces FILE only once the export is complete; a failed export leaves FILE
untouched. --timeout bounds the wait for the export to start, not its length.`,
		Example: `  artifortress admin audit export > audit.ndjson
  artifortress admin audit export --since 2026-11-01T00:00:00Z --until 2026-12-01T00:00:00Z -f audit-november.ndjson
  artifortress admin audit export --action token.issue | jq -r .actor`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, err := filters.query()
			if err != nil {
				return err
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			if file == "" || file == "-" {
				_, err := s.client.stream(s.ctx, "/v1/audit/export", q, "application/x-ndjson", s.out)
				return err
			}
			n, err := exportToFile(s, q, file)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(s.errOut, "Exported %d audit record(s) to %s.\n", n, file)
			return err
		},
	}
	filters.register(cmd)
	cmd.Flags().StringVarP(&file, "file", "f", "", "write to this `file` instead of standard output (- is standard output)")
	return cmd
}

// exportToFile streams the export into a temporary file beside path and
// renames it to path once complete. It returns the number of records.
func exportToFile(s *session, q url.Values, path string) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return 0, fmt.Errorf("creating the export file: %w", err)
	}
	lc := &lineCounter{w: tmp}
	_, err = s.client.stream(s.ctx, "/v1/audit/export", q, "application/x-ndjson", lc)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return 0, err
	}
	return lc.records(), nil
}

// lineCounter counts the NDJSON records written through it.
type lineCounter struct {
	w        io.Writer
	newlines int64
	last     byte
	any      bool
}

func (c *lineCounter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.newlines += int64(bytes.Count(p[:n], []byte{'\n'}))
	if n > 0 {
		c.last, c.any = p[n-1], true
	}
	return n, err
}

func (c *lineCounter) records() int64 {
	if c.any && c.last != '\n' {
		return c.newlines + 1
	}
	return c.newlines
}
