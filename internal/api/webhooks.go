package api

import (
	"net/http"
	"strconv"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/webhook"
)

func (a *API) createWebhook(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var req webhook.CreateRequest
	if err := a.decodeJSON(w, r, &req); err != nil {
		return err
	}
	created, err := a.webhooks.Create(r.Context(), p, req)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/webhooks/"+created.ID)
	writeJSON(w, http.StatusCreated, created)
	return nil
}

func (a *API) listWebhooks(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	list, err := a.webhooks.List(r.Context(), p)
	if err != nil {
		return err
	}
	if list == nil {
		list = []webhook.Webhook{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

func (a *API) getWebhook(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	wh, err := a.webhooks.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wh)
	return nil
}

func (a *API) updateWebhook(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var req webhook.UpdateRequest
	if err := a.decodeJSON(w, r, &req); err != nil {
		return err
	}
	wh, err := a.webhooks.Update(r.Context(), p, r.PathValue("id"), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wh)
	return nil
}

func (a *API) deleteWebhook(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	if err := a.webhooks.Delete(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listDeliveries(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	q := r.URL.Query()
	limit := 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fault.BadRequest("limit", "want a whole number")
		}
		limit = n
	}
	page, err := a.webhooks.Deliveries(r.Context(), p, r.PathValue("id"), limit, q.Get("cursor"))
	if err != nil {
		return err
	}
	if page.Items == nil {
		page.Items = []webhook.Delivery{}
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (a *API) redeliver(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	id, err := strconv.ParseInt(r.PathValue("deliveryId"), 10, 64)
	if err != nil || id <= 0 {
		return fault.Coded(fault.KindNotFound, "webhook_delivery_not_found", "delivery %q not found", r.PathValue("deliveryId"))
	}
	d, err := a.webhooks.Redeliver(r.Context(), p, r.PathValue("id"), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}
