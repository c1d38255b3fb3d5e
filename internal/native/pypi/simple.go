package pypi

import (
	"bufio"
	"encoding/json"
	"html"
	"io"
	"mime"
	"net/url"
	"strings"
	"time"

	"github.com/artifortress/artifortress/internal/fault"
)

// Media types of the simple repository API (PEP 503, PEP 691).
const (
	MediaTypeHTML   = "text/html"
	MediaTypeV1HTML = "application/vnd.pypi.simple.v1+html"
	MediaTypeV1JSON = "application/vnd.pypi.simple.v1+json"
	// The "latest" aliases a client may ask for; the answer names v1.
	mediaTypeLatestHTML = "application/vnd.pypi.simple.latest+html"
	mediaTypeLatestJSON = "application/vnd.pypi.simple.latest+json"
)

// APIVersion is the simple API version served: 1.1 (PEP 700) has
// versions, size and upload-time.
const APIVersion = "1.1"

// File is one distribution file of a project page.
type File struct {
	Filename string
	// URL is where the file is downloaded from, absolute or relative to the
	// project page.
	URL string
	// SHA256 is the file's digest in lowercase hex ("" for none).
	SHA256 string
	// RequiresPython is the Requires-Python specifier ("" for none).
	RequiresPython string
	// Yanked files are shown with the reason (PEP 592); pip installs them
	// only when pinned exactly.
	Yanked       bool
	YankedReason string
	// MetadataSHA256 is the digest of the {URL}.metadata sidecar (PEP
	// 658/714), "" when there is none.
	MetadataSHA256 string
	Size           int64
	// UploadTime is omitted when zero.
	UploadTime time.Time
}

// Project is the page of one project.
type Project struct {
	// Name is the PEP 503 normal form.
	Name string
	// Versions are all the project's versions, files or not (PEP 700).
	Versions []string
	Files    []File
}

// offers are the media types Negotiate chooses from, in the order it
// prefers them when the client rates several equally: text/html first,
// so that browsers, curl and clients that send "*/*" get the PEP 503 page.
var offers = []string{MediaTypeHTML, MediaTypeV1HTML, MediaTypeV1JSON}

// aliases maps each accepted spelling to the media type it names.
var aliases = map[string]string{
	MediaTypeHTML: MediaTypeHTML, MediaTypeV1HTML: MediaTypeV1HTML, MediaTypeV1JSON: MediaTypeV1JSON,
	mediaTypeLatestHTML: MediaTypeV1HTML, mediaTypeLatestJSON: MediaTypeV1JSON,
}

// Negotiate chooses the media type of a simple API answer from an Accept
// header (PEP 691): the one the client rates highest (q-value of the
// most specific range that matches it; "latest" aliases count as v1);
// among equals, the one named explicitly rather than by a wildcard, then
// the one the client lists first, then text/html, v1+html, v1+json. An
// empty Accept is text/html. When the client accepts none of them the
// error is a 406 with code not_acceptable.
func Negotiate(accept string) (string, error) {
	if strings.TrimSpace(accept) == "" {
		return MediaTypeHTML, nil
	}
	type rating struct {
		q           int // thousandths
		specificity int // 3 exact, 2 type/*, 1 */*; 0 unmatched
		position    int
	}
	best, bestRating := "", rating{}
	ratings := make([]rating, len(offers))
	for pos, r := range strings.Split(accept, ",") {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		mt, params, err := mime.ParseMediaType(r)
		if err != nil {
			continue // an unparsable range accepts nothing
		}
		q := 1000
		if s, ok := params["q"]; ok {
			if q, ok = parseQ(s); !ok {
				continue
			}
		}
		for i, offer := range offers {
			spec := 0
			switch {
			case aliases[mt] == offer:
				spec = 3
			case strings.HasSuffix(mt, "/*") && strings.HasPrefix(offer, strings.TrimSuffix(mt, "*")):
				spec = 2
			case mt == "*/*":
				spec = 1
			}
			// The most specific range decides; among equally specific
			// ones, the first.
			if spec > ratings[i].specificity {
				ratings[i] = rating{q: q, specificity: spec, position: pos}
			}
		}
	}
	for i, offer := range offers {
		r := ratings[i]
		if r.specificity == 0 || r.q == 0 {
			continue
		}
		if best == "" || r.q > bestRating.q ||
			r.q == bestRating.q && (r.specificity > bestRating.specificity ||
				r.specificity == bestRating.specificity && r.position < bestRating.position) {
			best, bestRating = offer, r
		}
	}
	if best == "" {
		return "", fault.Coded(fault.KindNotAcceptable, CodeNotAcceptable,
			"none of the accepted media types (%s) is served; ask for %s, %s or %s", truncate(accept, 200), MediaTypeV1JSON, MediaTypeV1HTML, MediaTypeHTML).
			With("accept", truncate(accept, 200))
	}
	return best, nil
}

