package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/format"
	"github.com/artifortress/artifortress/internal/meta"
)

// PutManifest validates a draft's manifest with the version's format and
// stores it as given (role write).
func (s *Service) PutManifest(ctx context.Context, caller *auth.Principal, repoKey, versionID string, manifest json.RawMessage) (Version, error) {
	r, f, err := s.repoFormat(ctx, caller, repoKey, auth.RoleWrite)
	if err != nil {
		return Version{}, err
	}
	trimmed := bytes.TrimSpace(manifest)
	if len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(trimmed) {
		return Version{}, fault.BadRequest("manifest", "want a JSON object")
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	err = s.db.Tx(ctx, func(tx *meta.Tx) error {
		v, p, err := s.lockedVersion(ctx, tx, r, versionID)
		if err != nil {
			return err
		}
		if v.State != meta.VersionDraft {
			return notDraft(v)
		}
		if err := f.ValidateManifest(format.Coordinates{Namespace: p.Namespace, Name: p.Name, Version: v.Version}, trimmed); err != nil {
			return fieldError(err)
		}
		if err := tx.SetManifest(ctx, v.ID, trimmed, now); err != nil {
			return err
		}
		return tx.InsertAudit(ctx, s.audit(ctx, caller, "version.manifest", repoKey, "repo/"+repoKey+"/versions/"+v.ID, now, map[string]any{"bytes": len(trimmed)}))
	})
	if err != nil {
		return Version{}, err
	}
	return s.GetByID(ctx, caller, repoKey, versionID)
}

// Manifest returns a version's manifest (role read; drafts need write).
func (s *Service) Manifest(ctx context.Context, caller *auth.Principal, repoKey, versionID string) (json.RawMessage, error) {
	v, err := s.GetByID(ctx, caller, repoKey, versionID)
	if err != nil {
		return nil, err
	}
	if v.Row.Manifest == nil {
		return nil, fault.Coded(fault.KindNotFound, "manifest_not_found", "version %s has no manifest yet", v.Row.Version)
	}
	return v.ManifestJSON(), nil
}
