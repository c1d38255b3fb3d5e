package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/repo"
)

// Complete assembles the received parts, in order, into one staged object,
// computing its SHA-256 and length in the same pass (role write). Parts must
// be numbered 1..N without gaps. A session with no parts whose expected
// digest the caller can read elsewhere completes by linking, without bytes.
func (s *Service) Complete(ctx context.Context, caller *auth.Principal, repoKey, id string) (Session, error) {
	u, err := s.session(ctx, caller, repoKey, id)
	if err != nil {
		return Session{}, err
	}
	if u.State != StateOpen {
		return s.settled(ctx, caller, u, "complete") // completing twice changes nothing
	}
	if err := s.notExpired(u, "complete"); err != nil {
		return Session{}, err
	}
	if ok, err := s.transition(ctx, meta.UploadChange{ID: id, From: []string{StateOpen}, To: StateAssembling}); err != nil || !ok {
		return s.lostRace(ctx, caller, id, "complete", err)
	}
	digest, size, linked, err := s.assemble(ctx, caller, u)
	if err != nil {
		// Back to open: the client may fix its parts and complete again.
		msg := err.Error()
		if _, terr := s.transition(context.WithoutCancel(ctx), meta.UploadChange{ID: id, From: []string{StateAssembling}, To: StateOpen, Error: &msg}); terr != nil {
			s.opt.Log.ErrorContext(ctx, "reopen upload after failed assembly", slog.String("upload", id), slog.String("error", terr.Error()))
		}
		return Session{}, err
	}
	ok, err := s.transition(ctx, meta.UploadChange{ID: id, From: []string{StateAssembling}, To: StateCompleted,
		Digest: &digest, Size: &size, Linked: &linked, Error: new(string)})
	if err != nil || !ok {
		return s.lostRace(ctx, caller, id, "complete", err)
	}
	if err := s.store.DeleteStaged(ctx, sessionPrefix(id)+"part-"); err != nil {
		s.opt.Log.WarnContext(ctx, "delete assembled parts", slog.String("upload", id), slog.String("error", err.Error()))
	}
	u, err = s.db.GetUpload(ctx, id)
	if err != nil {
		return Session{}, err
	}
	return s.describe(ctx, caller, u)
}

// assemble streams parts 1..N into the staged object "assembled".
func (s *Service) assemble(ctx context.Context, caller *auth.Principal, u meta.Upload) (digest string, size int64, linked bool, err error) {
	parts, err := s.parts(ctx, u.ID)
	if err != nil {
		return "", 0, false, err
	}
	r, err := s.repos.Access(ctx, caller, u.Repo, auth.RoleWrite)
	if err != nil {
		return "", 0, false, err
	}
	max := s.maxBlobBytes(r)
	if len(parts) == 0 {
		// Without bytes, a session may only link a digest the caller can
		// already read somewhere (dedupe never grants access).
		ok := false
		if u.ExpectedDigest != "" {
			if ok, err = s.readableAnywhere(ctx, caller, u.ExpectedDigest); err != nil {
				return "", 0, false, err
			}
		}
		if !ok {
			return "", 0, false, fault.Coded(fault.KindBadRequest, "upload_parts_missing",
				"the session has no parts; upload the bytes (a digest is linked without them only when you can read it elsewhere)").With("missing", []int{1})
		}
		b, err := s.db.GetBlob(ctx, u.ExpectedDigest)
		if err != nil {
			return "", 0, false, err
		}
		if max > 0 && b.Size > max {
			return "", 0, false, tooLarge(max)
		}
		return b.Digest, b.Size, true, nil
	}
	var missing []int
	for i, p := range parts {
		for want := len(missing) + i + 1; want < p.Number; want++ {
			missing = append(missing, want)
		}
	}
	if len(missing) > 0 {
		return "", 0, false, fault.Coded(fault.KindBadRequest, "upload_parts_missing",
			"parts %v are missing; parts must be numbered 1..N without gaps", missing).With("missing", missing)
	}
	names := make([]string, len(parts))
	for i, p := range parts {
		names[i] = partName(u.ID, p.Number)
	}
	pr := &partsReader{ctx: ctx, store: s.store, names: names}
	defer pr.Close()
	sums, err := blob.Ingest(ctx, s.store, assembledName(u.ID), pr, blob.Expect{Size: -1, MaxSize: max})
	if errors.Is(err, blob.ErrTooLarge) {
		return "", 0, false, tooLarge(max)
	}
	if err != nil {
		return "", 0, false, fmt.Errorf("assemble upload %s: %w", u.ID, err)
	}
	return string(sums.Digest), sums.Size, false, nil
}

// partsReader reads staged objects (parts or chunks) one after another,
// opening each only when the previous one is exhausted.
type partsReader struct {
	ctx   context.Context
	store blob.Store
	names []string
	cur   io.ReadCloser
}

