package search

import (
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/artifortress/artifortress/internal/meta"
)

// Bounds on what one version contributes to the index.
const (
	maxTermBytes        = 64   // longer words are cut
	maxWordsBytes       = 8192 // the words of one version
	maxDescriptionBytes = 512  // the description shown in results
)

// terms splits s into lowercase runs of letters and digits, each cut to
// maxTermBytes, and adds one term per dotted number ("1.2.3" gives "1", "2",
// "3" and "1d2d3"), so that a version or a dotted number in a name is found
// as a whole: "1.2" finds 1.2.0 and 1.20 but not 2.1. Both the index and
// queries use it, so they agree on words.
func terms(s string) []string {
	out := runs(s)
	for _, m := range dottedNumber.FindAllString(s, -1) {
		out = append(out, truncate(strings.ReplaceAll(m, ".", "d"), maxTermBytes))
	}
	return out
}

// runs splits s into lowercase runs of letters and digits.
func runs(s string) []string {
	var out []string
	for f := range strings.FieldsFuncSeq(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		out = append(out, truncate(strings.ToLower(f), maxTermBytes))
	}
	return out
}

// dottedNumber is a run of numbers joined by dots: a version or part of one.
var dottedNumber = regexp.MustCompile(`[0-9]+(?:\.[0-9]+)+`)

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// wordSet collects distinct terms in first-seen order, up to maxWordsBytes.
type wordSet struct {
	seen  map[string]bool
	words []string
	size  int
}

func (w *wordSet) add(s string) {
	for _, t := range terms(s) {
		if w.seen[t] || w.size+len(t)+1 > maxWordsBytes {
			continue
		}
		if w.seen == nil {
			w.seen = map[string]bool{}
		}
		w.seen[t] = true
		w.words = append(w.words, t)
		w.size += len(t) + 1
	}
}

// joined adds the name with its separators removed, so that "leftpad"
// finds "left-pad" and "left_pad".
func (w *wordSet) joined(name string) {
	if ts := runs(name); len(ts) > 1 {
		w.add(strings.Join(ts, ""))
	}
}

// manifestText is what a manifest contributes: its description and the
// words of its keywords and licence, under the names the ecosystems use
// (npm, PyPI, NuGet, Debian, Cargo, generic ...). Unknown shapes are ignored.
type manifestText struct {
	description string
	words       []string
}

// descriptionFields and wordFields are matched case-insensitively.
var (
	descriptionFields = []string{"description", "summary"}
	wordFields        = []string{"keywords", "tags", "license", "licence", "categories", "title"}
)

func readManifest(raw []byte) manifestText {
	var m map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		return manifestText{}
	}
	// Fold the keys to lowercase, the first in sorted order winning, so that
	// the same manifest always gives the same row.
	keys := slices.Sorted(maps.Keys(m))
	folded := make(map[string]json.RawMessage, len(m))
	for _, k := range keys {
		if _, dup := folded[strings.ToLower(k)]; !dup {
			folded[strings.ToLower(k)] = m[k]
		}
	}
	var out manifestText
	for _, f := range descriptionFields {
		if v, ok := folded[f]; ok && out.description == "" {
			out.description = strings.Join(strings.Fields(textOf(v)), " ")
		}
	}
	for _, f := range wordFields {
		if v, ok := folded[f]; ok {
			out.words = append(out.words, textOf(v))
		}
	}
	return out
}

// textOf renders a string, an array of strings, or an object's "type" or
// "name" string (npm's old {"type": "MIT"} licence) as text.
func textOf(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var list []json.RawMessage
	if json.Unmarshal(v, &list) == nil {
		parts := make([]string, 0, len(list))
		for _, e := range list {
			if json.Unmarshal(e, &s) == nil {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, " ")
	}
	var obj struct{ Type, Name string }
	if json.Unmarshal(v, &obj) == nil {
		return obj.Type + " " + obj.Name
	}
	return ""
}

// rowOf derives a version's index row from the truth tables.
func rowOf(src meta.SearchSource, formats Formats) meta.SearchRow {
	full := src.DisplayName
	if f, ok := formats(src.Format); ok {
		full = f.FullName(src.Namespace, src.Name)
	}
	if full == "" {
		full = src.Name
	}
	mt := readManifest(src.Manifest)
	var w wordSet
	w.add(full)
	w.joined(src.Name)
	w.joined(full)
	w.add(src.Version)
	w.add(mt.description)
	for _, s := range mt.words {
		w.add(s)
	}
	return meta.SearchRow{
		VersionID: src.VersionID, Repo: src.Repo, Format: src.Format, Namespace: src.Namespace, Name: src.Name,
		Package: full, Version: src.Version, PublishedAt: src.PublishedAt, PublishedBy: src.PublishedBy,
		Description: truncate(mt.description, maxDescriptionBytes), Words: strings.Join(w.words, " "),
	}
}
