package webhook_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/webhook"
)

// The example of the Standard Webhooks reference implementations.
const (
	specSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specMsgID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTimestamp = 1614265330
	specBody      = `{"test": 2432232314}`
	specSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignMatchesSpec(t *testing.T) {
	got, err := webhook.Sign(specSecret, specMsgID, time.Unix(specTimestamp, 0), []byte(specBody))
	if err != nil {
		t.Fatal(err)
	}
	if got != specSignature {
		t.Fatalf("Sign = %s, want %s", got, specSignature)
	}
	h := http.Header{}
	h.Set("webhook-id", specMsgID)
	h.Set("webhook-timestamp", strconv.Itoa(specTimestamp))
	h.Set("webhook-signature", specSignature)
	tolerance := time.Since(time.Unix(specTimestamp, 0)) + time.Hour
	if err := webhook.Verify(specSecret, h, []byte(specBody), tolerance); err != nil {
		t.Fatalf("Verify of the spec example: %v", err)
	}
}

func TestVerify(t *testing.T) {
	const raw = "a raw secret of at least 24 bytes"
	rawAsWhsec := "whsec_" + base64.StdEncoding.EncodeToString([]byte(raw))
	body := []byte(`{"type":"version.published","timestamp":"2026-01-01T00:00:00Z","data":{}}`)
	signed := func(secret string, at time.Time) http.Header {
		sig, err := webhook.Sign(secret, "msg_1", at, body)
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		h.Set("webhook-id", "msg_1")
		h.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
		h.Set("webhook-signature", sig)
		return h
	}
	now := time.Now()
	for _, c := range []struct {
		name    string
		secret  string
		header  func() http.Header
		body    []byte
		wantErr error
	}{
		{"valid", specSecret, func() http.Header { return signed(specSecret, now) }, body, nil},
		{"raw_secret", raw, func() http.Header { return signed(raw, now) }, body, nil},
		{"raw_secret_checked_as_whsec", rawAsWhsec, func() http.Header { return signed(raw, now) }, body, nil},
		{"tampered_body", specSecret, func() http.Header { return signed(specSecret, now) }, []byte(`{}`), webhook.ErrSignatureInvalid},
		{"wrong_secret", raw, func() http.Header { return signed(specSecret, now) }, body, webhook.ErrSignatureInvalid},
		{"tampered_id", specSecret, func() http.Header {
			h := signed(specSecret, now)
			h.Set("webhook-id", "msg_2")
			return h
		}, body, webhook.ErrSignatureInvalid},
		{"tampered_timestamp", specSecret, func() http.Header {
			h := signed(specSecret, now)
			h.Set("webhook-timestamp", strconv.FormatInt(now.Unix()+1, 10))
			return h
		}, body, webhook.ErrSignatureInvalid},
		{"too_old", specSecret, func() http.Header { return signed(specSecret, now.Add(-6*time.Minute)) }, body, webhook.ErrTimestamp},
		{"too_new", specSecret, func() http.Header { return signed(specSecret, now.Add(6*time.Minute)) }, body, webhook.ErrTimestamp},
		{"several_signatures", specSecret, func() http.Header {
			h := signed(specSecret, now)
			h.Set("webhook-signature", "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1a,xyz "+h.Get("webhook-signature"))
			return h
		}, body, nil},
		{"wrong_version", specSecret, func() http.Header {
			h := signed(specSecret, now)
			h.Set("webhook-signature", strings.Replace(h.Get("webhook-signature"), "v1,", "v2,", 1))
			return h
		}, body, webhook.ErrSignatureInvalid},
		{"empty_signature", specSecret, func() http.Header {
			h := signed(specSecret, now)
			h.Set("webhook-signature", "v1,")
			return h
		}, body, webhook.ErrSignatureInvalid},
		{"missing_id", specSecret, func() http.Header {
			h := signed(specSecret, now)
			h.Del("webhook-id")
			return h
		}, body, webhook.ErrMissingHeaders},
		{"missing_signature", specSecret, func() http.Header {
			h := signed(specSecret, now)
			h.Del("webhook-signature")
			return h
		}, body, webhook.ErrMissingHeaders},
		{"bad_timestamp", specSecret, func() http.Header {
			h := signed(specSecret, now)
			h.Set("webhook-timestamp", "yesterday")
			return h
		}, body, webhook.ErrMissingHeaders},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := webhook.Verify(c.secret, c.header(), c.body, 0)
			if c.wantErr == nil && err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if c.wantErr != nil && !errors.Is(err, c.wantErr) {
				t.Fatalf("Verify = %v, want %v", err, c.wantErr)
			}
		})
	}
}

func TestMaskSecret(t *testing.T) {
	for in, want := range map[string]string{
		"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw": "whsec_****LaSw",
		"a raw secret of at least 24 bytes":      "****ytes",
		"short":                                  "****",
		"whsec_c2hvcnQ=":                         "whsec_****",
	} {
		if got := webhook.MaskSecret(in); got != want {
			t.Errorf("MaskSecret(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNewSecret(t *testing.T) {
	a, b := webhook.NewSecret(), webhook.NewSecret()
	if a == b || !strings.HasPrefix(a, "whsec_") {
		t.Fatalf("NewSecret = %q, %q", a, b)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(a, "whsec_"))
	if err != nil || len(key) != 32 {
		t.Fatalf("NewSecret key: %d bytes, %v", len(key), err)
	}
}
