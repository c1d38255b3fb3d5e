package pypi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/fault"
)

func TestNegotiate(t *testing.T) {
	tests := []struct{ accept, want string }{
		{"", MediaTypeHTML},
		{"  ", MediaTypeHTML},
		{"*/*", MediaTypeHTML},
		{"text/html", MediaTypeHTML},
		{"text/*", MediaTypeHTML},
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", MediaTypeHTML}, // a browser
		// pip 22.2+ and uv
		{"application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01", MediaTypeV1JSON},
		{"application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01", MediaTypeV1HTML},
		{"application/vnd.pypi.simple.v1+json", MediaTypeV1JSON},
		{"Application/Vnd.PyPI.Simple.V1+JSON", MediaTypeV1JSON},
		{"application/vnd.pypi.simple.latest+json", MediaTypeV1JSON},
		{"application/vnd.pypi.simple.latest+html", MediaTypeV1HTML},
		{"application/vnd.pypi.simple.v1+json;q=0.5, text/html;q=0.6", MediaTypeHTML},
		// equal q: the explicit one beats a wildcard, then the first listed
		{"*/*, application/vnd.pypi.simple.v1+json", MediaTypeV1JSON},
		{"application/vnd.pypi.simple.v1+json, text/html", MediaTypeV1JSON},
		{"text/html, application/vnd.pypi.simple.v1+json", MediaTypeHTML},
		{"application/*", MediaTypeV1HTML},
		// q=0 refuses, even against a wildcard
		{"text/html;q=0, */*", MediaTypeV1HTML},
		{"text/html;q=0, application/vnd.pypi.simple.v1+html;q=0, */*;q=0.1", MediaTypeV1JSON},
		// unparsable ranges and q-values are skipped
		{"garbage, text/html", MediaTypeHTML},
		{"application/vnd.pypi.simple.v1+json;q=2, text/html;q=0.1", MediaTypeHTML},
		{"application/vnd.pypi.simple.v1+json;q=0.0001, text/html;q=0.1", MediaTypeHTML},
		{"application/vnd.pypi.simple.v1+json;q=1.0, text/html;q=1", MediaTypeV1JSON},
		{"application/vnd.pypi.simple.v1+json;q=0.999, text/html;q=0.998", MediaTypeV1JSON},
	}
	for _, tt := range tests {
		t.Run(tt.accept, func(t *testing.T) {
			got, err := Negotiate(tt.accept)
			if err != nil || got != tt.want {
				t.Fatalf("Negotiate(%q) = %q, %v; want %q", tt.accept, got, err, tt.want)
			}
		})
	}
	for _, accept := range []string{"application/json", "image/png, text/plain", "text/html;q=0", "application/vnd.pypi.simple.v2+json", "garbage", "*/*;q=0"} {
		t.Run("406 "+accept, func(t *testing.T) {
			_, err := Negotiate(accept)
			fe := wantCode(t, err, CodeNotAcceptable)
			if fe.Kind.HTTPStatus() != http.StatusNotAcceptable {
				t.Fatalf("status %d", fe.Kind.HTTPStatus())
			}
		})
	}
}

var testProject = Project{
	Name:     "foo-bar",
	Versions: []string{"1.0", "1.1rc1", "2.0"},
	Files: []File{
		{Filename: "foo_bar-1.0.tar.gz", URL: "../../files/foo-bar/1.0/foo_bar-1.0.tar.gz", SHA256: strings.Repeat("a", 64),
			Size: 1234, UploadTime: time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("x", 3600))},
		{Filename: "foo_bar-2.0-py3-none-any.whl", URL: "https://h.example/r/py/files/foo_bar-2.0-py3-none-any.whl?a=1&b=2",
			SHA256: strings.Repeat("b", 64), RequiresPython: ">=3.8,<4", MetadataSHA256: strings.Repeat("c", 64),
			Yanked: true, YankedReason: `broken <script>alert("x")</script>`, Size: 99},
		{Filename: "foo_bar-2.0.tar.gz", URL: "f/foo_bar-2.0.tar.gz", Yanked: true},
	},
}

func TestWriteProjectHTML(t *testing.T) {
	for _, mt := range []string{MediaTypeHTML, MediaTypeV1HTML} {
		var buf bytes.Buffer
		if err := WriteProject(&buf, mt, testProject); err != nil {
			t.Fatal(err)
		}
		want := `<!DOCTYPE html>
<html>
  <head>
    <meta name="pypi:repository-version" content="1.1">
    <title>Links for foo-bar</title>
  </head>
  <body>
    <h1>Links for foo-bar</h1>
    <a href="../../files/foo-bar/1.0/foo_bar-1.0.tar.gz#sha256=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">foo_bar-1.0.tar.gz</a><br>
    <a href="https://h.example/r/py/files/foo_bar-2.0-py3-none-any.whl?a=1&amp;b=2#sha256=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" data-requires-python="&gt;=3.8,&lt;4" data-dist-info-metadata="sha256=cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc" data-core-metadata="sha256=cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc" data-yanked="broken &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;">foo_bar-2.0-py3-none-any.whl</a><br>
    <a href="f/foo_bar-2.0.tar.gz" data-yanked="">foo_bar-2.0.tar.gz</a><br>
  </body>
</html>
`
		if buf.String() != want {
			t.Fatalf("%s:\n%s\nwant\n%s", mt, buf.String(), want)
		}
	}
}

