package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/config"
	"github.com/artifortress/artifortress/internal/servertest"
	"github.com/artifortress/artifortress/internal/webhook"
)

type tombstoneResp struct {
	versionResp
	TombstonedAt    *time.Time
	TombstonedBy    string
	TombstoneReason string
	RestorableUntil *time.Time
}

// drainEvents runs the worker until no event is left.
func drainEvents(t *testing.T, env *servertest.Env) {
	t.Helper()
	for {
		n, err := env.Server.Worker().RunOnce(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// TestTombstoneAndRestore: deleting a published version tombstones it —
// gone from every reader's path at once, announced once as
// version.tombstoned (signed webhook, search drops it), audited — and an
// administrator restores it within the retention window.
func TestTombstoneAndRestore(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		var mu sync.Mutex
		var deliveries [][]byte
		var headers []http.Header
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			deliveries, headers = append(deliveries, body), append(headers, r.Header.Clone())
			mu.Unlock()
		}))
		defer receiver.Close()
		env := servertest.Start(t, b, func(c *config.Config) { c.OutboundAllow = "127.0.0.1" })
		env.CreateRepo(t, "gen", nil)
		admin := env.AdminToken
		var wh struct{ ID, Secret string }
		env.Must(t, 201, "POST", "/v1/webhooks", admin, map[string]any{
			"url": receiver.URL, "events": []string{"version.tombstoned"}, "repos": []string{"gen"},
		}).JSON(t, &wh)
		writer := env.Token(t, "ci", "repo:gen:promote")
		reader := env.Token(t, "reader", "repo:gen:read")
		v := publishGeneric(t, env, "gen", admin, "leaky", "1.0.0", map[string]string{"leaky.tar": "a secret slipped in"})
		publishGeneric(t, env, "gen", admin, "leaky", "1.0.1", map[string]string{"leaky.tar": "fixed"})
		drainEvents(t, env)
		base := "/v1/repos/gen/packages/versions/" + v.VersionID
		coords := "/v1/repos/gen/packages/leaky/versions/1.0.0"

		if r := env.Do(t, "DELETE", base, writer, nil); r.Status != 403 || r.ErrorCode() != "forbidden" {
			t.Fatalf("delete without admin: %d %s", r.Status, r.Body)
		}
		if r := env.Do(t, "DELETE", base+"?reason="+strings.Repeat("x", 1025), admin, nil); r.Status != 400 {
			t.Errorf("oversized reason: %d %s", r.Status, r.Body)
		}
		if n := countEventsOf(t, env, "version.tombstoned"); n != 0 {
			t.Fatalf("%d tombstone events before any tombstone", n)
		}
		var ts tombstoneResp
		env.Must(t, 200, "DELETE", base+"?reason=credentials+in+the+tarball", admin, nil).JSON(t, &ts)
		if ts.State != "tombstoned" || ts.Idempotent || ts.TombstonedBy != "admin" || ts.TombstoneReason != "credentials in the tarball" ||
			ts.TombstonedAt == nil || ts.RestorableUntil == nil || ts.RestorableUntil.Sub(*ts.TombstonedAt) != 30*24*time.Hour {
			t.Errorf("tombstoned version %+v", ts)
		}
		env.Must(t, 200, "DELETE", base, admin, nil).JSON(t, &ts)
		if !ts.Idempotent || ts.TombstoneReason != "credentials in the tarball" {
			t.Errorf("second delete %+v", ts)
		}
		if n := countEventsOf(t, env, "version.tombstoned"); n != 1 {
			t.Errorf("%d version.tombstoned events, want 1", n)
		}

		// Gone for readers on every path; administrators still see it.
		for _, path := range []string{base, coords, coords + "/files/leaky.tar"} {
			if r := env.Do(t, "GET", path, reader, nil); r.Status != 404 {
				t.Errorf("reader GET %s: %d %s", path, r.Status, r.Body)
			}
		}
		var list struct{ Items []versionResp }
		env.Must(t, 200, "GET", "/v1/repos/gen/packages/leaky/versions", reader, nil).JSON(t, &list)
		if len(list.Items) != 1 || list.Items[0].Version != "1.0.1" {
			t.Errorf("reader's version list %+v", list.Items)
		}
		env.Must(t, 200, "GET", base, admin, nil).JSON(t, &ts)
		if ts.State != "tombstoned" {
			t.Errorf("admin reads %+v", ts)
		}
		if r := env.Do(t, "POST", "/v1/repos/gen/packages/versions/drafts", admin, map[string]any{"name": "leaky", "version": "1.0.0"}); r.Status != 409 || r.ErrorCode() != "version_exists" {
			t.Errorf("a new draft over a tombstone: %d %s", r.Status, r.Body)
		}

		// The event reaches search and the webhook.
		drainEvents(t, env)
		var hits struct{ Items []struct{ Version string } }
		env.Must(t, 200, "GET", "/v1/search?q=leaky", reader, nil).JSON(t, &hits)
		if len(hits.Items) != 1 || hits.Items[0].Version != "1.0.1" {
			t.Errorf("search after the tombstone %+v", hits.Items)
		}
		mu.Lock()
		if len(deliveries) != 1 {
			t.Errorf("%d webhook deliveries, want 1", len(deliveries))
		} else {
			if err := webhook.Verify(wh.Secret, headers[0], deliveries[0], 5*time.Minute); err != nil {
				t.Errorf("signature: %v", err)
			}
			var ev struct {
				Type string
				Data map[string]any
			}
			if err := json.Unmarshal(deliveries[0], &ev); err != nil || ev.Type != "version.tombstoned" ||
				ev.Data["version"] != "1.0.0" || ev.Data["reason"] != "credentials in the tarball" || ev.Data["tombstonedBy"] != "admin" {
				t.Errorf("delivery %s (%v)", deliveries[0], err)
			}
		}
		mu.Unlock()

		// Restore: back for everyone, announced, audited.
		if r := env.Do(t, "POST", base+"/restore", writer, nil); r.Status != 403 {
			t.Errorf("restore without admin: %d %s", r.Status, r.Body)
		}
		var back tombstoneResp
		env.Must(t, 200, "POST", base+"/restore", admin, nil).JSON(t, &back)
		if back.State != "published" || back.Idempotent || back.TombstonedAt != nil || back.TombstonedBy != "" || back.RestorableUntil != nil {
			t.Errorf("restored %+v", back)
		}
		env.Must(t, 200, "POST", base+"/restore", admin, nil).JSON(t, &back)
		if !back.Idempotent {
			t.Errorf("second restore %+v", back)
		}
		if n := countEventsOf(t, env, "version.restored"); n != 1 {
			t.Errorf("%d version.restored events, want 1", n)
		}
		if got := string(env.Must(t, 200, "GET", coords+"/files/leaky.tar", reader, nil).Body); got != "a secret slipped in" {
			t.Errorf("file after restore %q", got)
		}
		var audit struct{ Items []struct{ Action string } }
		env.Must(t, 200, "GET", "/v1/audit?repo=gen", admin, nil).JSON(t, &audit)
		var actions []string
		for _, it := range audit.Items {
			if strings.HasPrefix(it.Action, "version.tombstone") || strings.HasPrefix(it.Action, "version.restore") {
				actions = append(actions, it.Action)
			}
		}
		if strings.Join(actions, ",") != "version.restore,version.tombstone" {
			t.Errorf("audit actions %v", actions)
		}
		drainEvents(t, env)
		env.Must(t, 200, "GET", "/v1/search?q=leaky", reader, nil).JSON(t, &hits)
		if len(hits.Items) != 2 {
			t.Errorf("search after the restore %+v", hits.Items)
		}
	})
}

