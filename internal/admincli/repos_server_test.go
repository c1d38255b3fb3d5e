package admincli

import (
	"testing"

	"github.com/artifortress/artifortress/internal/servertest"
)

// TestRepoSettingsAgainstServer sets every repository setting through
// `repos create` and `repos update` against a real server and checks what the
// server stored and enforces.
func TestRepoSettingsAgainstServer(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b)
		h := newPolicyHarness(t, env)
		stored := func() repoSettings {
			t.Helper()
			var r repository
			env.Must(t, 200, "GET", "/v1/repos/files", env.AdminToken, nil).JSON(t, &r)
			return r.Settings
		}

		var created repository
		h.okJSON(&created, "repos", "create", "files", "--type", "local", "--format", "generic",
			"--anonymous-read", "--max-blob-bytes", "4", "--max-upload-sessions", "3", "--redirect-downloads")
		want := repoSettings{AnonymousRead: true, MaxBlobBytes: 4, MaxUploadSessions: 3, RedirectDownloads: true}
		if created.Settings != want || stored() != want {
			t.Fatalf("create: printed %+v, stored %+v, want %+v", created.Settings, stored(), want)
		}
		if r := env.Do(t, "GET", "/v1/repos/files", "", nil); r.Status != 200 {
			t.Errorf("anonymous read of an --anonymous-read repository: %d %s", r.Status, r.Body)
		}
		if r := env.Do(t, "PUT", "/v1/repos/files/blobs", env.AdminToken, "12345678"); r.Status != 413 || r.ErrorCode() != "blob_too_large" {
			t.Errorf("8 bytes into a repository of --max-blob-bytes 4: %d %s", r.Status, r.Body)
		}

		h.ok("repos", "update", "files", "--max-upload-sessions", "16")
		want.MaxUploadSessions = 16
		if got := stored(); got != want {
			t.Errorf("updating one setting: stored %+v, want %+v (the others kept)", got, want)
		}
		h.ok("repos", "update", "files", "--anonymous-read=false", "--max-blob-bytes", "0", "--redirect-downloads=false")
		want = repoSettings{MaxUploadSessions: 16}
		if got := stored(); got != want {
			t.Errorf("turning settings off: stored %+v, want %+v", got, want)
		}
		h.has(h.ok("repos", "get", "files"), "Anonymous read:       false\n", "Max blob bytes:       0 (the server's --max-blob-bytes)\n",
			"Max upload sessions:  16\n", "Redirect downloads:   false\n")

		for _, c := range []struct {
			field string
			args  []string
		}{
			{"settings.maxBlobBytes", []string{"repos", "update", "files", "--max-blob-bytes", "-1"}},
			{"settings.maxUploadSessions", []string{"repos", "create", "other", "--type", "local", "--format", "generic", "--max-upload-sessions", "-1"}},
		} {
			h.fails(1, c.field, c.args...)
		}
		if got := stored(); got != want {
			t.Errorf("a refused update changed the settings: %+v", got)
		}
		env.Must(t, 404, "GET", "/v1/repos/other", env.AdminToken, nil)
	})
}
