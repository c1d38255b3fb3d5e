package native

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
)

// loginTTL is how long a token npm login issues lives (capped by
// --max-token-ttl).
const loginTTL time.Duration = 0 // 0: auth.DefaultTTL

// login answers npm's legacy ("couch") login at any repository's base URL
// (it does not depend on the repository, so it answers before the caller
// may read one), PUT
// /-/user/org.couchdb.user:{name} {name, password}. Artifortress has no
// passwords: the password is an existing token, and the answer is a new
// token of the same subject with the same scopes, which npm stores in
// .npmrc. So `npm login --auth-type=legacy` works where a person has a
// token (from `artifortress admin pats create`) and npm wants to save its
// own. A wrong password is 401, like any bad credential.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPut {
		return fault.Coded(fault.KindMethodNotAllowed, "method_not_allowed", "%s is not allowed on the login endpoint", r.Method)
	}
	var body struct {
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&body); err != nil {
		return fault.BadRequest("body", "want {\"name\": …, \"password\": …}")
	}
	if body.Password == "" {
		return fault.Unauthorized("the password is an Artifortress token (afp_…); create one with artifortress admin pats create")
	}
	p, err := s.auth.Authenticate(r.Context(), body.Password)
	if err != nil {
		return err
	}
	scopes := make([]string, len(p.Scopes))
	for i, s := range p.Scopes {
		scopes[i] = s.String()
	}
	issued, err := s.auth.Issue(r.Context(), p, auth.IssueRequest{Subject: p.Subject, Scopes: scopes, TTL: loginTTL})
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusCreated, map[string]any{"ok": true, "id": "org.couchdb.user:" + p.Subject, "token": issued.Token})
	return nil
}

// isLoginPath reports the couch login path.
func isLoginPath(path string) bool {
	return strings.HasPrefix(path, "-/user/org.couchdb.user:")
}
