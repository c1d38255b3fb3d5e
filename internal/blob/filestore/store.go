package filestore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/artifortress/artifortress/internal/blob"
)

// Store is a blob.Store on a local directory.
type Store struct {
	root string
}

var (
	_ blob.Store      = (*Store)(nil)
	_ blob.FileOpener = (*Store)(nil)
)

// New opens (creating if needed) a store rooted at dir.
func New(dir string) (*Store, error) {
	s := &Store{root: dir}
	for _, d := range []string{s.blobDir(), s.stagingDir(), s.tmpDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("blob store: %w", err)
		}
	}
	return s, nil
}

func (s *Store) blobDir() string    { return filepath.Join(s.root, "sha256") }
func (s *Store) stagingDir() string { return filepath.Join(s.root, "staging") }
func (s *Store) tmpDir() string     { return filepath.Join(s.root, "tmp") }

func (s *Store) blobPath(d blob.Digest) (string, error) {
	if _, err := blob.ParseDigest(string(d)); err != nil {
		return "", err
	}
	h := d.Hex()
	return filepath.Join(s.blobDir(), h[:2], h), nil
}

func (s *Store) stagedPath(name string) (string, error) {
	if err := blob.ValidName(name); err != nil {
		return "", err
	}
	return filepath.Join(s.stagingDir(), filepath.FromSlash(name)), nil
}

// NewWriter implements blob.Store.
func (s *Store) NewWriter(_ context.Context, name string) (blob.Writer, error) {
	dst, err := s.stagedPath(name)
	if err != nil {
		return nil, err
	}
	f, err := s.createTemp("w-*")
	if err != nil {
		return nil, fmt.Errorf("blob store: %w", err)
	}
	return &writer{store: s, f: f, dst: dst, name: name, stagingDir: s.stagingDir()}, nil
}

// OpenStaged implements blob.Store.
func (s *Store) OpenStaged(_ context.Context, name string) (io.ReadCloser, error) {
	p, err := s.stagedPath(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, blob.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		// A directory holding other staged objects is not an object.
		f.Close()
		if err != nil {
			return nil, err
		}
		return nil, blob.ErrNotFound
	}
	return f, nil
}

// ListStaged implements blob.Store.
func (s *Store) ListStaged(ctx context.Context, prefix string, fn func(blob.Info) error) error {
	root := s.stagingDir()
	return filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel := filepath.ToSlash(strings.TrimPrefix(p, root+string(filepath.Separator)))
		if e.IsDir() {
			// Skip subtrees that cannot match the prefix.
			if p != root && !strings.HasPrefix(rel+"/", prefix) && !strings.HasPrefix(prefix, rel+"/") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasPrefix(rel, prefix) {
			return nil
		}
		fi, err := e.Info()
		if err != nil {
			return nil // removed meanwhile
		}
		return fn(stagedInfo(rel, fi))
	})
}

func stagedInfo(name string, fi fs.FileInfo) blob.Info {
	return blob.Info{
		Name: name, Size: fi.Size(), ModTime: fi.ModTime().UTC(),
		ETag: fmt.Sprintf("%x-%x", fi.ModTime().UnixNano(), fi.Size()),
	}
}

// DeleteStaged implements blob.Store.
func (s *Store) DeleteStaged(ctx context.Context, prefix string) error {
	var names []string
	if err := s.ListStaged(ctx, prefix, func(i blob.Info) error {
		names = append(names, i.Name)
		return nil
	}); err != nil {
		return err
	}
	dirs := map[string]bool{}
	for _, n := range names {
		p := filepath.Join(s.stagingDir(), filepath.FromSlash(n))
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		for d := filepath.Dir(p); d != s.stagingDir() && strings.HasPrefix(d, s.stagingDir()); d = filepath.Dir(d) {
			dirs[d] = true
		}
	}
	// The prefix itself may name a directory ("uploads/<id>/") whose files
	// were moved away (promoted); it goes too when empty.
	if p := strings.TrimSuffix(prefix, "/"); p != "" && blob.ValidName(p) == nil {
		for d := filepath.Join(s.stagingDir(), filepath.FromSlash(p)); d != s.stagingDir(); d = filepath.Dir(d) {
			dirs[d] = true
		}
	}
	// Remove directories left empty, deepest first; non-empty ones stay.
	for len(dirs) > 0 {
		deepest := ""
		for d := range dirs {
			if len(d) > len(deepest) {
				deepest = d
			}
		}
		delete(dirs, deepest)
		_ = os.Remove(deepest)
	}
	return nil
}

