package transfercli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// stateSuffix names the resume state file of a push: "<file>.afupload".
const stateSuffix = ".afupload"

// uploadState is the resume state of a multipart push, kept beside the file
// while its session is unfinished. A later push of the same file (same
// digest and size) to the same repository continues the session.
type uploadState struct {
	Repo     string `json:"repo"`
	UploadID string `json:"uploadId"`
	Digest   string `json:"digest"`
	Size     int64  `json:"size"`
	PartSize int64  `json:"partSize"`
}

func statePath(file string) string { return file + stateSuffix }

// matches reports whether the state belongs to a push of these bytes to repo.
func (s *uploadState) matches(repo, digest string, size int64) bool {
	return s.Repo == repo && s.Digest == digest && s.Size == size && s.UploadID != "" && s.PartSize > 0
}

// readState returns the state saved for file, or nil when there is none or
// it is unreadable (a push then starts over).
func readState(file string) (*uploadState, error) {
	raw, err := os.ReadFile(statePath(file))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var s uploadState
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("%s is not a push state file: %w", statePath(file), err)
	}
	return &s, nil
}

// writeState saves the state for file atomically, readable by its owner
// only (mode 0600): a temporary file in the same directory, synced, then
// renamed over the state file.
func writeState(file string, s *uploadState) error {
	raw, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	path := statePath(file)
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	_, err = tmp.Write(append(raw, '\n'))
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// removeState deletes the state file of file; a missing one is fine.
func removeState(file string) error {
	err := os.Remove(statePath(file))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
