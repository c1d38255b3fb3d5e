package admincli

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/config"
	"github.com/artifortress/artifortress/internal/servertest"
	"github.com/artifortress/artifortress/internal/webhook"
)

// hookReceiver is a webhook receiver answering status, recording what it
// receives.
type hookReceiver struct {
	srv    *httptest.Server
	status atomic.Int32

	mu       sync.Mutex
	received []receivedHook
}

type receivedHook struct {
	header http.Header
	body   []byte
}

func newHookReceiver(t *testing.T, status int) *hookReceiver {
	h := &hookReceiver{}
	h.status.Store(int32(status))
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.received = append(h.received, receivedHook{r.Header.Clone(), body})
		h.mu.Unlock()
		code := int(h.status.Load())
		w.WriteHeader(code)
		if code >= 300 {
			io.WriteString(w, "boom")
		}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) all() []receivedHook {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]receivedHook(nil), h.received...)
}

// publishGenericVersion publishes a generic version with one file through
// the API, as the administrator.
func publishGenericVersion(t *testing.T, env *servertest.Env, repo, name, version, content string) {
	t.Helper()
	var v struct {
		VersionID string `json:"versionId"`
	}
	env.Must(t, 201, "POST", "/v1/repos/"+repo+"/packages/versions/drafts", env.AdminToken, map[string]any{"name": name, "version": version}).JSON(t, &v)
	env.Must(t, 201, "PUT", "/v1/repos/"+repo+"/blobs", env.AdminToken, content)
	base := "/v1/repos/" + repo + "/packages/versions/" + v.VersionID
	env.Must(t, 200, "POST", base+"/entries", env.AdminToken, map[string]any{"entries": []map[string]any{{"path": "bin", "digest": sha256Digest(content)}}})
	env.Must(t, 200, "PUT", base+"/manifest", env.AdminToken, map[string]any{"name": name, "version": version, "description": "a tool to search for"})
	env.Must(t, 200, "POST", base+"/publish", env.AdminToken, nil)
}

// rowOf returns the fields of the first line of a table that has all the
// given fields, or nil.
func rowOf(out string, fields ...string) []string {
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		found := 0
		for _, want := range fields {
			for _, got := range f {
				if got == want {
					found++
					break
				}
			}
		}
		if found == len(fields) {
			return f
		}
	}
	return nil
}

