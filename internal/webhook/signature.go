package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The Standard Webhooks headers.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// DefaultTolerance is how far a delivery's timestamp may be from the
// receiver's clock, either way, when Verify is given no tolerance.
const DefaultTolerance = 5 * time.Minute

// Errors of Verify, matched with errors.Is.
var (
	ErrMissingHeaders   = errors.New("webhook: missing or malformed webhook-id, webhook-timestamp or webhook-signature header")
	ErrTimestamp        = errors.New("webhook: timestamp outside the tolerance")
	ErrSignatureInvalid = errors.New("webhook: no matching v1 signature")
)

// Sign returns the webhook-signature header value for a message:
// "v1," and the base64 HMAC-SHA256, keyed by the secret's key, of
// "<msgID>.<timestamp in Unix seconds>.<body>".
func Sign(secret, msgID string, timestamp time.Time, body []byte) (string, error) {
	key, err := secretKey(secret)
	if err != nil {
		return "", fmt.Errorf("webhook: secret: %w", err)
	}
	return "v1," + base64.StdEncoding.EncodeToString(mac(key, msgID, timestamp.Unix(), body)), nil
}

func mac(key []byte, msgID string, unix int64, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msgID))
	h.Write([]byte{'.'})
	h.Write(strconv.AppendInt(nil, unix, 10))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a received delivery: the headers are present, the
// timestamp is within tolerance of now (DefaultTolerance when tolerance is
// not positive), and one of the space-separated signatures is a v1
// signature of the body under secret (in either secret form, see the
// package documentation). body must be the raw request body, unparsed.
// Receivers should also drop a webhook-id they have already processed.
func Verify(secret string, headers http.Header, body []byte, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	id, tsText, sigs := headers.Get(HeaderID), headers.Get(HeaderTimestamp), headers.Get(HeaderSignature)
	if id == "" || tsText == "" || sigs == "" {
		return ErrMissingHeaders
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q is not Unix seconds", ErrMissingHeaders, tsText)
	}
	now := time.Now()
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: %s is %s away from now", ErrTimestamp, time.Unix(ts, 0).UTC().Format(time.RFC3339), d.Round(time.Second))
	}
	key, err := secretKey(secret)
	if err != nil {
		return fmt.Errorf("webhook: secret: %w", err)
	}
	want := mac(key, id, ts, body)
	for sig := range strings.FieldsSeq(sigs) {
		version, value, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(value)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrSignatureInvalid
}
