package webhook_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/artifortress/artifortress/internal/webhook"
)

// A receiver checks every delivery before acting on it: read the raw body
// (bounded), verify it against the secret the webhook was created with, and
// answer 2xx quickly. Artifortress retries anything else.
func ExampleVerify() {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	receive := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := webhook.Verify(secret, r.Header, body, 5*time.Minute); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		// Drop r.Header.Get("webhook-id") if already processed, then act on body.
		w.WriteHeader(http.StatusNoContent)
	})

	// What Artifortress sends:
	body := `{"type":"version.published","timestamp":"2026-11-26T18:00:00Z","data":{"repo":"npm-local"}}`
	now := time.Now()
	sig, _ := webhook.Sign(secret, "msg_wh_1_42", now, []byte(body))
	headers := http.Header{}
	headers.Set("webhook-id", "msg_wh_1_42")
	headers.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	headers.Set("webhook-signature", sig)
	req := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(body))
	req.Header = headers.Clone()
	rec := httptest.NewRecorder()
	receive.ServeHTTP(rec, req)
	fmt.Println(rec.Code)

	// A forged body fails.
	req = httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(strings.Replace(body, "npm-local", "other", 1)))
	req.Header = headers.Clone()
	rec = httptest.NewRecorder()
	receive.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// 204
	// 401
}
