package transfercli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/artifortress/artifortress/internal/admincli"
)

// pusher pushes files to one repository.
type pusher struct {
	client   *admincli.Client
	repo     string
	opt      *pushOptions
	errOut   io.Writer
	progress progressOutput
}

// push uploads one file and reports what it did.
func (p *pusher) push(ctx context.Context, path string) (pushResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return pushResult{}, err
	}
	defer f.Close()
	label := filepath.Base(path)
	digest, size, err := p.hash(ctx, f, label)
	if err != nil {
		return pushResult{}, fmt.Errorf("reading %s: %w", path, err)
	}
	res := pushResult{File: path, Digest: digest, Length: size}

	sess, st, err := p.resumable(ctx, path, digest, size)
	if err != nil {
		return res, err
	}
	if sess != nil {
		res.UploadID, res.Method, res.Resumed = sess.UploadID, "multipart", true
		if sess.State == admincli.UploadCommitted {
			res.Parts = partCount(size, st.PartSize)
			return res, p.forget(path)
		}
		err := p.multipart(ctx, f, path, label, sess, st.PartSize, &res)
		if !sessionGone(err) {
			return res, err
		}
		// Expired or aborted under us (clocks differ, or someone aborted it).
		fmt.Fprintf(p.errOut, "%s: upload %s can no longer be resumed (%s); starting over\n", sanitize(path), sess.UploadID, sanitize(err.Error()))
		_ = removeState(path)
		res = pushResult{File: path, Digest: digest, Length: size}
	}

	sess, err = p.create(ctx, digest, size)
	if err != nil {
		return res, err
	}
	res.UploadID = sess.UploadID
	if sess.Linkable {
		res.Method = "linked"
		return res, p.finish(ctx, sess.UploadID, digest, size)
	}
	partSize, err := p.partSize(sess, size)
	if err != nil {
		p.abort(sess.UploadID)
		return res, err
	}
	if size < partSize && !p.opt.multipart {
		p.abort(sess.UploadID) // frees the session slot; the one-shot upload needs none
		res.Method, res.UploadID = "one-shot", ""
		return res, p.oneShot(ctx, f, label, digest, size)
	}
	res.Method = "multipart"
	st = &uploadState{Repo: p.repo, UploadID: sess.UploadID, Digest: digest, Size: size, PartSize: partSize}
	if err := writeState(path, st); err != nil {
		fmt.Fprintf(p.errOut, "warning: cannot save the resume state of %s (%v): an interrupted push will start over\n", sanitize(path), err)
	}
	return res, p.multipart(ctx, f, path, label, sess, partSize, &res)
}

// hash reads f once and returns its SHA-256 digest and length.
func (p *pusher) hash(ctx context.Context, f *os.File, label string) (string, int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	prog := p.progress.start(label+" (sha256)", "hashed", fi.Size(), 0, false)
	h := sha256.New()
	n, err := io.Copy(h, &counter{r: &ctxReader{ctx: ctx, r: io.NewSectionReader(f, 0, fi.Size())}, p: prog})
	if err != nil {
		prog.stop()
		return "", 0, err
	}
	prog.finish()
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), n, nil
}

// resumable returns the session of an interrupted push of these bytes, when
// its state file names one the server still holds open (or completed or
// committed), with the state. A state file of other bytes, or whose session
// is gone, is discarded (and its session aborted, if it is still open). An
// error reading the session (no answer, a 5xx, a refusal other than "not
// found") stops the push and keeps the state file for a later run.
func (p *pusher) resumable(ctx context.Context, path, digest string, size int64) (*admincli.UploadSession, *uploadState, error) {
	st, err := readState(path)
	if err != nil {
		fmt.Fprintf(p.errOut, "warning: ignoring the resume state of %s: %v\n", sanitize(path), err)
		_ = removeState(path)
		return nil, nil, nil
	}
	if st == nil {
		return nil, nil, nil
	}
	if !st.matches(p.repo, digest, size) {
		// The file changed, or goes elsewhere: the old session is of no use.
		if st.Repo != "" && st.UploadID != "" {
			p.abortIn(st.Repo, st.UploadID)
		}
		_ = removeState(path)
		return nil, nil, nil
	}
	var sess admincli.UploadSession
	_, err = p.client.Call(ctx, http.MethodGet, p.uploadPath(st.UploadID, ""), nil, nil, &sess)
	var ae *admincli.APIError
	switch {
	case errors.As(err, &ae) && ae.Code == "upload_not_found":
		fmt.Fprintf(p.errOut, "%s: upload %s is gone; starting over\n", sanitize(path), st.UploadID)
		_ = removeState(path)
		return nil, nil, nil
	case err != nil:
		return nil, nil, err
	}
	usable := sess.ExpectedDigest == digest &&
		(sess.State == admincli.UploadOpen && time.Now().Before(sess.ExpiresAt) ||
			sess.State == admincli.UploadCompleted ||
			sess.State == admincli.UploadCommitted && sess.Digest == digest)
	if !usable {
		fmt.Fprintf(p.errOut, "%s: upload %s is %s; starting over\n", sanitize(path), st.UploadID, stateWord(&sess))
		if sess.State == admincli.UploadOpen {
			p.abort(st.UploadID) // expired but not yet swept
		}
		_ = removeState(path)
		return nil, nil, nil
	}
	return &sess, st, nil
}

