package filestore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/artifortress/artifortress/internal/blob"
)

// writer writes a temporary file and renames it into staging on Commit.
type writer struct {
	f      *os.File
	dst    string
	name   string
	size   int64
	closed bool
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
	if w.closed {
		return blob.Info{}, errors.New("blob writer: already committed or cancelled")
	}
	w.closed = true
	tmp := w.f.Name()
	if err := w.f.Sync(); err != nil {
		w.f.Close()
		os.Remove(tmp)
		return blob.Info{}, fmt.Errorf("blob writer: sync: %w", err)
	}
	if err := w.f.Close(); err != nil {
		os.Remove(tmp)
		return blob.Info{}, fmt.Errorf("blob writer: close: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(w.dst), 0o700); err != nil {
		os.Remove(tmp)
		return blob.Info{}, err
	}
	if err := os.Rename(tmp, w.dst); err != nil {
		os.Remove(tmp)
		return blob.Info{}, fmt.Errorf("blob writer: %w", err)
	}
	if err := syncDir(filepath.Dir(w.dst)); err != nil {
		return blob.Info{}, err
	}
	fi, err := os.Stat(w.dst)
	if err != nil {
		return blob.Info{}, err
	}
	return stagedInfo(w.name, fi), nil
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
