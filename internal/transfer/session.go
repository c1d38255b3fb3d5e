package transfer

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/blob"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/repo"
)

// Session is an upload session as clients see it.
type Session struct {
	meta.Upload
	Parts       []Part
	PartSize    int64
	MaxPartSize int64
	MaxParts    int
	// Linkable: the expected digest is already stored and readable by the
	// caller, so commit may link it without bytes.
	Linkable bool
}

// Part is one received part.
type Part struct {
	Number int
	Size   int64
	ETag   string
}

// CreateRequest opens a session.
type CreateRequest struct {
	ExpectedDigest string // "" when unknown
	ExpectedLength *int64
}

// Create opens a session in a local repository (role write).
func (s *Service) Create(ctx context.Context, caller *auth.Principal, repoKey string, req CreateRequest) (Session, error) {
	r, err := s.writable(ctx, caller, repoKey)
	if err != nil {
		return Session{}, err
	}
	if req.ExpectedDigest != "" {
		if _, err := blob.ParseDigest(req.ExpectedDigest); err != nil {
			return Session{}, fault.BadRequest("expectedDigest", "%v", err)
		}
	}
	if l := req.ExpectedLength; l != nil {
		if *l < 0 {
			return Session{}, fault.BadRequest("expectedLength", "must not be negative")
		}
		if max := s.maxBlobBytes(r); max > 0 && *l > max {
			return Session{}, tooLarge(max)
		}
	}
	u := s.newUpload(caller, repoKey)
	u.ExpectedDigest, u.ExpectedLength = req.ExpectedDigest, req.ExpectedLength
	if err := s.insertSession(ctx, r, u); err != nil {
		return Session{}, err
	}
	// A new session has no parts: answer without asking the store, so an
	// unreachable store cannot fail a request whose row is committed.
	sess := s.emptySession(u)
	if u.ExpectedDigest != "" {
		if sess.Linkable, err = s.readableAnywhere(ctx, caller, u.ExpectedDigest); err != nil {
			return Session{}, err
		}
	}
	return sess, nil
}

// newUpload is the row of a new open session of repoKey.
func (s *Service) newUpload(caller *auth.Principal, repoKey string) meta.Upload {
	now := s.opt.Now().UTC().Truncate(time.Microsecond)
	return meta.Upload{
		ID: newID(), Repo: repoKey, State: StateOpen,
		CreatedBy: caller.Name(), CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(s.opt.SessionTTL),
	}
}

// insertSession stores session u of repository r unless r has as many
// unfinished sessions as it may (429 too_many_upload_sessions): counted and
// inserted under the repository's lock, so concurrent creates cannot both
// take the last place.
func (s *Service) insertSession(ctx context.Context, r repo.Repo, u meta.Upload) error {
	maxSessions := s.opt.MaxSessions
	if r.Settings.MaxUploadSessions > 0 {
		maxSessions = r.Settings.MaxUploadSessions
	}
	return s.db.Tx(ctx, func(tx *meta.Tx) error {
		if err := tx.LockRepo(ctx, r.Key); err != nil {
			return err
		}
		n, err := tx.CountUploads(ctx, r.Key, unfinished)
		if err != nil {
			return err
		}
		if n >= maxSessions {
			return fault.Coded(fault.KindTooManyRequests, "too_many_upload_sessions",
				"repository %q has %d unfinished upload sessions (limit %d); finish or abort some first", r.Key, n, maxSessions).
				With("limit", maxSessions)
		}
		return tx.InsertUpload(ctx, u)
	})
}

// Get returns a session of either kind with the parts received so far (role
// write; a chunked session lists none: see ChunkedStatus).
func (s *Service) Get(ctx context.Context, caller *auth.Principal, repoKey, id string) (Session, error) {
	_, u, err := s.sessionIn(ctx, caller, repoKey, id)
	if err != nil {
		return Session{}, err
	}
	return s.describe(ctx, caller, u)
}

func (s *Service) describe(ctx context.Context, caller *auth.Principal, u meta.Upload) (Session, error) {
	if (u.State == StateOpen || u.State == StateCompleted) && !s.opt.Now().Before(u.ExpiresAt) {
		u.State = StateExpired // the sweeper has not recorded it yet
	}
	sess := s.emptySession(u)
	if u.State == StateOpen || u.State == StateAssembling {
		parts, err := s.parts(ctx, u.ID)
		if err != nil {
			return Session{}, err
		}
		sess.Parts = parts
	}
	if u.ExpectedDigest != "" && u.State == StateOpen {
		ok, err := s.readableAnywhere(ctx, caller, u.ExpectedDigest)
		if err != nil {
			return Session{}, err
		}
		sess.Linkable = ok
	}
	return sess, nil
}

