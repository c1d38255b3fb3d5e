package webhook_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/auth"
	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/webhook"
)

const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func wantKind(t *testing.T, err error, kind fault.Kind, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: succeeded, want a %v error", what, kind)
	}
	if got := fault.KindOf(err); got != kind {
		t.Fatalf("%s: error %v (kind %v), want kind %v", what, err, got, kind)
	}
}

func TestValidation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, databaseURL string) {
		e := newEnv(t, databaseURL, envOptions{})
		ok := webhook.CreateRequest{URL: "https://hooks.example.com/a", Events: []string{"version.published"}}
		for _, c := range []struct {
			name  string
			edit  func(r *webhook.CreateRequest)
			field string // "" when valid
		}{
			{"valid", func(r *webhook.CreateRequest) {}, ""},
			{"http", func(r *webhook.CreateRequest) { r.URL = "http://hooks.example.com:8080/a?b=c" }, ""},
			{"allow_listed_ip", func(r *webhook.CreateRequest) { r.URL = "http://127.0.0.1:9/x" }, ""},
			{"public_ip", func(r *webhook.CreateRequest) { r.URL = "https://8.8.8.8/x" }, ""},
			{"no_url", func(r *webhook.CreateRequest) { r.URL = "" }, "url"},
			{"relative", func(r *webhook.CreateRequest) { r.URL = "/hook" }, "url"},
			{"ftp", func(r *webhook.CreateRequest) { r.URL = "ftp://hooks.example.com/a" }, "url"},
			{"no_host", func(r *webhook.CreateRequest) { r.URL = "https:///a" }, "url"},
			{"opaque", func(r *webhook.CreateRequest) { r.URL = "https:hooks.example.com" }, "url"},
			{"userinfo", func(r *webhook.CreateRequest) { r.URL = "https://u:p@hooks.example.com/a" }, "url"},
			{"user_only", func(r *webhook.CreateRequest) { r.URL = "https://u@hooks.example.com/a" }, "url"},
			{"fragment", func(r *webhook.CreateRequest) { r.URL = "https://hooks.example.com/a#x" }, "url"},
			{"private_ip", func(r *webhook.CreateRequest) { r.URL = "http://10.1.2.3/a" }, "url"},
			{"metadata_ip", func(r *webhook.CreateRequest) { r.URL = "http://169.254.169.254/latest/meta-data" }, "url"},
			{"loopback_v6", func(r *webhook.CreateRequest) { r.URL = "http://[::1]:80/a" }, "url"},
			{"too_long", func(r *webhook.CreateRequest) { r.URL = "https://hooks.example.com/" + strings.Repeat("a", 2048) }, "url"},
			{"no_events", func(r *webhook.CreateRequest) { r.Events = nil }, "events"},
			{"unknown_event", func(r *webhook.CreateRequest) { r.Events = []string{"version.published", "version.eaten"} }, "events[1]"},
			{"all_events", func(r *webhook.CreateRequest) { r.Events = webhook.EventTypes }, ""},
			{"bad_repo_key", func(r *webhook.CreateRequest) { r.Repos = []string{"Alpha"} }, "repos[0]"},
			{"missing_repo", func(r *webhook.CreateRequest) { r.Repos = []string{"alpha", "nope"} }, "repos[1]"},
			{"raw_secret", func(r *webhook.CreateRequest) { r.Secret = strings.Repeat("s", 24) }, ""},
			{"raw_secret_max", func(r *webhook.CreateRequest) { r.Secret = strings.Repeat("s", 256) }, ""},
			{"whsec_secret", func(r *webhook.CreateRequest) { r.Secret = testSecret }, ""},
			{"short_secret", func(r *webhook.CreateRequest) { r.Secret = strings.Repeat("s", 23) }, "secret"},
			{"long_secret", func(r *webhook.CreateRequest) { r.Secret = strings.Repeat("s", 257) }, "secret"},
			{"control_secret", func(r *webhook.CreateRequest) { r.Secret = strings.Repeat("s", 24) + "\n" }, "secret"},
			{"whsec_not_base64", func(r *webhook.CreateRequest) { r.Secret = "whsec_" + strings.Repeat("!", 40) }, "secret"},
			{"whsec_short_key", func(r *webhook.CreateRequest) { r.Secret = "whsec_c2hvcnQgc2hvcnQgc2hvcnQ=" }, "secret"},
		} {
			t.Run(c.name, func(t *testing.T) {
				req := ok
				c.edit(&req)
				_, err := e.svc.Create(context.Background(), e.admin, req)
				if c.field == "" {
					if err != nil {
						t.Fatalf("Create: %v", err)
					}
					return
				}
				wantKind(t, err, fault.KindBadRequest, "Create")
				if got := fault.As(err).Details["field"]; got != c.field {
					t.Errorf("error %v names field %v, want %s", err, got, c.field)
				}
			})
		}
	})
}

