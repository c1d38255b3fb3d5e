package search

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/format/formats"
	"github.com/artifortress/artifortress/internal/meta"
)

func TestTerms(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"--- @@", nil},
		{"left-pad", []string{"left", "pad"}},
		{"@Acme/Left_Pad", []string{"acme", "left", "pad"}},
		{"org.apache.commons:commons-lang3", []string{"org", "apache", "commons", "commons", "lang3"}},
		{"1.2.3-beta.1", []string{"1", "2", "3", "beta", "1", "1d2d3"}},
		{"v10.0 and 2.1", []string{"v10", "0", "and", "2", "1", "10d0", "2d1"}},
		{"Café Ünïcode 日本語", []string{"café", "ünïcode", "日本語"}},
		{strings.Repeat("x", 100), []string{strings.Repeat("x", maxTermBytes)}},
		{strings.Repeat("é", 40), []string{strings.Repeat("é", 32)}},
	}
	for _, tt := range tests {
		if got := terms(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("terms(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := queryTerms("pad pad 1.1"); !slices.Equal(got, []string{"pad", "1", "1d1"}) {
		t.Errorf("queryTerms: %q", got)
	}
}

func TestReadManifest(t *testing.T) {
	tests := []struct {
		name, raw, desc string
		words           []string
	}{
		{"npm", `{"name":"x","description":"  Pads\n strings ","keywords":["a","b"],"license":"MIT"}`, "Pads strings", []string{"a b", "MIT"}},
		{"npm old licence object", `{"license":{"type":"BSD","url":"u"}}`, "", []string{"BSD "}},
		{"pypi", `{"summary":"Short","keywords":"k1,k2","classifiers":["x"]}`, "Short", []string{"k1,k2"}},
		{"description wins over summary", `{"summary":"S","description":"D"}`, "D", nil},
		{"debian case", `{"Description":"Deb pkg","License":"GPL"}`, "Deb pkg", []string{"GPL"}},
		{"case duplicates resolve by sorted key", `{"description":"lower","Description":"Upper"}`, "Upper", nil},
		{"not an object", `[1,2]`, "", nil},
		{"invalid", `{`, "", nil},
		{"empty", ``, "", nil},
		{"numbers are ignored", `{"description":5,"keywords":[1,"k"]}`, "", []string{"k"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readManifest([]byte(tt.raw))
			if got.description != tt.desc || !slices.Equal(got.words, tt.words) {
				t.Fatalf("got %q %q, want %q %q", got.description, got.words, tt.desc, tt.words)
			}
		})
	}
}

func TestRowOf(t *testing.T) {
	src := meta.SearchSource{
		VersionID: "ver_1", Repo: "npm-a", Format: "npm", Namespace: "acme", Name: "left-pad", DisplayName: "@Acme/left-pad",
		Version: "1.2.0", PublishedBy: "alice", PublishedAt: time.UnixMicro(42).UTC(),
		Manifest: []byte(`{"name":"@acme/left-pad","description":"Pads strings","keywords":["pad","left"],"license":"MIT"}`),
	}
	row := rowOf(src, formats.Lookup)
	want := meta.SearchRow{
		VersionID: "ver_1", Repo: "npm-a", Format: "npm", Namespace: "acme", Name: "left-pad", Package: "@acme/left-pad",
		Version: "1.2.0", PublishedAt: src.PublishedAt, PublishedBy: "alice", Description: "Pads strings",
		Words: "acme left pad leftpad acmeleftpad 1 2 0 1d2d0 pads strings mit",
	}
	if row != want {
		t.Fatalf("rowOf:\n%+v\nwant\n%+v", row, want)
	}
	for range 20 {
		if again := rowOf(src, formats.Lookup); again != row {
			t.Fatal("rowOf is not deterministic")
		}
	}
	src.Format = "unknown-format"
	if row := rowOf(src, formats.Lookup); row.Package != "@Acme/left-pad" {
		t.Fatalf("unknown format: package %q, want the display name", row.Package)
	}
	src.Manifest = []byte(`{"description":"` + strings.Repeat("word ", 4000) + `"}`)
	if row := rowOf(src, formats.Lookup); len(row.Words) > maxWordsBytes || len(row.Description) > maxDescriptionBytes {
		t.Fatalf("bounds: words %d bytes, description %d bytes", len(row.Words), len(row.Description))
	}
}

func TestCursor(t *testing.T) {
	q := Query{Text: "Left Pad", Repo: "r", Format: "npm"}
	h := meta.SearchHit{SearchRow: meta.SearchRow{VersionID: "ver_9", PublishedAt: time.UnixMicro(1_700_000_000_000_001).UTC()}, Tier: 2, Key: 77}
	c := encodeCursor(fingerprint(q), h.Position())
	pos, err := decodeCursor(c, fingerprint(Query{Text: " left pad ", Repo: "r", Format: "npm"}))
	if err != nil || pos != h.Position() {
		t.Fatalf("decode: %+v, %v", pos, err)
	}
	for _, other := range []Query{{Text: "left", Repo: "r", Format: "npm"}, {Text: "left pad", Format: "npm"}, {Text: "left pad", Repo: "r"}} {
		if _, err := decodeCursor(c, fingerprint(other)); err == nil {
			t.Errorf("a cursor of %+v was accepted for %+v", q, other)
		}
	}
}