// Promote implements blob.Store.
func (s *Store) Promote(_ context.Context, name string, d blob.Digest) error {
	src, err := s.stagedPath(name)
	if err != nil {
		return err
	}
	dst, err := s.blobPath(d)
	if err != nil {
		return err
	}
	if fi, err := os.Lstat(src); errors.Is(err, fs.ErrNotExist) || err == nil && !fi.Mode().IsRegular() {
		// Gone (or a directory of other staged objects, which is no
		// object).
		return promoted(dst)
	}
	err = s.place(src, d)
	if errors.Is(err, fs.ErrNotExist) {
		// A concurrent Promote of the same name moved it first.
		return promoted(dst)
	}
	return err
}

// place moves file src, complete and fsynced, to blob d's path, read-only,
// and fsyncs the directory, so that the blob survives a crash once place
// returns. When blob d exists already, src is removed instead (dedupe).
func (s *Store) place(src string, d blob.Digest) error {
	dst, err := s.blobPath(d)
	if err != nil {
		return err
	}
	if _, err := os.Stat(dst); err == nil {
		if err := os.Remove(src); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	if err := os.Chmod(src, 0o400); err != nil {
		return err
	}
	if err := mkdirAll(s.blobDir(), filepath.Dir(dst)); err != nil {
		return err
	}
	if err := os.Rename(src, dst); err != nil {
		return fmt.Errorf("promote %s: %w", d, err)
	}
	return syncDir(filepath.Dir(dst))
}

// promoted is the outcome of a Promote whose staged object is gone: success
// when the blob exists (a retry, or a concurrent Promote that won), else
// blob.ErrNotFound.
func promoted(dst string) error {
	_, err := os.Stat(dst)
	if errors.Is(err, fs.ErrNotExist) {
		return blob.ErrNotFound
	}
	return err
}

// Open implements blob.Store.
func (s *Store) Open(ctx context.Context, d blob.Digest, offset, length int64) (io.ReadCloser, error) {
	if offset < 0 {
		return nil, fmt.Errorf("blob store: negative offset %d", offset)
	}
	f, err := s.OpenFile(ctx, d)
	if err != nil {
		return nil, err
	}
	if offset > 0 {
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			f.Close()
			return nil, err
		}
	}
	if length < 0 {
		return f, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(f, length), f}, nil
}

// OpenFile implements blob.FileOpener.
func (s *Store) OpenFile(_ context.Context, d blob.Digest) (*os.File, error) {
	p, err := s.blobPath(d)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, blob.ErrNotFound
	}
	return f, err
}

// Stat implements blob.Store.
func (s *Store) Stat(_ context.Context, d blob.Digest) (blob.Info, error) {
	p, err := s.blobPath(d)
	if err != nil {
		return blob.Info{}, err
	}
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return blob.Info{}, blob.ErrNotFound
	}
	if err != nil {
		return blob.Info{}, err
	}
	return blob.Info{Digest: d, Size: fi.Size(), ModTime: fi.ModTime().UTC()}, nil
}

// Delete implements blob.Store.
func (s *Store) Delete(_ context.Context, d blob.Digest) error {
	p, err := s.blobPath(d)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// List implements blob.Store.
func (s *Store) List(ctx context.Context, fn func(blob.Info) error) error {
	return filepath.WalkDir(s.blobDir(), func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.IsDir() {
			return nil
		}
		d, perr := blob.ParseDigest(blob.SHA256Prefix + e.Name())
		if perr != nil {
			return nil // not a blob (stray file)
		}
		fi, err := e.Info()
		if err != nil {
			return nil
		}
		return fn(blob.Info{Digest: d, Size: fi.Size(), ModTime: fi.ModTime().UTC()})
	})
}

// Ping implements blob.Store: it writes, syncs and removes a probe file, so
// a full or read-only disk fails.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := s.createTemp("ping-*")
	if err != nil {
		return fmt.Errorf("blob directory not writable: %w", err)
	}
	_, werr := f.Write([]byte("ok"))
	serr := f.Sync()
	cerr := f.Close()
	rerr := os.Remove(f.Name())
	return errors.Join(werr, serr, cerr, rerr)
}

// createTemp creates a temporary file in tmp/, recreating the directory if
// an operator removed it.
func (s *Store) createTemp(pattern string) (*os.File, error) {
	f, err := os.CreateTemp(s.tmpDir(), pattern)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(s.tmpDir(), 0o700); err != nil {
			return nil, err
		}
		f, err = os.CreateTemp(s.tmpDir(), pattern)
	}
	return f, err
}

// CleanTmp removes temporary files older than cutoff: writes abandoned by a
// crash. It returns how many it removed.
func (s *Store) CleanTmp(cutoff time.Time) (int, error) {
	entries, err := os.ReadDir(s.tmpDir())
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil || !fi.ModTime().Before(cutoff) {
			continue
		}
		if os.Remove(filepath.Join(s.tmpDir(), e.Name())) == nil {
			n++
		}
	}
	return n, nil
}