// sessionGone reports an error saying the session cannot take parts or be
// completed any more.
func sessionGone(err error) bool {
	var ae *admincli.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.Code {
	case "upload_expired", "upload_not_found", "upload_state_conflict":
		return true
	}
	return false
}

func stateWord(s *admincli.UploadSession) string {
	if s.State == admincli.UploadOpen {
		return "expired"
	}
	return s.State
}

// create opens a session declaring the file's digest and length.
func (p *pusher) create(ctx context.Context, digest string, size int64) (*admincli.UploadSession, error) {
	var sess admincli.UploadSession
	_, err := p.client.Call(ctx, http.MethodPost, admincli.Pathf("/v1/repos/%s/uploads", p.repo), nil,
		admincli.UploadRequest{ExpectedDigest: digest, ExpectedLength: &size}, &sess)
	if err != nil {
		return nil, err
	}
	return &sess, nil
}

// finish completes and commits a session, checking the server's digest
// and length against the file's. Both steps are idempotent on the server,
// so they are retried like parts. Completion assembles the whole blob and
// is not bounded by --timeout.
func (p *pusher) finish(ctx context.Context, id, digest string, size int64) error {
	var sess admincli.UploadSession
	err := retry(ctx, func() error {
		_, err := p.client.WithTimeout(0).Call(ctx, http.MethodPost, p.uploadPath(id, "/complete"), nil, nil, &sess)
		return err
	})
	if err != nil {
		return err
	}
	if err := retry(ctx, func() error {
		_, err := p.client.Call(ctx, http.MethodPost, p.uploadPath(id, "/commit"), nil, nil, &sess)
		return err
	}); err != nil {
		return err
	}
	if sess.State != admincli.UploadCommitted || sess.Digest != digest || sess.Length == nil || *sess.Length != size {
		return fmt.Errorf("upload %s ended %s with %s, want committed %s (%d bytes)", id, sess.State, sess.Digest, digest, size)
	}
	return nil
}

// forget removes the state file of a committed push.
func (p *pusher) forget(path string) error {
	if err := removeState(path); err != nil {
		fmt.Fprintf(p.errOut, "warning: %v\n", err)
	}
	return nil
}

func (p *pusher) hintResume(ctx context.Context, path string, have, total int, err error) {
	if _, serr := os.Stat(statePath(path)); serr != nil {
		return
	}
	var ae *admincli.APIError
	if errors.As(err, &ae) && ae.Status < 500 && ctx.Err() == nil {
		return // refused, not interrupted: a rerun would not help
	}
	fmt.Fprintf(p.errOut, "%s: stopped with %d of %d parts on the server; run the same command again to resume\n", sanitize(path), have, total)
}

// abort abandons a session of the repository, best effort.
func (p *pusher) abort(id string) { p.abortIn(p.repo, id) }

func (p *pusher) abortIn(repo, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _ = p.client.Call(ctx, http.MethodPost, admincli.Pathf("/v1/repos/%s/uploads/%s/abort", repo, id), nil, nil, nil)
}

// uploadPath is the path of session id, followed by suffix.
func (p *pusher) uploadPath(id, suffix string) string {
	return admincli.Pathf("/v1/repos/%s/uploads/%s", p.repo, id) + suffix
}