// parts lists received parts, ordered by number, from the store itself: it
// is the truth about which bytes arrived, whichever way they came.
func (s *Service) parts(ctx context.Context, id string) ([]Part, error) {
	prefix := sessionPrefix(id) + "part-"
	out := []Part{}
	err := s.store.ListStaged(ctx, prefix, func(i blob.Info) error {
		n, err := strconv.Atoi(strings.TrimPrefix(i.Name, prefix))
		if err != nil {
			return nil
		}
		out = append(out, Part{Number: n, Size: i.Size, ETag: i.ETag})
		return nil
	})
	sort.Slice(out, func(a, b int) bool { return out[a].Number < out[b].Number })
	return out, err
}

// readableAnywhere reports whether caller can read digest in some
// repository: the condition for linking it without uploading the bytes.
func (s *Service) readableAnywhere(ctx context.Context, caller *auth.Principal, digest string) (bool, error) {
	repos, err := s.db.ReposLinking(ctx, digest)
	if err != nil {
		return false, err
	}
	for _, r := range repos {
		if caller.Can(r, auth.RoleRead) {
			return true, nil
		}
	}
	return false, nil
}

// writable checks role write on a local repository.
func (s *Service) writable(ctx context.Context, caller *auth.Principal, repoKey string) (repo.Repo, error) {
	r, err := s.repos.Access(ctx, caller, repoKey, auth.RoleWrite)
	if err != nil {
		return repo.Repo{}, err
	}
	if r.Type != repo.TypeLocal {
		return repo.Repo{}, fault.Coded(fault.KindConflict, "repository_not_local",
			"repository %q is %s; uploads go to local repositories", repoKey, r.Type)
	}
	return r, nil
}

// session loads a session of numbered parts of repoKey the caller may
// write to.
func (s *Service) session(ctx context.Context, caller *auth.Principal, repoKey, id string) (meta.Upload, error) {
	_, u, err := s.sessionIn(ctx, caller, repoKey, id)
	if err == nil && u.Chunked() {
		return meta.Upload{}, modeConflict(u)
	}
	return u, err
}

// sessionIn loads a session of either kind of repoKey the caller may write
// to, with the repository.
func (s *Service) sessionIn(ctx context.Context, caller *auth.Principal, repoKey, id string) (repo.Repo, meta.Upload, error) {
	r, err := s.writable(ctx, caller, repoKey)
	if err != nil {
		return repo.Repo{}, meta.Upload{}, err
	}
	u, err := s.db.GetUpload(ctx, id)
	if errors.Is(err, meta.ErrNotFound) || (err == nil && u.Repo != repoKey) {
		return repo.Repo{}, meta.Upload{}, fault.Coded(fault.KindNotFound, "upload_not_found", "upload session %q not found in repository %q", id, repoKey)
	}
	return r, u, err
}

// modeConflict refuses an action of the other kind of session: numbered
// parts are hashed only when assembled, chunks as they arrive, and mixing
// the two would leave the hash state describing bytes that are not there.
func modeConflict(u meta.Upload) error {
	kind, other := "numbered parts", "chunked (OCI) uploads"
	if u.Chunked() {
		kind, other = "chunks appended in order", "numbered parts"
	}
	return fault.Coded(fault.KindConflict, "upload_mode_conflict",
		"upload session %s takes %s; it cannot be used for %s", u.ID, kind, other).With("chunked", u.Chunked())
}

func (s *Service) maxBlobBytes(r repo.Repo) int64 {
	if r.Settings.MaxBlobBytes > 0 {
		return r.Settings.MaxBlobBytes
	}
	return s.opt.MaxBlobBytes
}

func tooLarge(max int64) error {
	return fault.Coded(fault.KindTooLarge, "blob_too_large", "the blob exceeds this repository's limit of %d bytes", max).With("limit", max)
}

// openNow checks that parts or chunks may still be added to u: it is open
// and not past its expiry (which the sweeper may not have recorded yet).
func (s *Service) openNow(u meta.Upload, action string) error {
	if u.State != StateOpen {
		return stateConflict(u, action)
	}
	return s.notExpired(u, action)
}

// notExpired refuses action on a session past its expiry.
func (s *Service) notExpired(u meta.Upload, action string) error {
	if !s.opt.Now().Before(u.ExpiresAt) {
		u.State = StateExpired
		return stateConflict(u, action)
	}
	return nil
}

func stateConflict(u meta.Upload, action string) error {
	if u.State == StateExpired {
		return fault.Coded(fault.KindConflict, "upload_expired", "upload session %s expired at %s; start a new one", u.ID, u.ExpiresAt.Format(time.RFC3339)).
			With("state", u.State)
	}
	return fault.Coded(fault.KindConflict, "upload_state_conflict", "cannot %s: upload session %s is %s", action, u.ID, u.State).
		With("state", u.State)
}

func newID() string {
	return fmt.Sprintf("up_%s", randomHex(12))
}

// emptySession is u as clients see it, with the service's part limits and
// no parts listed yet.
func (s *Service) emptySession(u meta.Upload) Session {
	return Session{Upload: u, Parts: []Part{}, PartSize: s.opt.PartSize, MaxPartSize: s.opt.MaxPartSize, MaxParts: s.opt.MaxParts}
}