func TestCreateNormalizesAndGeneratesSecret(t *testing.T) {
	forEachBackend(t, func(t *testing.T, databaseURL string) {
		e := newEnv(t, databaseURL, envOptions{})
		c := e.create(t, e.admin, webhook.CreateRequest{
			URL: "https://hooks.example.com/a", Events: []string{"tag.updated", "version.published", "tag.updated"},
			Repos: []string{"beta", "alpha", "beta"},
		})
		if !strings.HasPrefix(c.Secret, "whsec_") || !strings.HasPrefix(c.ID, "wh_") || !c.Enabled || c.CreatedBy != "root" {
			t.Errorf("Create = %+v", c)
		}
		if strings.Join(c.Events, ",") != "tag.updated,version.published" || strings.Join(c.Repos, ",") != "alpha,beta" {
			t.Errorf("events %v repos %v, want sorted and deduplicated", c.Events, c.Repos)
		}
		if c.SecretMask != webhook.MaskSecret(c.Secret) {
			t.Errorf("SecretMask %q", c.SecretMask)
		}
		disabled := false
		d := e.create(t, e.admin, webhook.CreateRequest{URL: "https://hooks.example.com/b", Events: []string{"tag.updated"}, Enabled: &disabled})
		if d.Enabled {
			t.Error("Enabled: false was ignored")
		}
	})
}

// TestSecretNeverReturned: only Create's result carries the secret.
func TestSecretNeverReturned(t *testing.T) {
	forEachBackend(t, func(t *testing.T, databaseURL string) {
		e := newEnv(t, databaseURL, envOptions{})
		ctx := context.Background()
		c := e.create(t, e.admin, webhook.CreateRequest{URL: "https://hooks.example.com/a", Events: []string{"tag.updated"}, Secret: testSecret})
		if c.Secret != testSecret {
			t.Fatalf("Create returned secret %q", c.Secret)
		}
		created, _ := json.Marshal(c)
		if !strings.Contains(string(created), testSecret) {
			t.Errorf("Create's JSON %s lacks the secret", created)
		}
		secretPart := strings.TrimPrefix(testSecret, "whsec_")
		check := func(what string, v any) {
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), secretPart[:20]) {
				t.Errorf("%s reveals the secret: %s", what, b)
			}
			if !strings.Contains(string(b), "whsec_****LaSw") {
				t.Errorf("%s lacks the masked secret: %s", what, b)
			}
		}
		got, err := e.svc.Get(ctx, e.admin, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		check("Get", got)
		list, err := e.svc.List(ctx, e.admin)
		if err != nil {
			t.Fatal(err)
		}
		check("List", list)
		enabled := false
		updated, err := e.svc.Update(ctx, e.admin, c.ID, webhook.UpdateRequest{Enabled: &enabled})
		if err != nil {
			t.Fatal(err)
		}
		check("Update", updated)
		audit, err := e.db.ListAudit(ctx, meta.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(audit)
		if strings.Contains(string(b), secretPart[:20]) {
			t.Errorf("the audit trail reveals the secret: %s", b)
		}
	})
}

