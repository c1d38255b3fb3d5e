package admincli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"unicode/utf8"

	"github.com/spf13/cobra"
)

// pageFlags are the flags of a paged list: --limit, --cursor and --all.
type pageFlags struct {
	limit  int
	cursor string
	all    bool
	max    int // the server's largest page
}

// register adds the flags to cmd; def is the server's default page size,
// max its largest.
func (p *pageFlags) register(cmd *cobra.Command, noun string, def, max int) {
	p.max = max
	f := cmd.Flags()
	f.IntVar(&p.limit, "limit", def, fmt.Sprintf("%s per page, 1 to %d", noun, max))
	f.StringVar(&p.cursor, "cursor", "", "start at this `cursor` (the nextCursor of the previous page)")
	f.BoolVar(&p.all, "all", false, "follow nextCursor until the last page")
}

// query checks --limit and sets it in q when given (else the server's
// default applies). --cursor is sent by fetch; with --all, the pages are
// followed from it.
func (p *pageFlags) query(cmd *cobra.Command, q url.Values) error {
	if cmd.Flags().Changed("limit") {
		if p.limit < 1 || p.limit > p.max {
			return usageErrorf("invalid --limit %d: want 1 to %d", p.limit, p.max)
		}
		q.Set("limit", strconv.Itoa(p.limit))
	}
	return nil
}

// fetch GETs the pages of path (see listPages) and prints them: in JSON the
// last page as the server sent it, or with --all every item in one
// {"items":[...]}; in table mode through writeTable, followed on standard
// error by the cursor of the next page when there is one.
func (p *pageFlags) fetch(s *session, what, noun, path string, q url.Values, writeTable func(w io.Writer, items []json.RawMessage) error) error {
	items, last, next, err := s.listPages(what, path, q, p.cursor, p.all)
	if err != nil {
		return err
	}
	if s.json() {
		if !p.all {
			return writeJSON(s.out, last)
		}
		return writeValue(s.out, struct {
			Items []json.RawMessage `json:"items"`
		}{items})
	}
	if err := writeTable(s.out, items); err != nil {
		return err
	}
	if next != "" {
		fmt.Fprintf(s.errOut, "More %s: add --cursor %s for the next page, or --all.\n", noun, sanitize(next))
	}
	return nil
}

// decodeItems decodes the raw items of a list; what names one item in the
// error ("event delivery").
func decodeItems[T any](raw []json.RawMessage, what string) ([]T, error) {
	out := make([]T, len(raw))
	for i, r := range raw {
		if err := json.Unmarshal(r, &out[i]); err != nil {
			return nil, fmt.Errorf("server answered an unreadable %s: %w", what, err)
		}
	}
	return out, nil
}

// parseID reads the positional argument name as a positive decimal id
// (events and webhook deliveries are numbered).
func parseID(name, value string) (int64, error) {
	id, err := strconv.ParseInt(value, 10, 64)
	if err != nil || id <= 0 {
		return 0, usageErrorf("invalid %s %q: want a positive whole number", name, value)
	}
	return id, nil
}

// clip cuts s after max bytes (at a rune boundary), marking the cut with
// "...", so a long server message does not stretch a table.
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	n := max
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// jsonCell shows a JSON value compacted on one line, cut after max bytes;
// "" for none or null.
func jsonCell(m json.RawMessage, max int) string {
	var buf bytes.Buffer
	if len(m) == 0 || json.Compact(&buf, m) != nil || buf.String() == "null" {
		return ""
	}
	return clip(buf.String(), max)
}

// formatInt formats a count for a table.
func formatInt(n int64) string { return strconv.FormatInt(n, 10) }
