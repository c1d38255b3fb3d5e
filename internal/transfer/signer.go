package transfer

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/artifortress/artifortress/internal/meta"
)

// Signer signs and checks the node-served direct-upload URLs the filesystem
// store offers in place of S3's pre-signed URLs. The key lives in the
// metadata store, so every node of a deployment accepts every node's URLs.
type Signer struct {
	key []byte
}

const signerKeyState = "upload.presign_key"

// LoadSigner reads the signing key, creating it on first use.
func LoadSigner(ctx context.Context, db *meta.DB) (*Signer, error) {
	raw, err := db.GetState(ctx, signerKeyState)
	if errors.Is(err, meta.ErrNotFound) {
		k := make([]byte, 32)
		_, _ = rand.Read(k)
		err = db.Tx(ctx, func(tx *meta.Tx) error { return tx.InsertState(ctx, signerKeyState, hex.EncodeToString(k)) })
		if errors.Is(err, meta.ErrExists) || err == nil {
			raw, err = db.GetState(ctx, signerKeyState)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("upload signing key: %w", err)
	}
	key, err := hex.DecodeString(raw)
	if err != nil || len(key) < 32 {
		return nil, fmt.Errorf("upload signing key: corrupt")
	}
	return &Signer{key: key}, nil
}

func (s *Signer) mac(id string, part int, expires int64) []byte {
	m := hmac.New(sha256.New, s.key)
	fmt.Fprintf(m, "PUT\n%s\n%d\n%d", id, part, expires)
	return m.Sum(nil)
}

// Sign returns the expiry and signature query values for one part.
func (s *Signer) Sign(id string, part int, expires time.Time) (exp, sig string) {
	e := expires.Unix()
	return strconv.FormatInt(e, 10), hex.EncodeToString(s.mac(id, part, e))
}

// Check verifies a signature in constant time and that it has not expired.
func (s *Signer) Check(id string, part int, exp, sig string, now time.Time) error {
	e, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return errors.New("malformed expiry")
	}
	got, err := hex.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(id, part, e)) {
		return errors.New("bad signature")
	}
	if now.Unix() > e {
		return errors.New("the URL has expired")
	}
	return nil
}
