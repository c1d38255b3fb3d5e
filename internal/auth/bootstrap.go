package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/artifortress/artifortress/internal/meta"
)

// InitialTokenFile is the file, under the data directory, that receives the
// initial administrator token on first start.
const InitialTokenFile = "initial-admin-token"

const bootstrapStateKey = "bootstrap.initial_admin_token"

// Bootstrap creates the initial administrator token the first time a store is
// used, and writes it to <dataDir>/initial-admin-token with mode 0600. The
// token row, its audit record and the "done" marker commit together, and only
// after the file is durably written; a second call (or a second node) does
// nothing. It returns the file path when it created one, "" otherwise.
//
// When a bootstrap secret is configured (Options.BootstrapToken) no token is
// created: that secret is the administrator's credential.
func (s *Service) Bootstrap(ctx context.Context, dataDir string) (string, error) {
	if s.bootstrapHash != nil {
		return "", nil
	}
	if _, err := s.db.GetState(ctx, bootstrapStateKey); err == nil {
		return "", nil
	} else if !errors.Is(err, meta.ErrNotFound) {
		return "", err
	}
	path := filepath.Join(dataDir, InitialTokenFile)
	now := s.now().UTC()
	id, token, hash := newToken()
	system := NewPrincipal("system", SourceSystem, "", nil, nil)
	err := s.db.Tx(ctx, func(tx *meta.Tx) error {
		if err := tx.InsertState(ctx, bootstrapStateKey, id); err != nil {
			return err
		}
		if err := tx.InsertToken(ctx, meta.Token{
			ID: id, SecretHash: hash, Subject: BootstrapSubject, Scopes: []string{GlobalAdmin},
			CreatedBy: "system", CreatedAt: now,
		}); err != nil {
			return err
		}
		if err := tx.InsertAudit(ctx, audit(ctx, system, "token.issue", "token/"+id, now, map[string]any{
			"subject": BootstrapSubject, "scopes": []string{GlobalAdmin}, "initial": true,
		})); err != nil {
			return err
		}
		return writeSecretFile(path, token+"\n")
	})
	if errors.Is(err, meta.ErrExists) {
		return "", nil // another node bootstrapped first
	}
	if err != nil {
		return "", fmt.Errorf("bootstrap initial admin token: %w", err)
	}
	return path, nil
}

// writeSecretFile writes data to path with mode 0600 atomically: a temporary
// file in the same directory, fsynced, renamed, directory fsynced.
func writeSecretFile(path, data string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".initial-admin-token-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.WriteString(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