// parseQ parses an RFC 9110 qvalue ("0", "0.5", "1.000") into thousandths.
func parseQ(s string) (int, bool) {
	if s == "" || len(s) > 5 || (s[0] != '0' && s[0] != '1') {
		return 0, false
	}
	whole, frac, dot := strings.Cut(s, ".")
	if whole != "0" && whole != "1" || dot && len(frac) > 3 {
		return 0, false
	}
	n := 0
	for i := 0; i < 3; i++ {
		d := 0
		if i < len(frac) {
			if frac[i] < '0' || frac[i] > '9' {
				return 0, false
			}
			d = int(frac[i] - '0')
		}
		n = n*10 + d
	}
	if whole == "1" {
		if n != 0 {
			return 0, false
		}
		return 1000, true
	}
	return n, true
}

// ContentType is the Content-Type header of an answer in mediaType: HTML
// with its charset.
func ContentType(mediaType string) string {
	if mediaType == MediaTypeHTML || mediaType == MediaTypeV1HTML {
		return mediaType + "; charset=utf-8"
	}
	return mediaType
}

func unknownMediaType(mediaType string) error {
	return fault.Coded(fault.KindInternal, CodeMediaTypeUnknown, "the simple API has no media type %q", mediaType)
}

const htmlHead = `<!DOCTYPE html>
<html>
  <head>
    <meta name="pypi:repository-version" content="` + APIVersion + `">
    <title>`

// WriteProject writes the project page p in mediaType (one Negotiate
// returns): PEP 503 HTML with the PEP 592, 629, 658 and 714 attributes, or
// PEP 691 JSON with the PEP 700 fields.
func WriteProject(w io.Writer, mediaType string, p Project) error {
	switch mediaType {
	case MediaTypeHTML, MediaTypeV1HTML:
		return writeProjectHTML(w, p)
	case MediaTypeV1JSON:
		return writeProjectJSON(w, p)
	}
	return unknownMediaType(mediaType)
}

func writeProjectHTML(w io.Writer, p Project) error {
	bw := bufio.NewWriter(w)
	name := html.EscapeString(p.Name)
	bw.WriteString(htmlHead + "Links for " + name + "</title>\n  </head>\n  <body>\n    <h1>Links for " + name + "</h1>\n")
	for _, f := range p.Files {
		href := f.URL
		if f.SHA256 != "" {
			href += "#sha256=" + f.SHA256
		}
		bw.WriteString(`    <a href="` + html.EscapeString(href) + `"`)
		if f.RequiresPython != "" {
			bw.WriteString(` data-requires-python="` + html.EscapeString(f.RequiresPython) + `"`)
		}
		if f.MetadataSHA256 != "" {
			m := html.EscapeString("sha256=" + f.MetadataSHA256)
			bw.WriteString(` data-dist-info-metadata="` + m + `" data-core-metadata="` + m + `"`)
		}
		if f.Yanked {
			bw.WriteString(` data-yanked="` + html.EscapeString(f.YankedReason) + `"`)
		}
		bw.WriteString(">" + html.EscapeString(f.Filename) + "</a><br>\n")
	}
	bw.WriteString("  </body>\n</html>\n")
	return bw.Flush()
}

