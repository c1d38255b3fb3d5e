package catalog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
)

// EntryRequest names a file of a version: a path and a committed blob.
type EntryRequest struct {
	Path      string
	Digest    string
	MediaType string
}

// MaxEntriesPerRequest bounds one AddEntries call.
const MaxEntriesPerRequest = 1000

// AddEntries adds files to a draft (role write). Sizes come from the stored
// blob, never from the client. The whole request applies or none of it: a
// bad path, a duplicate path, or a digest not committed in this repository
// is answered with the offending entry.
func (s *Service) AddEntries(ctx context.Context, caller *auth.Principal, repoKey, versionID string, entries []EntryRequest) (Version, error) {
	r, err := s.repos.Access(ctx, caller, repoKey, auth.RoleWrite)
	if err != nil {
		return Version{}, err
	}
	if len(entries) == 0 || len(entries) > MaxEntriesPerRequest {
		return Version{}, fault.BadRequest("entries", "give 1 to %d entries", MaxEntriesPerRequest)
	}
	seen := map[string]int{}
	for i, e := range entries {
		field := fmt.Sprintf("entries[%d]", i)
		if err := validPath(e.Path); err != nil {
			return Version{}, fault.BadRequest(field+".path", "%q: %v", e.Path, err).With("entry", i)
		}
		if j, dup := seen[e.Path]; dup {
			return Version{}, fault.BadRequest(field+".path", "%q is listed twice (entries %d and %d)", e.Path, j, i).With("entry", i)
		}
		seen[e.Path] = i
		if _, err := blob.ParseDigest(e.Digest); err != nil {
			return Version{}, fault.BadRequest(field+".digest", "%v", err).With("entry", i)
		}
		if len(e.MediaType) > 255 {
			return Version{}, fault.BadRequest(field+".mediaType", "at most 255 bytes").With("entry", i)
		}
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	err = s.db.Tx(ctx, func(tx *meta.Tx) error {
		v, _, err := s.lockedVersion(ctx, tx, r, versionID)
		if err != nil {
			return err
		}
		if v.State != meta.VersionDraft {
			return notDraft(v)
		}
		digests := make([]string, len(entries))
		for i, e := range entries {
			digests[i] = e.Digest
		}
		links, err := tx.BlobLinks(ctx, repoKey, digests)
		if err != nil {
			return err
		}
		for i, e := range entries {
			field := fmt.Sprintf("entries[%d]", i)
			l, ok := links[e.Digest]
			if !ok {
				return fault.Coded(fault.KindConflict, "digest_not_committed",
					"%s: blob %s is not committed in repository %q; upload it there first", field, e.Digest, repoKey).With("entry", i).With("field", field+".digest")
			}
			err = tx.InsertEntry(ctx, meta.Entry{VersionID: v.ID, Repo: repoKey, Path: e.Path, Digest: e.Digest, Size: l.Size, MediaType: e.MediaType})
			if errors.Is(err, meta.ErrExists) {
				return fault.Coded(fault.KindConflict, "entry_exists", "%s: the version already has a file at %q", field, e.Path).With("entry", i).With("field", field+".path")
			}
			if err != nil {
				return err
			}
		}
		return tx.InsertAudit(ctx, s.audit(ctx, caller, "version.entries", repoKey, "repo/"+repoKey+"/versions/"+v.ID, now, map[string]any{
			"count": len(entries), "paths": pathsOf(entries),
		}))
	})
	if err != nil {
		return Version{}, err
	}
	return s.GetByID(ctx, caller, repoKey, versionID)
}

func pathsOf(entries []EntryRequest) []string {
	out := make([]string, 0, min(len(entries), 20))
	for i, e := range entries {
		if i == 20 {
			out = append(out, fmt.Sprintf("... %d more", len(entries)-20))
			break
		}
		out = append(out, e.Path)
	}
	return out
}

func notDraft(v meta.Version) error {
	return fault.Coded(fault.KindConflict, "version_not_draft", "version %s is %s; only drafts change", v.Version, v.State).With("state", v.State)
}
