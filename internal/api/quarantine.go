package api

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/catalog"
	"github.com/artifortress/artifortress/internal/fault"
)

type quarantineJSON struct {
	ID        string     `json:"id"`
	Repo      string     `json:"repo"`
	VersionID string     `json:"versionId"`
	Package   string     `json:"package"`
	Version   string     `json:"version"`
	Status    string     `json:"status"`
	Reason    string     `json:"reason"`
	Policies  []string   `json:"policies"`
	CreatedAt time.Time  `json:"createdAt"`
	DecidedBy string     `json:"decidedBy,omitempty"`
	DecidedAt *time.Time `json:"decidedAt,omitempty"`
	Note      string     `json:"note,omitempty"`
}

func toQuarantineJSON(it catalog.QuarantineItem) quarantineJSON {
	pol := it.Policies
	if pol == nil {
		pol = []string{}
	}
	return quarantineJSON{ID: it.ID, Repo: it.Repo, VersionID: it.VersionID, Package: it.FullName, Version: it.Version,
		Status: it.Status, Reason: it.Reason, Policies: pol, CreatedAt: it.CreatedAt, DecidedBy: it.DecidedBy, DecidedAt: it.DecidedAt, Note: it.Note}
}

// queryLimit reads ?limit= (def when absent): a whole number from 1 to max.
func queryLimit(q url.Values, def, max int) (int, error) {
	v := q.Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, fault.BadRequest("limit", "want a whole number from 1 to %d", max)
	}
	return n, nil
}

func (a *API) listQuarantine(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	q := r.URL.Query()
	limit, err := queryLimit(q, 100, 1000)
	if err != nil {
		return err
	}
	page, err := a.catalog.Quarantine(r.Context(), p, r.PathValue("key"), q.Get("status"), limit, q.Get("cursor"))
	if err != nil {
		return err
	}
	items := make([]quarantineJSON, 0, len(page.Items))
	for _, it := range page.Items {
		items = append(items, toQuarantineJSON(it))
	}
	out := map[string]any{"items": items}
	if page.NextCursor != "" {
		out["nextCursor"] = page.NextCursor
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) getQuarantine(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	it, err := a.catalog.QuarantineItem(r.Context(), p, r.PathValue("key"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toQuarantineJSON(it))
	return nil
}

type decisionRequest struct {
	Note string `json:"note"`
}

func (a *API) releaseQuarantine(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return a.decideQuarantine(w, r, p, a.catalog.Release)
}

func (a *API) rejectQuarantine(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	return a.decideQuarantine(w, r, p, a.catalog.Reject)
}

func (a *API) decideQuarantine(w http.ResponseWriter, r *http.Request, p *auth.Principal,
	decide func(ctx context.Context, caller *auth.Principal, repoKey, id, note string) (catalog.QuarantineItem, error)) error {
	var req decisionRequest
	if err := a.decodeOptionalJSON(w, r, &req); err != nil {
		return err
	}
	it, err := decide(r.Context(), p, r.PathValue("key"), r.PathValue("id"), req.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toQuarantineJSON(it))
	return nil
}