func (p *partsReader) Read(b []byte) (int, error) {
	for {
		if p.cur == nil {
			if len(p.names) == 0 {
				return 0, io.EOF
			}
			rc, err := p.store.OpenStaged(p.ctx, p.names[0])
			if err != nil {
				return 0, fmt.Errorf("staged %s: %w", p.names[0], err)
			}
			p.cur, p.names = rc, p.names[1:]
		}
		n, err := p.cur.Read(b)
		if err == io.EOF {
			p.cur.Close()
			p.cur = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

// Close closes the staged object being read, if any: an error stops a
// read half-way through one.
func (p *partsReader) Close() error {
	if p.cur == nil {
		return nil
	}
	err := p.cur.Close()
	p.cur = nil
	return err
}

// Commit verifies the assembled object against the expected digest and
// length, promotes it to a blob and links it into the repository (role
// write). A mismatch aborts the session: 409 upload_verification_failed with
// the expected and actual values, and nothing becomes visible. Committing a
// committed session answers the same result again.
func (s *Service) Commit(ctx context.Context, caller *auth.Principal, repoKey, id string) (Session, error) {
	u, err := s.session(ctx, caller, repoKey, id)
	if err != nil {
		return Session{}, err
	}
	if u.State != StateCompleted {
		return s.settled(ctx, caller, u, "commit")
	}
	if err := s.notExpired(u, "commit"); err != nil {
		return Session{}, err
	}
	if verr := verify(u); verr != nil {
		msg := verr.Error()
		if ok, err := s.transition(ctx, meta.UploadChange{ID: id, From: []string{StateCompleted}, To: StateAborted, Error: &msg}); err != nil || !ok {
			return s.lostRace(ctx, caller, id, "commit", err)
		}
		s.discard(ctx, id)
		return Session{}, fault.Coded(fault.KindConflict, "upload_verification_failed",
			"the uploaded bytes do not match: %s; the session is aborted", msg).
			With("field", verr.Field).With("expected", verr.Expected).With("actual", verr.Actual)
	}
	if !u.Linked {
		if err := s.store.Promote(ctx, assembledName(id), blob.Digest(u.Digest)); err != nil {
			// A concurrent abort discards the assembled object: the
			// session's state, not the missing object, is the answer.
			if now, gerr := s.db.GetUpload(ctx, id); gerr == nil && now.State != StateCompleted {
				return s.settled(ctx, caller, now, "commit")
			}
			return Session{}, fmt.Errorf("promote upload %s: %w", id, err)
		}
	}
	r, err := s.writable(ctx, caller, repoKey)
	if err != nil {
		return Session{}, err
	}
	created, err := s.link(ctx, caller, r, u.Digest, *u.Size, &meta.UploadChange{ID: id, From: []string{StateCompleted}, To: StateCommitted})
	if errors.Is(err, errLostRace) {
		return s.lostRace(ctx, caller, id, "commit", nil)
	}
	if err != nil {
		return Session{}, err
	}
	s.discard(ctx, id)
	if created && s.opt.OnBlobCommited != nil {
		s.opt.OnBlobCommited(blob.Digest(u.Digest))
	}
	u, err = s.db.GetUpload(ctx, id)
	if err != nil {
		return Session{}, err
	}
	return s.describe(ctx, caller, u)
}

func verify(u meta.Upload) *blob.VerificationError {
	if u.ExpectedLength != nil && u.Size != nil && *u.ExpectedLength != *u.Size {
		return &blob.VerificationError{Field: "length", Expected: fmt.Sprint(*u.ExpectedLength), Actual: fmt.Sprint(*u.Size)}
	}
	if u.ExpectedDigest != "" && u.ExpectedDigest != u.Digest {
		return &blob.VerificationError{Field: "digest", Expected: u.ExpectedDigest, Actual: u.Digest}
	}
	return nil
}

// Abort discards a session of either kind and its bytes (role write).
// Aborting an aborted session answers the same again; a committed one cannot
// be aborted.
func (s *Service) Abort(ctx context.Context, caller *auth.Principal, repoKey, id string) (Session, error) {
	_, u, err := s.sessionIn(ctx, caller, repoKey, id)
	if err != nil {
		return Session{}, err
	}
	if u.State == StateAborted {
		return s.describe(ctx, caller, u)
	}
	msg := "aborted by " + caller.Name()
	ok, err := s.transition(ctx, meta.UploadChange{ID: id, From: []string{StateOpen, StateCompleted}, To: StateAborted, Error: &msg})
	if err != nil || !ok {
		return s.lostRace(ctx, caller, id, "abort", err)
	}
	s.discard(ctx, id)
	u, err = s.db.GetUpload(ctx, id)
	if err != nil {
		return Session{}, err
	}
	return s.describe(ctx, caller, u)
}

// link records blob digest and makes it visible in repository r, with the
// session change (if any) and the audit record "blob.commit": see linkBlob.
func (s *Service) link(ctx context.Context, caller *auth.Principal, r repo.Repo, digest string, size int64, change *meta.UploadChange) (bool, error) {
	return s.linkBlob(ctx, caller, r, linkSpec{blob: meta.Blob{Digest: digest, Size: size}, change: change})
}

// linkSpec is what linkBlob records.
type linkSpec struct {
	blob    meta.Blob          // Digest and Size; SHA512 too when it was measured on the way in
	change  *meta.UploadChange // the session's transition, nil for none
	details map[string]any     // audit details besides the blob's
}

// linkBlob records a blob (with its SHA-512 when measured) and makes it
// visible in repository r, with the session change (if any) and the audit
// record "blob.commit", in one transaction (linkIn). It reports whether the
// blob was new to the store.
func (s *Service) linkBlob(ctx context.Context, caller *auth.Principal, r repo.Repo, spec linkSpec) (bool, error) {
	var created bool
	err := s.db.Tx(ctx, func(tx *meta.Tx) error {
		var err error
		created, err = s.linkIn(ctx, tx, caller, r, spec)
		return err
	})
	return created, err
}

// linkIn is linkBlob inside tx. Once tx commits, the link goes into this
// node's link cache (write-through): the first download after an upload,
// often right after it, needs no lookup.
func (s *Service) linkIn(ctx context.Context, tx *meta.Tx, caller *auth.Principal, r repo.Repo, spec linkSpec) (bool, error) {
	repoKey, digest, size := r.Key, spec.blob.Digest, spec.blob.Size
	now := s.opt.Now().UTC()
	if change := spec.change; change != nil {
		change.At = now
		ok, err := tx.TransitionUpload(ctx, *change)
		if err != nil {
			return false, err
		}
		if !ok {
			return false, errLostRace
		}
	}
	created, err := tx.InsertBlob(ctx, meta.Blob{Digest: digest, Size: size, CreatedAt: now})
	if err != nil {
		return false, err
	}
	if spec.blob.SHA512 != "" {
		if err := tx.SetBlobSHA512(ctx, digest, spec.blob.SHA512); err != nil {
			return false, err
		}
	}
	linked, err := tx.LinkBlob(ctx, repoKey, digest, caller.Name(), now)
	if err != nil {
		return false, err
	}
	details := map[string]any{"digest": digest, "length": size, "newBlob": created, "newLink": linked}
	if spec.change != nil {
		details["upload"] = spec.change.ID
	}
	for k, v := range spec.details {
		details[k] = v
	}
	tx.AfterCommit(func() {
		// Best effort: a failed read only leaves the cache cold.
		_, _ = s.cachedLink(context.WithoutCancel(ctx), r, digest)
	})
	return created, tx.InsertAudit(ctx, meta.AuditRecord{
		At: now, Actor: caller.Name(), ActorVia: caller.Via(), Action: "blob.commit", Resource: "repo/" + repoKey + "/blobs/" + digest,
		Repo: repoKey, RequestID: requestID(ctx), Details: details,
	})
}

var errLostRace = errors.New("lost race")

// transition applies a session's state change. It runs as a transaction,
// like every other write, so that on SQLite it queues on the node's write
// lock instead of sleeping in SQLite's busy handler while another write
// commits (those sleeps set the p99 of concurrent small uploads).
func (s *Service) transition(ctx context.Context, c meta.UploadChange) (bool, error) {
	c.At = s.opt.Now().UTC()
	var ok bool
	err := s.db.Tx(ctx, func(tx *meta.Tx) error {
		var err error
		ok, err = tx.TransitionUpload(ctx, c)
		return err
	})
	return ok, err
}

// lostRace answers an action whose compare-and-set on the session lost to a
// concurrent change, by the state the session is in now (see settled).
func (s *Service) lostRace(ctx context.Context, caller *auth.Principal, id, action string, err error) (Session, error) {
	if err != nil {
		return Session{}, err
	}
	u, err := s.db.GetUpload(ctx, id)
	if err != nil {
		return Session{}, err
	}
	return s.settled(ctx, caller, u, action)
}

// settled answers an action on session u that cannot start from u's state.
// When u is already where the action leads (a retry, or a concurrent request
// that won), the answer is the same as the first one: the session. Anything
// else is a 409. So two racing commits both answer the committed session,
// like a commit and its retry, while a commit racing an abort gets 409
// upload_state_conflict if the abort won.
func (s *Service) settled(ctx context.Context, caller *auth.Principal, u meta.Upload, action string) (Session, error) {
	if u.State == actionLeadsTo[action] {
		return s.describe(ctx, caller, u)
	}
	return Session{}, stateConflict(u, action)
}

var actionLeadsTo = map[string]string{"complete": StateCompleted, "commit": StateCommitted, "abort": StateAborted}

// discard removes a session's staged objects; failures are left to the sweeper.
func (s *Service) discard(ctx context.Context, id string) {
	if err := s.store.DeleteStaged(context.WithoutCancel(ctx), sessionPrefix(id)); err != nil {
		s.opt.Log.WarnContext(ctx, "discard upload staging", slog.String("upload", id), slog.String("error", err.Error()))
	}
}