func TestAuthorization(t *testing.T) {
	forEachBackend(t, func(t *testing.T, databaseURL string) {
		e := newEnv(t, databaseURL, envOptions{})
		ctx := context.Background()
		req := func(repos ...string) webhook.CreateRequest {
			return webhook.CreateRequest{URL: "https://hooks.example.com/x", Events: []string{"version.published"}, Repos: repos}
		}

		t.Run("create", func(t *testing.T) {
			for _, c := range []struct {
				name   string
				caller *auth.Principal
				repos  []string
				kind   fault.Kind // KindInternal: allowed
			}{
				{"admin_all_repos", e.admin, nil, fault.KindInternal},
				{"admin_scoped", e.admin, []string{"gamma"}, fault.KindInternal},
				{"repo_admin_own_repo", e.alice, []string{"alpha"}, fault.KindInternal},
				{"repo_admin_two_repos", e.carol, []string{"alpha", "beta"}, fault.KindInternal},
				{"repo_admin_all_repos", e.alice, nil, fault.KindForbidden},
				{"repo_admin_readable_repo", e.alice, []string{"alpha", "beta"}, fault.KindForbidden},
				{"repo_admin_invisible_repo", e.alice, []string{"gamma"}, fault.KindBadRequest},
				{"reader", e.bob, []string{"alpha"}, fault.KindForbidden},
				{"anonymous", nil, []string{"alpha"}, fault.KindUnauthorized},
			} {
				t.Run(c.name, func(t *testing.T) {
					_, err := e.svc.Create(ctx, c.caller, req(c.repos...))
					if c.kind == fault.KindInternal {
						if err != nil {
							t.Fatalf("Create: %v", err)
						}
						return
					}
					wantKind(t, err, c.kind, "Create")
				})
			}
		})

		global := e.create(t, e.admin, req())
		onGamma := e.create(t, e.admin, req("gamma"))
		alices := e.create(t, e.alice, req("alpha"))
		both := e.create(t, e.carol, req("alpha", "beta"))
		ids := func(ws []webhook.Webhook) map[string]bool {
			m := map[string]bool{}
			for _, w := range ws {
				m[w.ID] = true
			}
			return m
		}

		t.Run("list", func(t *testing.T) {
			all, err := e.svc.List(ctx, e.admin)
			if err != nil {
				t.Fatal(err)
			}
			if m := ids(all); !m[global.ID] || !m[onGamma.ID] || !m[alices.ID] || !m[both.ID] {
				t.Errorf("admin lists %v, want every webhook", m)
			}
			mine, err := e.svc.List(ctx, e.alice)
			if err != nil {
				t.Fatal(err)
			}
			if m := ids(mine); !m[alices.ID] || m[global.ID] || m[onGamma.ID] || m[both.ID] {
				t.Errorf("alice lists %v, want her alpha webhooks only (not ones that also cover beta)", m)
			}
			carols, err := e.svc.List(ctx, e.carol)
			if err != nil {
				t.Fatal(err)
			}
			if m := ids(carols); !m[alices.ID] || !m[both.ID] || m[global.ID] || m[onGamma.ID] {
				t.Errorf("carol lists %v", m)
			}
			none, err := e.svc.List(ctx, e.bob)
			if err != nil || len(none) != 0 {
				t.Errorf("bob lists %v, %v; want nothing", none, err)
			}
			_, err = e.svc.List(ctx, nil)
			wantKind(t, err, fault.KindUnauthorized, "anonymous List")
		})

		t.Run("get", func(t *testing.T) {
			if _, err := e.svc.Get(ctx, e.alice, alices.ID); err != nil {
				t.Errorf("alice Get her webhook: %v", err)
			}
			if _, err := e.svc.Get(ctx, e.carol, alices.ID); err != nil {
				t.Errorf("carol (admin of alpha) Get alice's alpha webhook: %v", err)
			}
			for _, id := range []string{global.ID, onGamma.ID, both.ID, "wh_missing"} {
				_, err := e.svc.Get(ctx, e.alice, id)
				wantKind(t, err, fault.KindNotFound, "alice Get "+id)
				if fault.As(err).Code != "webhook_not_found" {
					t.Errorf("code %q", fault.As(err).Code)
				}
			}
			_, err := e.svc.Get(ctx, e.bob, alices.ID)
			wantKind(t, err, fault.KindNotFound, "reader Get")
		})

		t.Run("update", func(t *testing.T) {
			empty := []string{}
			withBeta := []string{"alpha", "beta"}
			url := "https://hooks.example.com/changed"
			_, err := e.svc.Update(ctx, e.alice, alices.ID, webhook.UpdateRequest{Repos: &empty})
			wantKind(t, err, fault.KindForbidden, "alice widens her webhook to every repository")
			_, err = e.svc.Update(ctx, e.alice, alices.ID, webhook.UpdateRequest{Repos: &withBeta})
			wantKind(t, err, fault.KindForbidden, "alice adds beta")
			_, err = e.svc.Update(ctx, e.alice, global.ID, webhook.UpdateRequest{URL: &url})
			wantKind(t, err, fault.KindNotFound, "alice changes the global webhook")
			_, err = e.svc.Update(ctx, e.bob, alices.ID, webhook.UpdateRequest{URL: &url})
			wantKind(t, err, fault.KindNotFound, "reader changes a webhook")
			w, err := e.svc.Update(ctx, e.alice, alices.ID, webhook.UpdateRequest{URL: &url})
			if err != nil || w.URL != url {
				t.Fatalf("alice changes her URL: %+v, %v", w, err)
			}
			w, err = e.svc.Update(ctx, e.admin, alices.ID, webhook.UpdateRequest{Repos: &empty})
			if err != nil || len(w.Repos) != 0 {
				t.Fatalf("admin widens alice's webhook: %+v, %v", w, err)
			}
			// Now a webhook for every repository: out of alice's hands.
			_, err = e.svc.Get(ctx, e.alice, alices.ID)
			wantKind(t, err, fault.KindNotFound, "alice Get a webhook widened to every repository")
		})

		t.Run("delete", func(t *testing.T) {
			err := e.svc.Delete(ctx, e.alice, global.ID)
			wantKind(t, err, fault.KindNotFound, "alice deletes the global webhook")
			err = e.svc.Delete(ctx, e.bob, both.ID)
			wantKind(t, err, fault.KindNotFound, "reader deletes")
			if err := e.svc.Delete(ctx, e.carol, both.ID); err != nil {
				t.Fatalf("carol deletes her webhook: %v", err)
			}
			if err := e.svc.Delete(ctx, e.admin, onGamma.ID); err != nil {
				t.Fatalf("admin deletes: %v", err)
			}
			_, err = e.svc.Get(ctx, e.admin, onGamma.ID)
			wantKind(t, err, fault.KindNotFound, "Get after Delete")
			err = e.svc.Delete(ctx, e.admin, onGamma.ID)
			wantKind(t, err, fault.KindNotFound, "second Delete")
		})
	})
}

