package filestore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/artifortress/artifortress/internal/blob"
)

// writer writes a temporary file and renames it into staging on Commit,
// or straight to its blob path on CommitBlob.
type writer struct {
	store      *Store
	f          *os.File
	dst        string
	name       string
	stagingDir string
	size       int64
	closed     bool
}

func (w *writer) Write(p []byte) (int, error) {
	if w.closed {
		return 0, errors.New("blob writer: write after commit or cancel")
	}
	n, err := w.f.Write(p)
	w.size += int64(n)
	return n, err
}

func (w *writer) Size() int64 { return w.size }

// Commit fsyncs the file, renames it to its staged name and fsyncs the
// directory, so the staged object survives a crash once Commit returns.
func (w *writer) Commit(context.Context) (blob.Info, error) {
	fi, err := w.finish()
	if err != nil {
		return blob.Info{}, err
	}
	tmp := w.f.Name()
	// A concurrent DeleteStaged may remove a directory on the way between
	// mkdirAll and Rename, when it empties it; try again then.
	for attempt := 1; ; attempt++ {
		err := mkdirAll(w.stagingDir, filepath.Dir(w.dst))
		if err == nil {
			err = os.Rename(tmp, w.dst)
		}
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) || attempt == 10 {
			os.Remove(tmp)
			return blob.Info{}, fmt.Errorf("blob writer: %w", err)
		}
	}
	if err := syncDir(filepath.Dir(w.dst)); err != nil {
		return blob.Info{}, err
	}
	return stagedInfo(w.name, fi), nil
}

// CommitBlob implements blob.BlobCommitter: the fsynced file is renamed
// straight to blob d's path (or dropped when blob d exists), with no
// staged name in between; a crash leaves either no blob or the whole one.
func (w *writer) CommitBlob(_ context.Context, d blob.Digest) error {
	if _, err := w.finish(); err != nil {
		return err
	}
	if err := w.store.place(w.f.Name(), d); err != nil {
		os.Remove(w.f.Name())
		return fmt.Errorf("blob writer: %w", err)
	}
	return nil
}

// finish ends writing: the file is fsynced and closed, or removed when
// that fails.
func (w *writer) finish() (fs.FileInfo, error) {
	if w.closed {
		return nil, errors.New("blob writer: already committed or cancelled")
	}
	w.closed = true
	tmp := w.f.Name()
	if err := w.f.Sync(); err != nil {
		w.f.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("blob writer: sync: %w", err)
	}
	fi, err := w.f.Stat()
	if err != nil {
		w.f.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("blob writer: %w", err)
	}
	if err := w.f.Close(); err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("blob writer: close: %w", err)
	}
	return fi, nil
}

// Cancel removes the temporary file; after Commit it does nothing.
func (w *writer) Cancel(context.Context) error {
	if w.closed {
		return nil
	}
	w.closed = true
	w.f.Close()
	return os.Remove(w.f.Name())
}

// mkdirAll creates dir and any missing parents below root (which exists),
// fsyncing the parent of each directory it creates so that the new entry
// survives a crash.
func mkdirAll(root, dir string) error {
	if dir == root || !strings.HasPrefix(dir, root+string(filepath.Separator)) {
		return nil
	}
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return nil
	}
	parent := filepath.Dir(dir)
	if err := mkdirAll(root, parent); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil
		}
		return err
	}
	return syncDir(parent)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
