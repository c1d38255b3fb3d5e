package api

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/artifortress/artifortress/internal/fault"
)

// The /v1/repos/{key}/packages subtree cannot be served by ServeMux
// patterns: "packages/versions/{id}/manifest" and
// "packages/{name}/versions/{version}" overlap, and file paths contain
// slashes. routePackages parses the escaped path itself, segment by
// segment: a package name is one segment (a name containing "/", such as
// "@scope/pkg" or "team/app", is sent with %2F), a file path is the rest.
//
// Under packages/, a first segment "versions" addresses versions by id
// ("versions/drafts", "versions/{id}/..."), unless the next segment is
// "versions" or "tags": then "versions" is a package name.

// packagePath is a parsed package route: its logical pattern (as listed by
// Routes) and the path values it sets.
type packagePath struct {
	pattern string
	values  map[string]string
}

func parsePackagePath(escaped string) (packagePath, bool) {
	var segs []string
	if escaped != "" {
		for _, s := range strings.Split(escaped, "/") {
			u, err := url.PathUnescape(s)
			if err != nil || u == "" {
				return packagePath{}, false
			}
			segs = append(segs, u)
		}
	}
	const base = "/v1/repos/{key}/packages"
	pp := func(pattern string, kv ...string) (packagePath, bool) {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return packagePath{pattern: base + pattern, values: m}, true
	}
	switch {
	case len(segs) == 0:
		return pp("")
	case segs[0] == "versions" && len(segs) == 2 && segs[1] == "drafts":
		return pp("/versions/drafts")
	case segs[0] == "versions" && len(segs) >= 2 && segs[1] != "versions" && segs[1] != "tags":
		switch {
		case len(segs) == 2:
			return pp("/versions/{versionId}", "versionId", segs[1])
		case len(segs) == 3 && (segs[2] == "entries" || segs[2] == "manifest" || segs[2] == "publish" || segs[2] == "evaluations" || segs[2] == "promote" || segs[2] == "restore"):
			return pp("/versions/{versionId}/"+segs[2], "versionId", segs[1])
		}
		return packagePath{}, false
	case len(segs) >= 2 && segs[1] == "versions":
		switch {
		case len(segs) == 2:
			return pp("/{name}/versions", "name", segs[0])
		case len(segs) == 3:
			return pp("/{name}/versions/{version}", "name", segs[0], "version", segs[2])
		case len(segs) == 4 && segs[3] == "deprecation":
			return pp("/{name}/versions/{version}/deprecation", "name", segs[0], "version", segs[2])
		case len(segs) >= 5 && segs[3] == "files":
			return pp("/{name}/versions/{version}/files/{path...}", "name", segs[0], "version", segs[2], "path", strings.Join(segs[4:], "/"))
		}
	case len(segs) >= 2 && segs[1] == "tags":
		switch len(segs) {
		case 2:
			return pp("/{name}/tags", "name", segs[0])
		case 3:
			return pp("/{name}/tags/{tag}", "name", segs[0], "tag", segs[2])
		}
	}
	return packagePath{}, false
}

// routePackages dispatches the packages subtree to the routes registered
// with sub set, authenticating each as its route says.
func (a *API) routePackages(routes []route) http.Handler {
	byKey := map[string]http.Handler{}
	allowed := map[string][]string{}
	for _, rt := range routes {
		byKey[rt.method+" "+rt.pattern] = a.authenticated(rt.h, rt.access)
		allowed[rt.pattern] = append(allowed[rt.pattern], rt.method)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.PathValue("key")
		prefix := "/v1/repos/" + url.PathEscape(key) + "/packages"
		rest, ok := strings.CutPrefix(r.URL.EscapedPath(), prefix)
		rest = strings.TrimPrefix(rest, "/")
		var p packagePath
		if ok {
			p, ok = parsePackagePath(rest)
		}
		if !ok {
			a.writeError(w, r, errNoRoute(r))
			return
		}
		method := r.Method
		h, found := byKey[method+" "+p.pattern]
		if !found && method == http.MethodHead {
			h, found = byKey["GET "+p.pattern]
		}
		if !found {
			w.Header().Set("Allow", strings.Join(allowed[p.pattern], ", "))
			a.writeError(w, r, fault.Coded(fault.KindMethodNotAllowed, "method_not_allowed", "%s is not allowed on %s", method, p.pattern))
			return
		}
		for k, v := range p.values {
			r.SetPathValue(k, v)
		}
		r.Pattern = p.pattern
		h.ServeHTTP(w, r)
	})
}
