package generic

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/catalog"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/native"
	"github.com/artifortress/artifortress/internal/repo"
)

// child is one line of a directory listing: a package, a version, a folder
// of files or a file.
type child struct {
	Name         string     `json:"name"` // folders end with "/"
	Folder       bool       `json:"folder"`
	URL          string     `json:"url"`
	Size         *int64     `json:"size,omitempty"`
	SHA256       string     `json:"sha256,omitempty"`
	LastModified *time.Time `json:"lastModified,omitempty"`
}

// listing is a directory listing's JSON.
type listing struct {
	Repo       string  `json:"repo"`
	Path       string  `json:"path"` // "/", "tool/", "tool/1.0/", "tool/1.0/docs/"
	Children   []child `json:"children"`
	NextCursor string  `json:"nextCursor,omitempty"` // the root lists packages a page at a time
}

// list answers a directory listing: the packages of the repository, the
// versions of a package, or the files (and folders of files) of a version.
// Readers see what they can download: published versions, not held ones.
func (h *Handler) list(w http.ResponseWriter, req *native.Request, loc location) error {
	if !strings.HasSuffix(req.URL.Path, "/") {
		// Relative links in the listing need the trailing slash.
		target := req.Base + "/" + req.Path + "/"
		if loc.name == "" {
			target = req.Base + "/"
		}
		if req.URL.RawQuery != "" {
			target += "?" + req.URL.RawQuery
		}
		http.Redirect(w, req.Request, target, http.StatusMovedPermanently)
		return nil
	}
	l := listing{Repo: req.Repo.Key, Path: dirPath(loc), Children: []child{}}
	var err error
	if req.Repo.Type == repo.TypeVirtual {
		err = h.virtualChildren(req, loc, &l)
	} else {
		err = h.children(req, loc, &l)
	}
	if err != nil {
		return err
	}
	if wantsHTML(req.Header.Get("Accept")) {
		return writeHTML(w, req, l)
	}
	native.WriteJSON(w, http.StatusOK, l)
	return nil
}

func dirPath(loc location) string {
	p := "/"
	for _, s := range []string{loc.name, loc.version, loc.file} {
		if s != "" {
			p += s + "/"
		}
	}
	return p
}

// children fills l with the listing of loc in req's repository.
func (h *Handler) children(req *native.Request, loc location, l *listing) error {
	ctx := req.Context()
	base := req.Base
	switch {
	case loc.name == "":
		limit := 1000
		if s := req.URL.Query().Get("limit"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 1000 {
				return fault.BadRequest("limit", "want 1 to 1000")
			}
			limit = n
		}
		ps, err := h.catalog.Packages(ctx, req.Caller, req.Repo.Key, catalog.ListOptions{Limit: limit, Cursor: req.URL.Query().Get("cursor")})
		if err != nil {
			return err
		}
		for _, name := range ps.FullNames {
			l.Children = append(l.Children, child{Name: name + "/", Folder: true, URL: base + "/" + escape(name) + "/"})
		}
		l.NextCursor = ps.NextCursor
	case loc.version == "":
		_, full, vs, err := h.catalog.Versions(ctx, req.Caller, req.Repo.Key, loc.name)
		if err != nil {
			return err
		}
		for _, v := range vs {
			if v.State == meta.VersionPublished {
				l.Children = append(l.Children, child{Name: v.Version + "/", Folder: true, URL: base + "/" + escape(full, v.Version) + "/", LastModified: v.PublishedAt})
			}
		}
		if len(l.Children) == 0 {
			return fault.Coded(fault.KindNotFound, "package_not_found", "package %q has no published version in %q", loc.name, req.Repo.Key)
		}
	default:
		v, err := h.catalog.Get(ctx, req.Caller, req.Repo.Key, loc.name, loc.version)
		if err != nil {
			return err
		}
		if v.Row.State != meta.VersionPublished {
			return fault.Coded(fault.KindNotFound, "version_not_found", "%s %s is not published", loc.name, loc.version)
		}
		prefix := ""
		if loc.file != "" {
			prefix = loc.file + "/"
		}
		folders := map[string]bool{}
		for _, e := range v.Entries {
			rest, ok := strings.CutPrefix(e.Path, prefix)
			if !ok {
				continue
			}
			dir := base + "/" + escape(v.FullName, v.Row.Version) + "/"
			if name, _, nested := strings.Cut(rest, "/"); nested {
				if !folders[name] {
					folders[name] = true
					l.Children = append(l.Children, child{Name: name + "/", Folder: true, URL: dir + escape(strings.Split(prefix+name, "/")...) + "/"})
				}
				continue
			}
			size := e.Size
			l.Children = append(l.Children, child{Name: rest, URL: dir + escape(strings.Split(e.Path, "/")...), Size: &size,
				SHA256: strings.TrimPrefix(e.Digest, blob.SHA256Prefix), LastModified: v.Row.PublishedAt})
		}
		if len(l.Children) == 0 {
			return fault.Coded(fault.KindNotFound, "file_not_found", "%s %s has no folder %q", loc.name, loc.version, loc.file)
		}
	}
	return nil
}