func TestUpdate(t *testing.T) {
	forEachBackend(t, func(t *testing.T, databaseURL string) {
		e := newEnv(t, databaseURL, envOptions{})
		ctx := context.Background()
		c := e.create(t, e.admin, webhook.CreateRequest{URL: "https://hooks.example.com/a", Events: []string{"tag.updated"}, Secret: testSecret})

		same, err := e.svc.Update(ctx, e.admin, c.ID, webhook.UpdateRequest{})
		if err != nil || !same.UpdatedAt.Equal(c.UpdatedAt) {
			t.Fatalf("empty Update: %+v, %v", same, err)
		}
		emptySecret := ""
		_, err = e.svc.Update(ctx, e.admin, c.ID, webhook.UpdateRequest{Secret: &emptySecret})
		wantKind(t, err, fault.KindBadRequest, "empty secret")
		badURL := "ftp://x"
		_, err = e.svc.Update(ctx, e.admin, c.ID, webhook.UpdateRequest{URL: &badURL})
		wantKind(t, err, fault.KindBadRequest, "bad URL")
		noEvents := []string{}
		_, err = e.svc.Update(ctx, e.admin, c.ID, webhook.UpdateRequest{Events: &noEvents})
		wantKind(t, err, fault.KindBadRequest, "no events")

		events := []string{"version.published", "policy.denied"}
		secret := strings.Repeat("r", 30)
		repos := []string{"beta"}
		w, err := e.svc.Update(ctx, e.admin, c.ID, webhook.UpdateRequest{Events: &events, Secret: &secret, Repos: &repos})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(w.Events, ",") != "policy.denied,version.published" || strings.Join(w.Repos, ",") != "beta" || w.SecretMask != "****rrrr" {
			t.Errorf("after Update: %+v", w)
		}
		stored, err := e.db.GetWebhook(ctx, c.ID)
		if err != nil || stored.Secret != secret {
			t.Errorf("stored secret %q, %v", stored.Secret, err)
		}
	})
}

