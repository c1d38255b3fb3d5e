package api

import (
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
)

type auditJSON struct {
	ID        int64          `json:"id"`
	At        time.Time      `json:"at"`
	Actor     string         `json:"actor"`
	ActorVia  string         `json:"actorVia"`
	Action    string         `json:"action"`
	Resource  string         `json:"resource"`
	Repo      string         `json:"repo"`
	RequestID string         `json:"requestId"`
	Details   map[string]any `json:"details"`
}

func toAuditJSON(r meta.AuditRecord) auditJSON { return auditJSON(r) }

// Audit page sizes.
const (
	defaultAuditLimit = 100
	maxAuditLimit     = 1000
)

// auditFilter parses the filters shared by listing and export.
func auditFilter(q url.Values) (meta.AuditFilter, error) {
	f := meta.AuditFilter{Actor: q.Get("actor"), Action: q.Get("action"), Repo: q.Get("repo")}
	for name, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return f, fault.BadRequest(name, "want an RFC 3339 time such as 2026-11-26T18:00:00Z")
			}
			*dst = t
		}
	}
	return f, nil
}

func (a *API) listAudit(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if !p.IsAdmin() {
		return fault.Forbidden("reading the audit trail needs the global admin scope")
	}
	q := r.URL.Query()
	f, err := auditFilter(q)
	if err != nil {
		return err
	}
	f.Limit = defaultAuditLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxAuditLimit {
			return fault.BadRequest("limit", "want a whole number from 1 to %d", maxAuditLimit)
		}
		f.Limit = n
	}
	if c := q.Get("cursor"); c != "" {
		id, err := decodeCursor(c)
		if err != nil {
			return err
		}
		f.BeforeID = id
	}
	// Fetch one extra row to know whether another page exists.
	f.Limit++
	records, err := a.db.ListAudit(r.Context(), f)
	if err != nil {
		return err
	}
	resp := struct {
		Items      []auditJSON `json:"items"`
		NextCursor string      `json:"nextCursor,omitempty"`
	}{Items: []auditJSON{}}
	for i, rec := range records {
		if i == f.Limit-1 {
			resp.NextCursor = encodeCursor(records[i-1].ID)
			break
		}
		resp.Items = append(resp.Items, toAuditJSON(rec))
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// exportAudit streams matching records as NDJSON, oldest first, without
// holding them in memory.
func (a *API) exportAudit(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if !p.IsAdmin() {
		return fault.Forbidden("reading the audit trail needs the global admin scope")
	}
	f, err := auditFilter(r.URL.Query())
	if err != nil {
		return err
	}
	f.OldestFirst = true
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	rc := http.NewResponseController(w)
	n := 0
	err = a.db.EachAudit(r.Context(), f, func(rec meta.AuditRecord) error {
		if err := enc.Encode(toAuditJSON(rec)); err != nil {
			return err
		}
		if n++; n%256 == 0 {
			_ = rc.Flush()
		}
		return nil
	})
	if err != nil && n > 0 {
		// The status line is already sent: abort the connection so the
		// client sees a broken transfer, not a short but well-formed file.
		a.log.ErrorContext(r.Context(), "audit export interrupted", slog.Int("records", n), slog.String("error", err.Error()))
		panic(http.ErrAbortHandler)
	}
	return err
}

func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("audit:" + strconv.FormatInt(id, 10)))
}

func decodeCursor(c string) (int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil && len(raw) > 6 && string(raw[:6]) == "audit:" {
		if id, err := strconv.ParseInt(string(raw[6:]), 10, 64); err == nil && id > 0 {
			return id, nil
		}
	}
	return 0, fault.BadRequest("cursor", "invalid cursor; pass nextCursor from the previous page unchanged")
}
