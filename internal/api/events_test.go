package api_test

import (
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

// TestPublishToSearchAndWebhook follows a publish end to end: the outbox
// event reaches the search index and a subscribed webhook, whose delivery
// carries a valid Standard Webhooks signature; on SQLite and PostgreSQL.
func TestPublishToSearchAndWebhook(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		var mu sync.Mutex
		var got []struct {
			header http.Header
			body   []byte
		}
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			got = append(got, struct {
				header http.Header
				body   []byte
			}{r.Header.Clone(), body})
			mu.Unlock()
		}))
		defer receiver.Close()
		env := servertest.Start(t, b, func(c *config.Config) { c.OutboundAllow = "127.0.0.1" })
		env.CreateRepo(t, "gen", nil)
		env.CreateRepo(t, "private", nil)

		var wh struct{ ID, Secret string }
		env.Must(t, 201, "POST", "/v1/webhooks", env.AdminToken, map[string]any{
			"url": receiver.URL + "/hook", "events": []string{"version.published"}, "repos": []string{"gen"},
		}).JSON(t, &wh)
		if !strings.HasPrefix(wh.Secret, "whsec_") {
			t.Fatalf("generated secret %q", wh.Secret)
		}

		publishGeneric(t, env, "gen", env.AdminToken, "searchable-tool", "2.1.0", map[string]string{"bin": "binary bytes"})
		publishGeneric(t, env, "private", env.AdminToken, "secret-tool", "1.0.0", map[string]string{"bin": "hidden bytes"})
		for {
			n, err := env.Server.Worker().RunOnce(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}

		// The search index has the version, for those who may read it.
		reader := env.Token(t, "reader", "repo:gen:read")
		var res struct {
			Items []struct{ Package, Version, Repo string }
		}
		env.Must(t, 200, "GET", "/v1/search?q=searchable", reader, nil).JSON(t, &res)
		if len(res.Items) != 1 || res.Items[0].Package != "searchable-tool" || res.Items[0].Version != "2.1.0" {
			t.Errorf("search hits %+v", res.Items)
		}
		env.Must(t, 200, "GET", "/v1/search?q=tool", reader, nil).JSON(t, &res)
		for _, it := range res.Items {
			if it.Repo == "private" {
				t.Errorf("a reader of gen found %+v in private", it)
			}
		}
		env.Must(t, 200, "GET", "/v1/repos/gen/search?q=searchable", reader, nil).JSON(t, &res)
		if len(res.Items) != 1 {
			t.Errorf("per-repository search %+v", res.Items)
		}

		// The webhook got exactly the subscribed event, correctly signed.
		mu.Lock()
		defer mu.Unlock()
		if len(got) != 1 {
			t.Fatalf("%d webhook deliveries, want 1", len(got))
		}
		if err := webhook.Verify(wh.Secret, got[0].header, got[0].body, 5*time.Minute); err != nil {
			t.Errorf("signature does not verify: %v", err)
		}
		if !strings.Contains(string(got[0].body), `"searchable-tool"`) || !strings.Contains(string(got[0].body), `"version.published"`) {
			t.Errorf("payload %s", got[0].body)
		}
		var deliveries struct {
			Items []struct{ Status string }
		}
		env.Must(t, 200, "GET", "/v1/webhooks/"+wh.ID+"/deliveries", env.AdminToken, nil).JSON(t, &deliveries)
		if len(deliveries.Items) != 1 || deliveries.Items[0].Status != "delivered" {
			t.Errorf("delivery log %+v", deliveries.Items)
		}
		var stats struct {
			Items []struct {
				Handler       string
				Pending, Dead int
			}
		}
		env.Must(t, 200, "GET", "/v1/admin/events/stats", env.AdminToken, nil).JSON(t, &stats)
		for _, s := range stats.Items {
			if s.Pending != 0 || s.Dead != 0 {
				t.Errorf("backlog after draining: %+v", s)
			}
		}
	})
}

// TestSearchDownDoesNotStopPublishing breaks the index table: search
// answers 503, while publishing and reading keep working.
func TestSearchDownDoesNotStopPublishing(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b)
		env.CreateRepo(t, "gen", nil)
		if _, err := env.Server.DB().RawExec(t.Context(), "DROP TABLE search_index"); err != nil {
			t.Fatal(err)
		}
		publishGeneric(t, env, "gen", env.AdminToken, "still-works", "1.0.0", map[string]string{"f": "bytes"})
		env.Must(t, 200, "GET", "/v1/repos/gen/packages/still-works/versions/1.0.0", env.AdminToken, nil)
		r := env.Do(t, "GET", "/v1/search?q=still", env.AdminToken, nil)
		if r.Status != 503 || r.ErrorCode() != "search_unavailable" {
			t.Errorf("search with a broken index: %d %s", r.Status, r.Body)
		}
		// A rebuild repairs it.
		env.Must(t, 200, "POST", "/v1/admin/search/rebuild", env.AdminToken, nil)
		for range 100 {
			var st struct{ State string }
			env.Must(t, 200, "GET", "/v1/admin/search/status", env.AdminToken, nil).JSON(t, &st)
			if st.State == "idle" {
				break
			}
			if _, err := env.Server.SearchStep(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		var res struct{ Items []struct{ Package string } }
		env.Must(t, 200, "GET", "/v1/search?q=still", env.AdminToken, nil).JSON(t, &res)
		if len(res.Items) != 1 {
			t.Errorf("after rebuild: %+v", res.Items)
		}
	})
}
