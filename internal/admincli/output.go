package admincli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode"
)

// Output formats of --output.
const (
	outputTable = "table"
	outputJSON  = "json"
)

// writeJSON prints a JSON answer of the API indented by two spaces, ending
// with one newline (json.Indent keeps the newline the server's encoder
// ends its answers with, so surrounding space is trimmed first).
func writeJSON(w io.Writer, raw []byte) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		raw = []byte("{}")
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return fmt.Errorf("server answered invalid JSON: %w", err)
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

// writeValue marshals v indented by two spaces (for output the client
// assembles itself, such as merged audit pages).
func writeValue(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// table writes aligned columns; cells are sanitized and empty cells show "-".
type table struct {
	tw *tabwriter.Writer
}

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	if len(header) > 0 {
		t.row(header...)
	}
	return t
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		cells[i] = cell(c)
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

// writeFields prints one resource as "Name:  value" lines.
func writeFields(w io.Writer, fields [][2]string) error {
	t := newTable(w)
	for _, f := range fields {
		t.row(f[0]+":", f[1])
	}
	return t.flush()
}

// cell prepares a value for a table: "-" when empty, control characters
// (tabs, newlines, terminal escapes) replaced by spaces.
func cell(s string) string {
	s = sanitize(s)
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

// sanitize replaces control characters of server-provided text by spaces so
// it can neither break a table nor drive the terminal.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

func join(items []string) string { return strings.Join(items, ",") }

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