func TestAudit(t *testing.T) {
	forEachBackend(t, func(t *testing.T, databaseURL string) {
		e := newEnv(t, databaseURL, envOptions{})
		ctx := context.Background()
		c := e.create(t, e.alice, webhook.CreateRequest{URL: "https://hooks.example.com/path/with-token?t=1", Events: []string{"tag.updated"}, Repos: []string{"alpha"}})
		off := false
		if _, err := e.svc.Update(ctx, e.alice, c.ID, webhook.UpdateRequest{Enabled: &off}); err != nil {
			t.Fatal(err)
		}
		// A refused change leaves no record.
		empty := []string{}
		if _, err := e.svc.Update(ctx, e.alice, c.ID, webhook.UpdateRequest{Repos: &empty}); err == nil {
			t.Fatal("alice widened her webhook")
		}
		if err := e.svc.Delete(ctx, e.alice, c.ID); err != nil {
			t.Fatal(err)
		}
		records, err := e.db.ListAudit(ctx, meta.AuditFilter{OldestFirst: true})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, r := range records {
			actions = append(actions, r.Action)
			if r.Actor != "alice" || r.ActorVia != "pat:tok-alice" || r.Resource != "webhook/"+c.ID || r.Repo != "alpha" {
				t.Errorf("record %+v", r)
			}
			if r.Details["target"] != "https://hooks.example.com" {
				t.Errorf("record %s details %v: want the target without path or query", r.Action, r.Details)
			}
		}
		if got := strings.Join(actions, " "); got != "webhook.create webhook.update webhook.delete" {
			t.Errorf("audit actions %q", got)
		}
		if len(records) == 3 {
			if changed, _ := records[1].Details["changed"].([]any); len(changed) != 1 || changed[0] != "enabled" {
				t.Errorf("update record details %v", records[1].Details)
			}
		}
	})
}

// TestRepoDeletion: a deleted repository leaves its webhooks, so that a new
// repository under the same key inherits none of them, and a webhook that
// named only it does not become one for every repository.
func TestRepoDeletion(t *testing.T) {
	forEachBackend(t, func(t *testing.T, databaseURL string) {
		e := newEnv(t, databaseURL, envOptions{})
		ctx := context.Background()
		req := func(repos ...string) webhook.CreateRequest {
			return webhook.CreateRequest{URL: "https://hooks.example.com/x", Events: []string{"version.published"}, Repos: repos}
		}
		only := e.create(t, e.alice, req("alpha"))
		two := e.create(t, e.carol, req("alpha", "beta"))
		other := e.create(t, e.admin, req("gamma"))
		global := e.create(t, e.admin, req())
		var changed, deleted []string
		err := e.db.Tx(ctx, func(tx *meta.Tx) error {
			var err error
			changed, deleted, err = tx.DetachRepoFromWebhooks(ctx, "alpha", time.Now())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(changed, ",") != two.ID || strings.Join(deleted, ",") != only.ID {
			t.Errorf("changed %v deleted %v", changed, deleted)
		}
		if _, err := e.svc.Get(ctx, e.admin, only.ID); fault.KindOf(err) != fault.KindNotFound {
			t.Errorf("the webhook of alpha alone: %v, want deleted", err)
		}
		w, err := e.svc.Get(ctx, e.admin, two.ID)
		if err != nil || strings.Join(w.Repos, ",") != "beta" {
			t.Errorf("the webhook of alpha and beta: %+v, %v", w, err)
		}
		for _, id := range []string{other.ID, global.ID} {
			if _, err := e.svc.Get(ctx, e.admin, id); err != nil {
				t.Errorf("unrelated webhook %s: %v", id, err)
			}
		}
	})
}
