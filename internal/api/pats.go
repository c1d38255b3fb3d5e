package api

import (
	"net/http"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
)

type whoamiResponse struct {
	Subject    string   `json:"subject"`
	Scopes     []string `json:"scopes"`
	AuthSource string   `json:"authSource"`
	TokenID    string   `json:"tokenId,omitempty"`
}

func (a *API) whoami(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	writeJSON(w, http.StatusOK, whoamiResponse{
		Subject: p.Subject, Scopes: auth.ScopeStrings(p.Scopes), AuthSource: string(p.Source), TokenID: p.TokenID,
	})
	return nil
}

type issueRequest struct {
	Subject    string   `json:"subject"`
	Scopes     []string `json:"scopes"`
	TTLMinutes int64    `json:"ttlMinutes"`
}

type issueResponse struct {
	TokenID   string    `json:"tokenId"`
	Token     string    `json:"token"`
	Subject   string    `json:"subject"`
	Scopes    []string  `json:"scopes"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// maxTTLMinutes keeps ttlMinutes * time.Minute from overflowing.
const maxTTLMinutes = int64(100 * 365 * 24 * 60)

func (a *API) issueToken(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var req issueRequest
	if err := a.decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.TTLMinutes < 0 || req.TTLMinutes > maxTTLMinutes {
		return fault.BadRequest("ttlMinutes", "must be between 1 and the server's maximum token lifetime")
	}
	issued, err := a.auth.Issue(r.Context(), p, auth.IssueRequest{
		Subject: req.Subject, Scopes: req.Scopes, TTL: time.Duration(req.TTLMinutes) * time.Minute,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, issueResponse(issued))
	return nil
}

type revokeRequest struct {
	TokenID string `json:"tokenId"`
	Subject string `json:"subject"`
}

func (a *API) revokeTokens(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var req revokeRequest
	if err := a.decodeJSON(w, r, &req); err != nil {
		return err
	}
	var n int64
	var err error
	switch {
	case req.TokenID != "" && req.Subject != "":
		return fault.BadRequest("tokenId", "give either tokenId or subject, not both")
	case req.TokenID != "":
		n, err = a.auth.Revoke(r.Context(), p, req.TokenID)
	case req.Subject != "":
		n, err = a.auth.RevokeSubject(r.Context(), p, req.Subject)
	default:
		return fault.BadRequest("tokenId", "give tokenId or subject")
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int64{"revoked": n})
	return nil
}

type tokenJSON struct {
	TokenID    string     `json:"tokenId"`
	Subject    string     `json:"subject"`
	Scopes     []string   `json:"scopes"`
	CreatedBy  string     `json:"createdBy"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  *time.Time `json:"expiresAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
	RevokedAt  *time.Time `json:"revokedAt"`
}

func (a *API) listTokens(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	q := r.URL.Query()
	includeRevoked, err := boolParam(q.Get("includeRevoked"), "includeRevoked")
	if err != nil {
		return err
	}
	tokens, err := a.auth.List(r.Context(), p, meta.TokenFilter{Subject: q.Get("subject"), IncludeRevoked: includeRevoked})
	if err != nil {
		return err
	}
	items := make([]tokenJSON, 0, len(tokens))
	for _, t := range tokens {
		items = append(items, tokenJSON{
			TokenID: t.ID, Subject: t.Subject, Scopes: t.Scopes, CreatedBy: t.CreatedBy,
			CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt,
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func boolParam(v, name string) (bool, error) {
	switch v {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	default:
		return false, fault.BadRequest(name, "want true or false")
	}
}