// virtualChildren merges the listings of the members the caller can read,
// in order: the first member that lists a name wins it. Pages are not
// offered: the root of a virtual repository lists at most 1000 packages
// per member.
func (h *Handler) virtualChildren(req *native.Request, loc location, l *listing) error {
	seen := map[string]bool{}
	found := false
	members, err := native.Members(h.repos, req)
	if err != nil {
		return err
	}
	for _, m := range members {
		var ml listing
		err := h.children(m, loc, &ml)
		if native.Skippable(err) {
			continue
		}
		if err != nil {
			return err
		}
		found = true
		for _, c := range ml.Children {
			if !seen[c.Name] {
				seen[c.Name] = true
				l.Children = append(l.Children, c)
			}
		}
	}
	if !found && loc.name != "" {
		return fault.Coded(fault.KindNotFound, "file_not_found", "no member of %q has %s", req.Repo.Key, l.Path)
	}
	return nil
}

// escape joins path segments, each escaped.
func escape(segs ...string) string {
	out := make([]string, len(segs))
	for i, s := range segs {
		out[i] = url.PathEscape(s)
	}
	return strings.Join(out, "/")
}

// fileJSON describes an uploaded file.
func fileJSON(base, repoKey string, loc location, digest string, size int64) map[string]any {
	return map[string]any{
		"repo": repoKey, "name": loc.name, "version": loc.version, "path": loc.file,
		"digest": digest, "size": size, "sha256": strings.TrimPrefix(digest, blob.SHA256Prefix),
		"url": base + "/" + escape(loc.name, loc.version) + "/" + escape(strings.Split(loc.file, "/")...),
	}
}

// wantsHTML reports whether Accept prefers HTML (a browser) to JSON.
func wantsHTML(accept string) bool {
	html, jsonQ := -1.0, -1.0
	for _, part := range strings.Split(accept, ",") {
		mt, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && k == "q" {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					q = f
				}
			}
		}
		switch strings.ToLower(strings.TrimSpace(mt)) {
		case "text/html", "application/xhtml+xml":
			html = max(html, q)
		case "application/json":
			jsonQ = max(jsonQ, q)
		}
	}
	return html > 0 && html > jsonQ
}

var page = template.Must(template.New("listing").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Repo}}{{.Path}}</title></head>
<body><h1>{{.Repo}}{{.Path}}</h1>
<table>
<tr><th>Name</th><th>Size</th><th>Last modified</th><th>SHA-256</th></tr>
{{if ne .Path "/"}}<tr><td><a href="../">../</a></td><td></td><td></td><td></td></tr>
{{end}}{{range .Children}}<tr><td><a href="{{.URL}}">{{.Name}}</a></td><td>{{with .Size}}{{.}}{{end}}</td><td>{{with .LastModified}}{{.UTC.Format "2006-01-02 15:04:05 UTC"}}{{end}}</td><td><code>{{.SHA256}}</code></td></tr>
{{end}}</table>
{{with .NextCursor}}<p><a href="?cursor={{.}}">next page</a></p>{{end}}
</body></html>
`))

func writeHTML(w http.ResponseWriter, req *native.Request, l listing) error {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'")
	if req.Method == http.MethodHead {
		return nil
	}
	return page.Execute(w, l)
}
