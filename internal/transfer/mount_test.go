package transfer_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/config"
	"github.com/artifortress/artifortress/internal/servertest"
)

func TestMount(t *testing.T) {
	servertest.ForEachStack(t, func(t *testing.T, b servertest.Backend, opt func(*config.Config)) {
		s := newStack(t, b, opt)
		for _, k := range []string{"base", "app", "other"} {
			s.env.CreateRepo(t, k, map[string]any{"format": "oci"})
		}
		ctx := t.Context()
		data := randomBytes(12, 4000)
		cs := s.create(t, admin, "base")
		if _, err := s.svc.FinishChunked(ctx, admin, "base", cs.ID, sha256Of(data), bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		s.checksums(t, sha256Of(data)) // its SHA-512, for the mount by sha512: below
		reader := caller(t, "dev", "repo:app:write", "repo:base:read")
		stranger := caller(t, "stranger", "repo:app:write", "repo:other:read")

		refused := []struct {
			name, from string
			who        *auth.Principal
		}{
			{"source not readable", "base", stranger},
			{"source does not exist", "nosuchrepo", stranger},
			{"source without the blob", "other", stranger},
			{"no source, readable nowhere", "", stranger},
		}
		for _, c := range refused {
			blb, mounted, err := s.svc.Mount(ctx, c.who, "app", sha256Of(data), c.from)
			if err != nil || mounted || blb.Digest != "" {
				t.Errorf("%s: %+v %v %v, want not mounted and no error", c.name, blb, mounted, err)
			}
		}
		if _, err := s.svc.Lookup(ctx, admin, "app", sha256Of(data)); code(err) != "blob_not_found" {
			t.Fatalf("refused mounts linked the blob: %v", err)
		}
		if _, mounted, err := s.svc.Mount(ctx, reader, "app", sha512Of(randomBytes(13, 10)), "base"); err != nil || mounted {
			t.Errorf("unknown digest: %v %v", mounted, err)
		}

		for _, c := range []struct{ digest, from string }{{sha256Of(data), "base"}, {sha512Of(data), ""}} {
			blb, mounted, err := s.svc.Mount(ctx, reader, "app", c.digest, c.from)
			if err != nil || !mounted || blb.Digest != sha256Of(data) {
				t.Fatalf("mount %s from %q: %+v %v %v", c.digest[:6], c.from, blb, mounted, err)
			}
			if got := s.content(t, "app", blb.Digest); !bytes.Equal(got, data) {
				t.Error("mounted blob differs")
			}
		}

		// The target needs write.
		_, _, err := s.svc.Mount(ctx, caller(t, "ro", "repo:app:read", "repo:base:read"), "app", sha256Of(data), "base")
		wantCode(t, err, "forbidden", http.StatusForbidden, "mount without write on the target")
		_, _, err = s.svc.Mount(ctx, reader, "app", "sha256:nothex", "base")
		wantCode(t, err, "digest_invalid", http.StatusBadRequest, "malformed digest")
	})
}

// TestMountHonoursQuarantine: a blob that only a quarantined version of the
// source ships is not readable there, so it cannot be mounted from there
// either, named or found: a mount must not carry it past the lane into a
// repository where nothing holds it back (invariant 7).
func TestMountHonoursQuarantine(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		s := newStack(t, b, func(*config.Config) {})
		env := s.env
		env.CreateRepo(t, "gen", nil)
		env.CreateRepo(t, "app", map[string]any{"format": "oci"})
		env.Must(t, http.StatusCreated, "POST", "/v1/policies", env.AdminToken, map[string]any{
			"name": "needs-team", "expression": "'team' in version.labels", "action": "quarantine", "message": "label the version",
		})
		held := []byte("bytes only a held version ships")
		var v struct {
			VersionID string `json:"versionId"`
		}
		env.Must(t, http.StatusCreated, "POST", "/v1/repos/gen/packages/versions/drafts", env.AdminToken, map[string]any{"name": "tool", "version": "1.0.0"}).JSON(t, &v)
		env.Must(t, http.StatusCreated, "PUT", "/v1/repos/gen/blobs", env.AdminToken, held)
		base := "/v1/repos/gen/packages/versions/" + v.VersionID
		env.Must(t, http.StatusOK, "POST", base+"/entries", env.AdminToken, map[string]any{"entries": []map[string]any{{"path": "held.bin", "digest": sha256Of(held)}}})
		env.Must(t, http.StatusOK, "PUT", base+"/manifest", env.AdminToken, map[string]any{"name": "tool", "version": "1.0.0"})
		env.Must(t, http.StatusOK, "POST", base+"/publish", env.AdminToken, nil)

		dev := caller(t, "dev", "repo:app:write", "repo:gen:read")
		_, err := s.svc.Lookup(t.Context(), dev, "gen", sha256Of(held))
		wantCode(t, err, "quarantined", http.StatusLocked, "the held blob in its own repository")
		for _, from := range []string{"gen", ""} {
			blb, mounted, err := s.svc.Mount(t.Context(), dev, "app", sha256Of(held), from)
			if err != nil || mounted {
				t.Errorf("mount of a quarantined blob from %q: %+v %v %v", from, blb, mounted, err)
			}
		}
		cs := s.create(t, dev, "app")
		_, err = s.svc.FinishChunked(t.Context(), dev, "app", cs.ID, sha256Of(held), bytes.NewReader(nil))
		wantCode(t, err, "digest_invalid", http.StatusBadRequest, "finish by linking a quarantined blob")
	})
}
