package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/transfer"
)

type partJSON struct {
	Number int    `json:"number"`
	Size   int64  `json:"size"`
	ETag   string `json:"etag"`
}

type sessionJSON struct {
	UploadID       string     `json:"uploadId"`
	Repo           string     `json:"repo"`
	State          string     `json:"state"`
	ExpectedDigest string     `json:"expectedDigest,omitempty"`
	ExpectedLength *int64     `json:"expectedLength,omitempty"`
	Digest         string     `json:"digest,omitempty"`
	Length         *int64     `json:"length,omitempty"`
	Linked         bool       `json:"linked,omitempty"`
	Linkable       bool       `json:"linkable"`
	Error          string     `json:"error,omitempty"`
	PartSize       int64      `json:"partSize"`
	MaxPartSize    int64      `json:"maxPartSize"`
	MaxParts       int        `json:"maxParts"`
	Parts          []partJSON `json:"parts"`
	CreatedAt      time.Time  `json:"createdAt"`
	ExpiresAt      time.Time  `json:"expiresAt"`
}

func toSessionJSON(s transfer.Session) sessionJSON {
	out := sessionJSON{
		UploadID: s.ID, Repo: s.Repo, State: s.State, ExpectedDigest: s.ExpectedDigest, ExpectedLength: s.ExpectedLength,
		Digest: s.Digest, Length: s.Size, Linked: s.Linked, Linkable: s.Linkable, Error: s.Error,
		PartSize: s.PartSize, MaxPartSize: s.MaxPartSize, MaxParts: s.MaxParts, Parts: []partJSON{},
		CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt,
	}
	for _, p := range s.Parts {
		out.Parts = append(out.Parts, partJSON(p))
	}
	return out
}

type createUploadRequest struct {
	ExpectedDigest string `json:"expectedDigest"`
	ExpectedLength *int64 `json:"expectedLength"`
}

func (a *API) createUpload(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	var req createUploadRequest
	if err := a.decodeOptionalJSON(w, r, &req); err != nil {
		return err
	}
	s, err := a.transfer.Create(r.Context(), p, r.PathValue("key"), transfer.CreateRequest{
		ExpectedDigest: req.ExpectedDigest, ExpectedLength: req.ExpectedLength,
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/repos/"+s.Repo+"/uploads/"+s.ID)
	writeJSON(w, http.StatusCreated, toSessionJSON(s))
	return nil
}

func (a *API) getUpload(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	s, err := a.transfer.Get(r.Context(), p, r.PathValue("key"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toSessionJSON(s))
	return nil
}

func partNumber(r *http.Request) (int, error) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil {
		return 0, fault.BadRequest("part", "want a whole number")
	}
	return n, nil
}

func (a *API) putPart(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	n, err := partNumber(r)
	if err != nil {
		return err
	}
	part, err := a.transfer.PutPart(r.Context(), p, r.PathValue("key"), r.PathValue("id"), n, r.Body)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", strconv.Quote(part.ETag))
	writeJSON(w, http.StatusOK, partJSON(part))
	return nil
}

// putPartDirect serves node-signed direct part uploads: no token, the
// signature in the URL is the authorization.
func (a *API) putPartDirect(w http.ResponseWriter, r *http.Request, _ *auth.Principal) error {
	n, err := partNumber(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	part, err := a.transfer.PutPartDirect(r.Context(), r.PathValue("id"), n, q.Get("expires"), q.Get("signature"), r.Body)
	if err != nil {
		return err
	}
	w.Header().Set("ETag", strconv.Quote(part.ETag))
	writeJSON(w, http.StatusOK, partJSON(part))
	return nil
}

func (a *API) partURL(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	n, err := partNumber(r)
	if err != nil {
		return err
	}
	u, err := a.transfer.PartURL(r.Context(), p, r.PathValue("key"), r.PathValue("id"), n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"url": u.URL, "method": u.Method, "expiresAt": u.ExpiresAt, "part": n})
	return nil
}

func (a *API) completeUpload(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	s, err := a.transfer.Complete(r.Context(), p, r.PathValue("key"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toSessionJSON(s))
	return nil
}

func (a *API) commitUpload(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	s, err := a.transfer.Commit(r.Context(), p, r.PathValue("key"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toSessionJSON(s))
	return nil
}

func (a *API) abortUpload(w http.ResponseWriter, r *http.Request, p *auth.Principal) error {
	s, err := a.transfer.Abort(r.Context(), p, r.PathValue("key"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toSessionJSON(s))
	return nil
}