// TestDeleteDiscardsADraft: a draft is not tombstoned but discarded, by a
// writer, with no event.
func TestDeleteDiscardsADraft(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b)
		env.CreateRepo(t, "gen", nil)
		writer := env.Token(t, "ci", "repo:gen:write")
		id := draftAs(t, env, "gen", writer, "wip", "0.1.0", nil, map[string]string{"f": "unfinished"})
		env.Must(t, 204, "DELETE", "/v1/repos/gen/packages/versions/"+id, writer, nil)
		if r := env.Do(t, "GET", "/v1/repos/gen/packages/versions/"+id, writer, nil); r.Status != 404 {
			t.Errorf("discarded draft: %d %s", r.Status, r.Body)
		}
		if r := env.Do(t, "DELETE", "/v1/repos/gen/packages/versions/"+id, writer, nil); r.Status != 404 || r.ErrorCode() != "version_not_found" {
			t.Errorf("deleting it again: %d %s", r.Status, r.Body)
		}
		if r := env.Do(t, "POST", "/v1/repos/gen/packages/versions/"+id+"/restore", env.AdminToken, nil); r.Status != 404 {
			t.Errorf("restoring a discarded draft: %d %s", r.Status, r.Body)
		}
		if n := countEventsOf(t, env, "version.tombstoned"); n != 0 {
			t.Errorf("%d tombstone events for a draft", n)
		}
	})
}

// TestRestoreAfterRetention: past the retention window a tombstone is
// final; the answer says until when it could have been restored.
func TestRestoreAfterRetention(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b, func(c *config.Config) { c.TombstoneRetention = 0 })
		env.CreateRepo(t, "gen", nil)
		v := publishGeneric(t, env, "gen", env.AdminToken, "old", "1.0.0", map[string]string{"f": "old bytes"})
		env.Must(t, 200, "DELETE", "/v1/repos/gen/packages/versions/"+v.VersionID, env.AdminToken, nil)
		time.Sleep(2 * time.Millisecond)
		r := env.Do(t, "POST", "/v1/repos/gen/packages/versions/"+v.VersionID+"/restore", env.AdminToken, nil)
		if r.Status != 409 || r.ErrorCode() != "retention_expired" || !strings.Contains(string(r.Body), "restorableUntil") {
			t.Errorf("restore past retention: %d %s", r.Status, r.Body)
		}
		var still versionResp
		env.Must(t, 200, "GET", "/v1/repos/gen/packages/versions/"+v.VersionID, env.AdminToken, nil).JSON(t, &still)
		if still.State != "tombstoned" {
			t.Errorf("after a refused restore %+v", still)
		}
	})
}
