package webhook_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/webhook"
)

// FuzzVerify feeds Verify arbitrary headers and bodies: it never panics,
// accepts what Sign produced for the same message, and rejects the
// signature once the body changes.
func FuzzVerify(f *testing.F) {
	f.Add("msg_1", "v1,abc", []byte(`{"type":"x"}`), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	f.Add("", "v1a,x v1,", []byte{}, "a raw secret of at least 24 bytes")
	f.Fuzz(func(t *testing.T, id, sigs string, body []byte, secret string) {
		now := time.Now()
		h := http.Header{}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
		h.Set("webhook-signature", sigs)
		_ = webhook.Verify(secret, h, body, time.Minute) // must not panic

		sig, err := webhook.Sign(secret, id, now, body)
		if err != nil || id == "" || h.Get("webhook-id") != id {
			return // an undecodable whsec_ secret, or an id the header cannot carry
		}
		h.Set("webhook-signature", sig)
		if err := webhook.Verify(secret, h, body, time.Minute); err != nil {
			t.Fatalf("Verify of a fresh signature: %v", err)
		}
		if err := webhook.Verify(secret, h, append(body, 'x'), time.Minute); err == nil {
			t.Fatal("Verify accepted a changed body")
		}
	})
}
