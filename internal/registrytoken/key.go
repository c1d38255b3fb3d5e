package registrytoken

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/artifortress/artifortress/internal/meta"
)

// keyState is the system_state key holding the signing key, hex-encoded.
const keyState = "registry.token_key"

// StateStore is the part of the metadata store LoadOrCreateKey needs: GetState
// returns meta.ErrNotFound for an unset key, and InsertState meta.ErrExists
// when the key is already set. Pass the *meta.DB itself, not a *meta.Tx: on
// PostgreSQL the losing insert aborts its transaction, and the read-back of
// the winner's key would then fail.
type StateStore interface {
	GetState(ctx context.Context, key string) (string, error)
	InsertState(ctx context.Context, key, value string) error
}

// LoadOrCreateKey returns the registry token signing key and its key id,
// creating the key on first start. The key lives in the metadata store so
// every node of a deployment verifies every node's tokens. When two nodes
// start at once, InsertState lets only one of them store its key and both
// read back the winner's. The kid is derived from the key (the first 8 bytes
// of its SHA-256, in hex), so all nodes agree on it without storing it.
func LoadOrCreateKey(ctx context.Context, q StateStore) (key []byte, kid string, err error) {
	raw, err := q.GetState(ctx, keyState)
	if errors.Is(err, meta.ErrNotFound) {
		k := make([]byte, KeySize)
		_, _ = rand.Read(k) // crypto/rand.Read never fails (Go 1.24+)
		err = q.InsertState(ctx, keyState, hex.EncodeToString(k))
		if err == nil || errors.Is(err, meta.ErrExists) {
			raw, err = q.GetState(ctx, keyState)
		}
	}
	if err != nil {
		return nil, "", fmt.Errorf("registry token key: %w", err)
	}
	key, err = hex.DecodeString(raw)
	if err != nil || len(key) < KeySize {
		// The value is a secret: say where it is, not what it is.
		return nil, "", fmt.Errorf("registry token key: system_state %q is corrupt (want %d hex-encoded bytes)", keyState, KeySize)
	}
	return key, keyID(key), nil
}

// keyID names a key without revealing it.
func keyID(key []byte) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:8])
}