// jsonMeta is PEP 691's "meta" object.
type jsonMeta struct {
	APIVersion string `json:"api-version"`
}

type jsonFile struct {
	Filename         string            `json:"filename"`
	URL              string            `json:"url"`
	Hashes           map[string]string `json:"hashes"`
	RequiresPython   string            `json:"requires-python,omitempty"`
	CoreMetadata     any               `json:"core-metadata"`
	DistInfoMetadata any               `json:"dist-info-metadata"`
	Yanked           any               `json:"yanked"`
	Size             int64             `json:"size"`
	UploadTime       string            `json:"upload-time,omitempty"`
}

type jsonProject struct {
	Meta     jsonMeta   `json:"meta"`
	Name     string     `json:"name"`
	Versions []string   `json:"versions"`
	Files    []jsonFile `json:"files"`
}

// UploadTimeFormat is PEP 700's upload-time: ISO 8601 in UTC with
// microseconds, as PyPI writes it.
const UploadTimeFormat = "2006-01-02T15:04:05.000000Z"

func writeProjectJSON(w io.Writer, p Project) error {
	doc := jsonProject{Meta: jsonMeta{APIVersion: APIVersion}, Name: p.Name, Versions: p.Versions, Files: make([]jsonFile, len(p.Files))}
	if doc.Versions == nil {
		doc.Versions = []string{}
	}
	for i, f := range p.Files {
		jf := jsonFile{Filename: f.Filename, URL: f.URL, Hashes: map[string]string{}, RequiresPython: f.RequiresPython,
			CoreMetadata: false, DistInfoMetadata: false, Yanked: false, Size: f.Size}
		if f.SHA256 != "" {
			jf.Hashes["sha256"] = f.SHA256
		}
		if f.MetadataSHA256 != "" {
			m := map[string]string{"sha256": f.MetadataSHA256}
			jf.CoreMetadata, jf.DistInfoMetadata = m, m
		}
		if f.Yanked {
			jf.Yanked = true
			if f.YankedReason != "" {
				jf.Yanked = f.YankedReason
			}
		}
		if !f.UploadTime.IsZero() {
			jf.UploadTime = f.UploadTime.UTC().Format(UploadTimeFormat)
		}
		doc.Files[i] = jf
	}
	return writeJSON(w, doc)
}

func writeJSON(w io.Writer, v any) error {
	bw := bufio.NewWriter(w)
	if err := json.NewEncoder(bw).Encode(v); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteIndex writes the root page listing the projects names (PEP 503
// normal forms) in mediaType. HTML links are relative ("{name}/"), so the
// page must be served at a URL ending in "/".
func WriteIndex(w io.Writer, mediaType string, names []string) error {
	switch mediaType {
	case MediaTypeHTML, MediaTypeV1HTML:
		bw := bufio.NewWriter(w)
		bw.WriteString(htmlHead + "Simple index</title>\n  </head>\n  <body>\n")
		for _, n := range names {
			bw.WriteString(`    <a href="` + html.EscapeString(url.PathEscape(n)+"/") + `">` + html.EscapeString(n) + "</a><br>\n")
		}
		bw.WriteString("  </body>\n</html>\n")
		return bw.Flush()
	case MediaTypeV1JSON:
		type project struct {
			Name string `json:"name"`
		}
		doc := struct {
			Meta     jsonMeta  `json:"meta"`
			Projects []project `json:"projects"`
		}{Meta: jsonMeta{APIVersion: APIVersion}, Projects: make([]project, len(names))}
		for i, n := range names {
			doc.Projects[i] = project{Name: n}
		}
		return writeJSON(w, doc)
	}
	return unknownMediaType(mediaType)
}