// The search, events and webhooks commands against a real server: a publish
// reaches the search index and a webhook through the event worker; dead
// letters are replayed, deliveries redelivered, and secrets rotated.
func TestEventsSearchWebhooksAgainstRealServer(t *testing.T) {
	receiver := newHookReceiver(t, http.StatusInternalServerError)
	env := servertest.Start(t, servertest.Backends()[0], func(c *config.Config) { c.OutboundAllow = "127.0.0.1" })
	env.CreateRepo(t, "gen", nil)
	env.CreateRepo(t, "other", nil)
	vars := map[string]string{envURL: env.URL, envToken: env.AdminToken}
	reader := env.Token(t, "reader", "repo:gen:read")
	run := func(args ...string) result {
		t.Helper()
		return runCommand(t, vars, args...)
	}
	ok := func(args ...string) string {
		t.Helper()
		res := run(args...)
		if res.code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, res.code, res.stdout, res.stderr)
		}
		return res.stdout
	}
	okJSON := func(v any, args ...string) {
		t.Helper()
		if err := json.Unmarshal([]byte(ok(append(args, "-o", "json")...)), v); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	fails := func(code int, errHas string, args ...string) result {
		t.Helper()
		res := run(args...)
		if res.code != code || !strings.Contains(res.stderr, errHas) || strings.Count(res.stderr, "error:") != 1 {
			t.Errorf("%v: exit %d, want %d; stderr lacks %q or reports more than one error:\n%s", args, res.code, code, errHas, res.stderr)
		}
		return res
	}
	as := func(token string, fn func()) {
		t.Helper()
		vars[envToken] = token
		defer func() { vars[envToken] = env.AdminToken }()
		fn()
	}
	has := func(out string, want ...string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("output lacks %q:\n%s", w, out)
			}
		}
	}
	drain := func() {
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

	// A webhook on gen, with a generated secret; another on other, disabled.
	var hook webhookInfo
	okJSON(&hook, "webhooks", "create", "--url", receiver.srv.URL+"/hook", "--event", "version.published", "--repo", "gen")
	if !strings.HasPrefix(hook.ID, "wh_") || !strings.HasPrefix(hook.Secret, "whsec_") || !hook.Enabled || hook.SecretMask != "whsec_****"+hook.Secret[len(hook.Secret)-4:] {
		t.Fatalf("created %+v", hook)
	}
	secretFile := filepath.Join(t.TempDir(), "other.secret")
	if err := os.WriteFile(secretFile, []byte("a shared secret, long enough: 0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res := run("webhooks", "create", "--url", receiver.srv.URL+"/other", "--event", "version.published", "--event", "tag.updated",
		"--repo", "other", "--secret-file", secretFile, "--disabled")
	if res.code != 0 || strings.Contains(res.stdout, "0123456789\n") || strings.Contains(res.stderr, "shown only once") {
		t.Fatalf("create with a secret file: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	has(res.stdout, "Events:      tag.updated,version.published\n", "Repos:       other\n", "Enabled:     false\n", "Secret:      ****6789\n")
	other := rowOf(res.stdout, "ID:")[1]
	fails(1, "error: bad_request: url: ", "webhooks", "create", "--url", "http://10.0.0.1/hook", "--event", "version.published")
	fails(1, `error: bad_request: events[0]: unknown event type "version.deleted"`, "webhooks", "create", "--url", receiver.srv.URL, "--event", "version.deleted")
	fails(2, "--url is required", "webhooks", "create", "--event", "version.published")

	publishGenericVersion(t, env, "gen", "searchable-tool", "2.1.0", "binary bytes")
	publishGenericVersion(t, env, "other", "other-tool", "1.0.0", "other bytes")
	drain()

	t.Run("search", func(t *testing.T) {
		out := ok("search", "searchable")
		if row := rowOf(out, "searchable-tool"); len(row) < 6 || row[0] != "gen" || row[2] != "2.1.0" || row[3] != "generic" || !strings.Contains(out, "a tool to search for\n") {
			t.Errorf("search searchable:\n%s", out)
		}
		var page struct {
			Items      []searchHit `json:"items"`
			NextCursor string      `json:"nextCursor"`
		}
		okJSON(&page, "search", "tool")
		if len(page.Items) != 2 || page.NextCursor != "" {
			t.Errorf("search tool: %+v", page)
		}
		okJSON(&page, "search", "tool", "--repo", "gen")
		if len(page.Items) != 1 || page.Items[0].Package != "searchable-tool" || page.Items[0].PublishedBy != "admin" || !strings.HasPrefix(page.Items[0].VersionID, "ver_") {
			t.Errorf("search tool --repo gen: %+v", page.Items)
		}
		okJSON(&page, "search", "--format", "generic", "--limit", "1", "--all")
		if len(page.Items) != 2 || page.Items[0].VersionID == page.Items[1].VersionID {
			t.Errorf("search --all: %+v", page.Items)
		}
		res := run("search", "tool", "--limit", "1")
		if res.code != 0 || strings.Count(res.stdout, "\n") != 2 || !strings.Contains(res.stderr, "More hits: add --cursor ") {
			t.Errorf("one page: exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
		if out := ok("search", "nothing-matches-this"); out != "REPO  PACKAGE  VERSION  FORMAT  PUBLISHED  DESCRIPTION\n" {
			t.Errorf("no hits: %q", out)
		}
		fails(1, "error: not_found", "search", "tool", "--repo", "nope")
		fails(1, `error: bad_request: format: unknown format "bogus" (field=format)`, "search", "tool", "--format", "bogus")
		fails(2, "invalid --limit 0", "search", "tool", "--limit", "0")
		as(reader, func() {
			okJSON(&page, "search", "tool")
			if len(page.Items) != 1 || page.Items[0].Repo != "gen" {
				t.Errorf("a reader of gen found %+v", page.Items)
			}
			fails(1, "error: forbidden", "search", "status")
			fails(1, "error: forbidden", "search", "rebuild")
		})
	})

	t.Run("search index", func(t *testing.T) {
		has(ok("search", "status"), "State:             idle\n", "Healthy:           true\n", "Versions indexed:  2\n", "Behind:            up to date\n")
		res := run("search", "rebuild")
		if res.code != 0 || !strings.Contains(res.stdout, "State:             running\n") || !strings.Contains(res.stdout, "Rebuild progress:  0 of 2 versions (0%)\n") || !strings.Contains(res.stderr, "Rebuild started") {
			t.Fatalf("rebuild: exit %d\n%s%s", res.code, res.stdout, res.stderr)
		}
		fails(1, "error: search_rebuild_in_progress: a rebuild is already running (0 of 2 versions indexed); pause, resume or wait for it (state=running)", "search", "rebuild")
		has(ok("search", "pause"), "State:             paused\n")
		has(ok("search", "pause"), "State:             paused\n")
		var st searchStatus
		okJSON(&st, "search", "status")
		if st.State != "paused" || st.Total != 2 || st.Rows != 2 || !st.Healthy || st.StartedAt == "" || st.FinishedAt != "" {
			t.Errorf("status while paused: %+v", st)
		}
		if more, err := env.Server.SearchStep(t.Context()); err != nil || more {
			t.Fatalf("a paused rebuild stepped: %v %v", more, err)
		}
		has(ok("search", "resume"), "State:             running\n")
		for range 100 {
			more, err := env.Server.SearchStep(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if !more {
				break
			}
		}
		out := ok("search", "status")
		has(out, "State:             idle\n", "Rebuild progress:  2 of 2 versions (100%)\n", "Versions indexed:  2\n")
		if strings.Contains(out, "Rebuild finished:  -") {
			t.Errorf("no finish time:\n%s", out)
		}
		fails(1, "error: search_rebuild_not_running: no rebuild is running or paused; start one first (state=idle)", "search", "pause")
		fails(1, "error: search_rebuild_not_running", "search", "resume")
		fails(2, `unexpected argument "now"`, "search", "status", "now")
	})

	var eventID int64
	t.Run("events", func(t *testing.T) {
		stats := ok("events", "stats")
		if row := rowOf(stats, "search"); len(row) != 5 || row[1] != "0" || row[2] != "0" || row[3] != "0" || row[4] != "-" {
			t.Errorf("search stats:\n%s", stats)
		}
		if row := rowOf(stats, "webhooks"); len(row) != 5 || row[1] != "1" || row[2] != "1" || row[3] != "0" || row[4] == "-" {
			t.Errorf("webhooks stats:\n%s", stats)
		}
		var page struct {
			Items []eventDelivery `json:"items"`
		}
		okJSON(&page, "events", "list", "--state", "pending")
		if len(page.Items) != 1 || page.Items[0].Handler != "webhooks" || page.Items[0].EventType != "version.published" ||
			page.Items[0].Attempts < 1 || page.Items[0].NextAttemptAt == "" || !strings.Contains(page.Items[0].LastError, "HTTP 500") {
			t.Fatalf("pending: %+v", page.Items)
		}
		eventID = page.Items[0].EventID
		id := strconv.FormatInt(eventID, 10)
		if row := rowOf(ok("events", "list", "--state", "pending", "--handler", "webhooks"), id, "webhooks"); len(row) < 9 || row[4] != "pending" {
			t.Errorf("pending table row %q", row)
		}
		if out := ok("events", "list"); out != "EVENT  TYPE  AGGREGATE  HANDLER  STATE  ATTEMPTS  NEXT ATTEMPT  UPDATED  LAST ERROR\n" {
			t.Errorf("dead letters before any: %q", out)
		}
		okJSON(&page, "events", "list", "--state", "done", "--limit", "1", "--all")
		if len(page.Items) < 3 { // search: two publishes; webhooks: the publish to other
			t.Errorf("done: %+v", page.Items)
		}

		out := ok("events", "get", id)
		has(out, "Event ID:    "+id+"\n", "Type:        version.published\n", `"package":"searchable-tool"`)
		if row := rowOf(out, "search", "done"); row == nil {
			t.Errorf("get: no done search delivery:\n%s", out)
		}
		if row := rowOf(out, "webhooks", "pending"); row == nil {
			t.Errorf("get: no pending webhooks delivery:\n%s", out)
		}
		var ev eventDetail
		okJSON(&ev, "events", "get", id)
		if ev.EventID != eventID || len(ev.Deliveries) != 2 || !strings.Contains(jsonCell(ev.Payload, 1000), `"repo":"gen"`) {
			t.Errorf("get json %+v", ev)
		}

		fails(1, "error: event_not_dead: event "+id+" has no dead delivery; only dead deliveries can be replayed", "events", "replay", id)
		// Ten failed attempts take minutes of backoff: make the delivery
		// dead as the worker would after its last one.
		if n, err := env.Server.DB().RawExec(t.Context(), "UPDATE event_deliveries SET state = 'dead' WHERE event_id = ? AND handler = 'webhooks'", eventID); err != nil || n != 1 {
			t.Fatalf("making the delivery dead: %d %v", n, err)
		}
		if row := rowOf(ok("events", "list"), id, "webhooks", "dead"); row == nil {
			t.Errorf("the dead letter is not listed")
		}
		if row := rowOf(ok("events", "stats"), "webhooks"); len(row) < 4 || row[1] != "0" || row[3] != "1" {
			t.Errorf("stats with a dead letter %q", row)
		}
		fails(1, `error: event_not_dead: event `+id+` has no dead delivery to handler "search"`, "events", "replay", id, "--handler", "search")
		if out := ok("events", "replay", id, "--handler", "webhooks"); out != "Replayed event "+id+" to webhooks: a worker delivers it on its next pass.\n" {
			t.Errorf("replay: %q", out)
		}
		fails(1, "error: event_not_dead", "events", "replay", id)
		okJSON(&page, "events", "list", "--state", "pending")
		if len(page.Items) != 1 || page.Items[0].Attempts != 0 {
			t.Errorf("after the replay: %+v", page.Items)
		}
		fails(1, "error: not_found: event 999999 not found", "events", "get", "999999")
		fails(1, "error: not_found", "events", "replay", "999999")
		fails(2, `invalid EVENT_ID "abc"`, "events", "get", "abc")
		fails(2, `invalid --state "failed"`, "events", "list", "--state", "failed")
		as(reader, func() {
			fails(1, "error: forbidden: managing events needs the global admin scope", "events", "stats")
			fails(1, "error: forbidden", "events", "list")
		})
	})

	t.Run("webhooks", func(t *testing.T) {
		var page struct {
			Items []webhookDelivery `json:"items"`
		}
		okJSON(&page, "webhooks", "deliveries", hook.ID)
		if len(page.Items) < 1 {
			t.Fatalf("no deliveries")
		}
		first := page.Items[len(page.Items)-1]
		if first.Status != "failed" || first.ResponseCode != 500 || first.Attempt != 1 || first.Redelivery || first.EventID != eventID {
			t.Errorf("first delivery %+v", first)
		}
		did := strconv.FormatInt(first.ID, 10)
		if row := rowOf(ok("webhooks", "deliveries", hook.ID), did, "failed", "500"); row == nil {
			t.Errorf("deliveries table lacks %s", did)
		}

		receiver.status.Store(http.StatusNoContent)
		out := ok("webhooks", "redeliver", hook.ID, did)
		has(out, "Status:         delivered\n", "Redelivery:     true\n", "Response code:  204\n", "Event:          "+strconv.FormatInt(eventID, 10)+"\n")
		got := receiver.all()
		last := got[len(got)-1]
		if err := webhook.Verify(hook.Secret, last.header, last.body, 5*time.Minute); err != nil {
			t.Errorf("the redelivery does not verify with the generated secret: %v", err)
		}
		// The replayed event finds the webhook served: nothing is sent again.
		drain()
		if n := len(receiver.all()); n != len(got) {
			t.Errorf("the worker sent %d more requests after the redelivery", n-len(got))
		}
		for _, h := range []string{"search", "webhooks"} {
			if row := rowOf(ok("events", "stats"), h); len(row) < 4 || row[1] != "0" || row[3] != "0" {
				t.Errorf("backlog after the drain %q", row)
			}
		}

		receiver.status.Store(http.StatusInternalServerError)
		res := fails(1, "error: the redelivery failed: the receiver answered HTTP 500: boom\n", "webhooks", "redeliver", hook.ID, did)
		has(res.stdout, "Status:         failed\n", "Response code:  500\n")
		fails(1, "error: webhook_delivery_not_found", "webhooks", "redeliver", hook.ID, "999999")
		fails(2, `invalid DELIVERY_ID "x"`, "webhooks", "redeliver", hook.ID, "x")

		var all struct {
			Items []webhookDelivery `json:"items"`
		}
		okJSON(&all, "webhooks", "deliveries", hook.ID, "--limit", "1", "--all")
		okJSON(&page, "webhooks", "deliveries", hook.ID)
		if len(all.Items) != len(page.Items) || len(all.Items) < 3 || !all.Items[0].Redelivery || all.Items[0].Status != "failed" {
			t.Errorf("--all: %d items, one page: %d: %+v", len(all.Items), len(page.Items), all.Items)
		}

		list := ok("webhooks", "list")
		if rowOf(list, hook.ID, "gen", "true") == nil || rowOf(list, other, "other", "false") == nil {
			t.Errorf("list:\n%s", list)
		}

		// A rotated secret signs the next delivery.
		var rotated webhookInfo
		okJSON(&rotated, "webhooks", "update", hook.ID, "--rotate-secret")
		if !strings.HasPrefix(rotated.Secret, "whsec_") || rotated.Secret == hook.Secret || rotated.SecretMask != "whsec_****"+rotated.Secret[len(rotated.Secret)-4:] {
			t.Errorf("rotated %+v", rotated)
		}
		receiver.status.Store(http.StatusOK)
		ok("webhooks", "redeliver", hook.ID, did)
		got = receiver.all()
		last = got[len(got)-1]
		if err := webhook.Verify(rotated.Secret, last.header, last.body, 5*time.Minute); err != nil {
			t.Errorf("the redelivery does not verify with the rotated secret: %v", err)
		}
		if err := webhook.Verify(hook.Secret, last.header, last.body, 5*time.Minute); err == nil {
			t.Errorf("the redelivery still verifies with the old secret")
		}

		out = ok("webhooks", "update", other, "--enable", "--event", "tag.updated", "--all-repos")
		has(out, "Events:      tag.updated\n", "Repos:       (all)\n", "Enabled:     true\n")
		has(ok("webhooks", "get", other), "Events:      tag.updated\n", "Secret:      ****6789\n")
		fails(1, `error: bad_request: events[0]: unknown event type "nope"`, "webhooks", "update", other, "--event", "nope")
		fails(1, "error: bad_request: secret: ", "webhooks", "update", other, "--secret", "short")
		fails(2, "nothing to update", "webhooks", "update", other)

		as(reader, func() {
			if out := ok("webhooks", "list"); out != "ID  URL  EVENTS  REPOS  ENABLED  CREATED BY\n" {
				t.Errorf("a reader lists %q", out)
			}
			fails(1, `error: webhook_not_found: webhook "`+hook.ID+`" not found`, "webhooks", "get", hook.ID)
			fails(1, "error: webhook_not_found", "webhooks", "deliveries", hook.ID)
			fails(1, "error: forbidden", "webhooks", "create", "--url", receiver.srv.URL, "--event", "tag.updated")
		})

		if out := ok("webhooks", "delete", other); out != "Deleted webhook "+other+".\n" {
			t.Errorf("delete: %q", out)
		}
		fails(1, `error: webhook_not_found: webhook "`+other+`" not found`, "webhooks", "get", other)
		fails(1, "error: webhook_not_found", "webhooks", "delete", other)
		if out := ok("webhooks", "delete", hook.ID, "-o", "json"); out != "{}\n" {
			t.Errorf("delete json: %q", out)
		}
		if out := ok("webhooks", "list"); out != "ID  URL  EVENTS  REPOS  ENABLED  CREATED BY\n" {
			t.Errorf("list after deleting: %q", out)
		}
	})
}