func TestWriteProjectHTMLEscapes(t *testing.T) {
	hostile := `"><script>x</script><a href="`
	var buf bytes.Buffer
	err := WriteProject(&buf, MediaTypeHTML, Project{Name: hostile, Files: []File{{
		Filename: hostile, URL: hostile, SHA256: hostile, RequiresPython: hostile, MetadataSHA256: hostile, Yanked: true, YankedReason: hostile,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "<script>") || strings.Count(buf.String(), `"`) != 2*strings.Count(buf.String(), `="`) {
		t.Fatalf("unescaped:\n%s", buf.String())
	}
}

func TestWriteProjectJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteProject(&buf, MediaTypeV1JSON, testProject); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	want := map[string]any{
		"meta":     map[string]any{"api-version": "1.1"},
		"name":     "foo-bar",
		"versions": []any{"1.0", "1.1rc1", "2.0"},
		"files": []any{
			map[string]any{"filename": "foo_bar-1.0.tar.gz", "url": "../../files/foo-bar/1.0/foo_bar-1.0.tar.gz",
				"hashes": map[string]any{"sha256": strings.Repeat("a", 64)}, "core-metadata": false, "dist-info-metadata": false,
				"yanked": false, "size": 1234.0, "upload-time": "2026-01-02T02:04:05.123456Z"},
			map[string]any{"filename": "foo_bar-2.0-py3-none-any.whl", "url": "https://h.example/r/py/files/foo_bar-2.0-py3-none-any.whl?a=1&b=2",
				"hashes": map[string]any{"sha256": strings.Repeat("b", 64)}, "requires-python": ">=3.8,<4",
				"core-metadata": map[string]any{"sha256": strings.Repeat("c", 64)}, "dist-info-metadata": map[string]any{"sha256": strings.Repeat("c", 64)},
				"yanked": `broken <script>alert("x")</script>`, "size": 99.0},
			map[string]any{"filename": "foo_bar-2.0.tar.gz", "url": "f/foo_bar-2.0.tar.gz", "hashes": map[string]any{},
				"core-metadata": false, "dist-info-metadata": false, "yanked": true, "size": 0.0},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %s", buf.String())
	}
	if strings.Contains(buf.String(), "<script>") {
		t.Fatalf("JSON carries raw markup: %s", buf.String())
	}
	// An empty project still has the arrays PEP 691 and 700 require.
	buf.Reset()
	if err := WriteProject(&buf, MediaTypeV1JSON, Project{Name: "x"}); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(buf.String()) != `{"meta":{"api-version":"1.1"},"name":"x","versions":[],"files":[]}` {
		t.Fatalf("empty project: %s", buf.String())
	}
}

func TestWriteIndex(t *testing.T) {
	names := []string{"foo-bar", "zope-interface", `x"><b>`}
	var buf bytes.Buffer
	if err := WriteIndex(&buf, MediaTypeHTML, names); err != nil {
		t.Fatal(err)
	}
	want := `<!DOCTYPE html>
<html>
  <head>
    <meta name="pypi:repository-version" content="1.1">
    <title>Simple index</title>
  </head>
  <body>
    <a href="foo-bar/">foo-bar</a><br>
    <a href="zope-interface/">zope-interface</a><br>
    <a href="x%22%3E%3Cb%3E/">x&#34;&gt;&lt;b&gt;</a><br>
  </body>
</html>
`
	if buf.String() != want {
		t.Fatalf("got\n%s", buf.String())
	}
	buf.Reset()
	if err := WriteIndex(&buf, MediaTypeV1JSON, names[:2]); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(buf.String()) != `{"meta":{"api-version":"1.1"},"projects":[{"name":"foo-bar"},{"name":"zope-interface"}]}` {
		t.Fatalf("got %s", buf.String())
	}
	buf.Reset()
	if err := WriteIndex(&buf, MediaTypeV1JSON, nil); err != nil || strings.TrimSpace(buf.String()) != `{"meta":{"api-version":"1.1"},"projects":[]}` {
		t.Fatalf("empty index: %s %v", buf.String(), err)
	}
}

func TestWriteUnknownMediaType(t *testing.T) {
	var buf bytes.Buffer
	fe := wantCode(t, WriteProject(&buf, "application/json", testProject), CodeMediaTypeUnknown)
	if fe.Kind != fault.KindInternal || buf.Len() != 0 {
		t.Fatalf("kind %v, wrote %q", fe.Kind, buf.String())
	}
	wantCode(t, WriteIndex(&buf, mediaTypeLatestJSON, nil), CodeMediaTypeUnknown)
}

func TestContentType(t *testing.T) {
	for mt, want := range map[string]string{
		MediaTypeHTML:   "text/html; charset=utf-8",
		MediaTypeV1HTML: "application/vnd.pypi.simple.v1+html; charset=utf-8",
		MediaTypeV1JSON: "application/vnd.pypi.simple.v1+json",
	} {
		if got := ContentType(mt); got != want {
			t.Errorf("ContentType(%q) = %q", mt, got)
		}
	}
}
