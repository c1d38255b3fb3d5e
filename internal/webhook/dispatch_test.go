package webhook_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/fault"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/webhook"
)

// The dispatcher has the worker's handler method set.
var _ interface {
	Name() string
	Handle(ctx context.Context, e meta.Event) error
} = (*webhook.Dispatcher)(nil)

func TestDeliverSigned(t *testing.T) {
	forEachBackend(t, func(t *testing.T, databaseURL string) {
		e := newEnv(t, databaseURL, envOptions{})
		ctx := context.Background()
		rcv := newReceiver(t)
		c := e.create(t, e.alice, webhook.CreateRequest{URL: rcv.URL(), Events: []string{"version.published", "tag.updated"}, Repos: []string{"alpha"}})

		ev := e.event(t, "version.published", "alpha")
		if err := e.dispatcher.Handle(ctx, ev); err != nil {
			t.Fatalf("Handle: %v", err)
		}
		got := rcv.requests()
		if len(got) != 1 {
			t.Fatalf("receiver got %d requests, want 1", len(got))
		}
		r := got[0]
		if err := webhook.Verify(c.Secret, r.header, r.body, time.Minute); err != nil {
			t.Fatalf("Verify with the secret Create returned: %v", err)
		}
		if id := r.header.Get("webhook-id"); id != webhook.MessageID(c.ID, ev.ID) {
			t.Errorf("webhook-id %q", id)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		ts, _ := strconv.ParseInt(r.header.Get("webhook-timestamp"), 10, 64)
		if d := time.Since(time.Unix(ts, 0)); d < -time.Second || d > time.Minute {
			t.Errorf("webhook-timestamp %d is %s from now", ts, d)
		}
		typ, when, data := decodeBody(t, r.body)
		if typ != "version.published" || data["repo"] != "alpha" || data["versionId"] != ev.Payload["versionId"] {
			t.Errorf("body %s", r.body)
		}
		if parsed, err := time.Parse(time.RFC3339Nano, when); err != nil || !parsed.Equal(ev.CreatedAt) {
			t.Errorf("timestamp %q, want the event time %s", when, ev.CreatedAt)
		}
		want, _ := webhook.Body(ev)
		if string(r.body) != string(want) {
			t.Errorf("body %s, want %s", r.body, want)
		}

		log := e.deliveries(t, c.ID)
		if len(log) != 1 {
			t.Fatalf("delivery log has %d rows, want 1", len(log))
		}
		d := log[0]
		if d.Status != "delivered" || d.ResponseCode != 200 || d.Attempt != 1 || d.EventID != ev.ID || d.EventType != ev.Type || d.Error != "" || d.Redelivery || d.LatencyMS < 0 {
			t.Errorf("delivery %+v", d)
		}

		// Handling the same event again (the worker re-runs handlers) sends nothing.
		if err := e.dispatcher.Handle(ctx, ev); err != nil {
			t.Fatal(err)
		}
		if n := len(rcv.requests()); n != 1 {
			t.Errorf("second Handle of a delivered event: receiver got %d requests, want still 1", n)
		}
		if n := len(e.deliveries(t, c.ID)); n != 1 {
			t.Errorf("second Handle recorded %d deliveries, want still 1", n)
		}
	})
}

func TestDeliverOnlySubscribed(t *testing.T) {
	forEachBackend(t, func(t *testing.T, databaseURL string) {
		e := newEnv(t, databaseURL, envOptions{})
		ctx := context.Background()
		alphaRcv, allRcv, offRcv := newReceiver(t), newReceiver(t), newReceiver(t)
		e.create(t, e.alice, webhook.CreateRequest{URL: alphaRcv.URL(), Events: []string{"version.published"}, Repos: []string{"alpha"}})
		e.create(t, e.admin, webhook.CreateRequest{URL: allRcv.URL(), Events: []string{"version.published", "policy.denied"}})
		off := false
		e.create(t, e.admin, webhook.CreateRequest{URL: offRcv.URL(), Events: webhook.EventTypes, Enabled: &off})

		for _, c := range []struct {
			typ, repo string
			alpha     int // requests the alpha webhook gets
			all       int // requests the all-repositories webhook gets
		}{
			{"version.published", "alpha", 1, 1},
			{"version.published", "beta", 0, 1},
			{"tag.updated", "alpha", 0, 0},    // not subscribed by either
			{"policy.denied", "alpha", 0, 1},  // only the global one subscribes
			{"version.published", "", 0, 1},   // no repository: only all-repositories webhooks
			{"something.else", "alpha", 0, 0}, // not a webhook event at all
		} {
			beforeAlpha, beforeAll := len(alphaRcv.requests()), len(allRcv.requests())
			if err := e.dispatcher.Handle(ctx, e.event(t, c.typ, c.repo)); err != nil {
				t.Fatalf("Handle %s/%s: %v", c.typ, c.repo, err)
			}
			if n := len(alphaRcv.requests()) - beforeAlpha; n != c.alpha {
				t.Errorf("%s about %q: alpha webhook got %d, want %d", c.typ, c.repo, n, c.alpha)
			}
			if n := len(allRcv.requests()) - beforeAll; n != c.all {
				t.Errorf("%s about %q: all-repositories webhook got %d, want %d", c.typ, c.repo, n, c.all)
			}
		}
		if n := len(offRcv.requests()); n != 0 {
			t.Errorf("a disabled webhook got %d requests", n)
		}
	})
}

// TestRefusedPromotionReachesTheTarget: a promotion refused by a target
// repository's policies is about a source version, but a webhook of the
// target repository hears of it too.
func TestRefusedPromotionReachesTheTarget(t *testing.T) {
	forEachBackend(t, func(t *testing.T, databaseURL string) {
		e := newEnv(t, databaseURL, envOptions{})
		rcv := newReceiver(t)
		e.create(t, e.alice, webhook.CreateRequest{URL: rcv.URL(), Events: []string{"policy.denied"}, Repos: []string{"alpha"}})
		if err := e.dispatcher.Handle(context.Background(), e.eventWith(t, "policy.denied", "beta", map[string]any{"targetRepo": "alpha", "stage": "promote"})); err != nil {
			t.Fatal(err)
		}
		if n := len(rcv.requests()); n != 1 {
			t.Fatalf("the target repository's webhook got %d requests, want 1", n)
		}
		if err := e.dispatcher.Handle(context.Background(), e.eventWith(t, "policy.denied", "beta", map[string]any{"targetRepo": "gamma", "stage": "promote"})); err != nil {
			t.Fatal(err)
		}
		if n := len(rcv.requests()); n != 1 {
			t.Fatalf("a refusal about other repositories reached alpha's webhook (%d requests)", n)
		}
	})
}

func TestRetryThenSucceed(t *testing.T) {
	forEachBackend(t, func(t *testing.T, databaseURL string) {
		e := newEnv(t, databaseURL, envOptions{})
		ctx := context.Background()
		rcv := newReceiver(t)
		rcv.answer = []byte("busy, try later\n")
		ok := newReceiver(t)
		flaky := e.create(t, e.admin, webhook.CreateRequest{URL: rcv.URL(), Events: []string{"version.tombstoned"}})
		steady := e.create(t, e.admin, webhook.CreateRequest{URL: ok.URL(), Events: []string{"version.tombstoned"}})
		rcv.queue(500)
		ev := e.event(t, "version.tombstoned", "beta")

		err := e.dispatcher.Handle(ctx, ev)
		if err == nil {
			t.Fatal("Handle succeeded while the receiver answered 500")
		}
		if !strings.Contains(err.Error(), "HTTP 500") || !strings.Contains(err.Error(), flaky.ID) {
			t.Errorf("Handle error %q does not name the webhook and the status", err)
		}
		if err := e.dispatcher.Handle(ctx, ev); err != nil {
			t.Fatalf("second Handle: %v", err)
		}
		log := e.deliveries(t, flaky.ID)
		if len(log) != 2 {
			t.Fatalf("delivery log %+v, want 2 rows", log)
		}
		first, second := log[1], log[0] // newest first
		if first.Status != "failed" || first.ResponseCode != 500 || first.Attempt != 1 || !strings.Contains(first.Error, "HTTP 500: busy, try later") {
			t.Errorf("first attempt %+v", first)
		}
		if second.Status != "delivered" || second.ResponseCode != 200 || second.Attempt != 2 {
			t.Errorf("second attempt %+v", second)
		}
		got := rcv.requests()
		if len(got) != 2 || got[0].header.Get("webhook-id") != got[1].header.Get("webhook-id") || string(got[0].body) != string(got[1].body) {
			t.Errorf("retries differ in webhook-id or body: %d requests", len(got))
		}
		// The webhook that succeeded the first time was not sent the event again.
		if n := len(ok.requests()); n != 1 {
			t.Errorf("the healthy webhook got %d requests, want 1", n)
		}
		if n := len(e.deliveries(t, steady.ID)); n != 1 {
			t.Errorf("the healthy webhook has %d deliveries, want 1", n)
		}
	})
}

func TestRedeliver(t *testing.T) {
	forEachBackend(t, func(t *testing.T, databaseURL string) {
		e := newEnv(t, databaseURL, envOptions{})
		ctx := context.Background()
		rcv := newReceiver(t)
		c := e.create(t, e.alice, webhook.CreateRequest{URL: rcv.URL(), Events: []string{"quarantine.released"}, Repos: []string{"alpha"}})
		ev := e.event(t, "quarantine.released", "alpha")
		if err := e.dispatcher.Handle(ctx, ev); err != nil {
			t.Fatal(err)
		}
		first := e.deliveries(t, c.ID)[0]

		d, err := e.svc.Redeliver(ctx, e.alice, c.ID, first.ID)
		if err != nil {
			t.Fatalf("Redeliver: %v", err)
		}
		if d.Status != "delivered" || d.Attempt != 2 || !d.Redelivery || d.EventID == 0 || d.EventID != ev.ID || d.ID == first.ID {
			t.Errorf("redelivery %+v", d)
		}
		got := rcv.requests()
		if len(got) != 2 {
			t.Fatalf("receiver got %d requests, want 2", len(got))
		}
		if got[1].header.Get("webhook-id") != got[0].header.Get("webhook-id") || string(got[1].body) != string(got[0].body) {
			t.Error("the redelivery is not the same message")
		}
		if err := webhook.Verify(c.Secret, got[1].header, got[1].body, time.Minute); err != nil {
			t.Errorf("redelivery signature: %v", err)
		}
		if log := e.deliveries(t, c.ID); len(log) != 2 || log[0].ID != d.ID {
			t.Errorf("delivery log %+v", log)
		}
		records, err := e.db.ListAudit(ctx, meta.AuditFilter{Action: "webhook.redeliver"})
		if err != nil || len(records) != 1 || records[0].Actor != "alice" || records[0].Repo != "alpha" {
			t.Errorf("redeliver audit records %+v, %v", records, err)
		}

		// A failed redelivery is a result, not an error.
		rcv.queue(503)
		d, err = e.svc.Redeliver(ctx, e.alice, c.ID, first.ID)
		if err != nil || d.Status != "failed" || d.ResponseCode != 503 || d.Attempt != 3 {
			t.Errorf("failed redelivery %+v, %v", d, err)
		}

		_, err = e.svc.Redeliver(ctx, e.alice, c.ID, 999999)
		wantKind(t, err, fault.KindNotFound, "Redeliver of a missing delivery")
		_, err = e.svc.Redeliver(ctx, e.bob, c.ID, first.ID)
		wantKind(t, err, fault.KindNotFound, "Redeliver by a reader")
		other := e.create(t, e.admin, webhook.CreateRequest{URL: rcv.URL(), Events: []string{"tag.updated"}})
		_, err = e.svc.Redeliver(ctx, e.admin, other.ID, first.ID)
		wantKind(t, err, fault.KindNotFound, "Redeliver of another webhook's delivery")
	})
}

// TestRefusedAddress: without the allow-list, a URL whose name resolves to
// loopback is refused at connect time and the attempt is logged as failed.
func TestRefusedAddress(t *testing.T) {
	forEachBackend(t, func(t *testing.T, databaseURL string) {
		e := newEnv(t, databaseURL, envOptions{allow: []string{}})
		ctx := context.Background()
		rcv := newReceiver(t)
		_, err := e.svc.Create(ctx, e.admin, webhook.CreateRequest{URL: rcv.URL(), Events: []string{"version.published"}})
		wantKind(t, err, fault.KindBadRequest, "Create with a loopback address")
		if !strings.Contains(err.Error(), "loopback") {
			t.Errorf("error %q does not say why", err)
		}

		u, _ := url.Parse(rcv.srv.URL)
		port := u.Port()
		c := e.create(t, e.admin, webhook.CreateRequest{URL: "http://localhost:" + port + "/hook", Events: []string{"version.published"}})
		err = e.dispatcher.Handle(ctx, e.event(t, "version.published", "alpha"))
		if err == nil {
			t.Fatal("Handle delivered to loopback without an allow-list")
		}
		if n := len(rcv.requests()); n != 0 {
			t.Fatalf("the receiver got %d requests", n)
		}
		log := e.deliveries(t, c.ID)
		if len(log) != 1 {
			t.Fatalf("delivery log %+v, want 1 row", log)
		}
		d := log[0]
		if d.Status != "failed" || d.ResponseCode != 0 || !strings.Contains(d.Error, "refusing to connect to") ||
			!strings.Contains(d.Error, "loopback") || !strings.Contains(d.Error, "allow-list") {
			t.Errorf("delivery %+v: want a failure that names the refused address", d)
		}
		if strings.Contains(d.Error, "/hook") {
			t.Errorf("delivery error %q repeats the URL", d.Error)
		}
	})
}

func TestResponseSizeLimit(t *testing.T) {
	forEachBackend(t, func(t *testing.T, databaseURL string) {
		e := newEnv(t, databaseURL, envOptions{maxResponseBytes: 1024})
		ctx := context.Background()
		rcv := newReceiver(t)
		rcv.answer = []byte(strings.Repeat("z", 1<<20))
		c := e.create(t, e.admin, webhook.CreateRequest{URL: rcv.URL(), Events: []string{"tag.updated"}})
		if err := e.dispatcher.Handle(ctx, e.event(t, "tag.updated", "beta")); err == nil {
			t.Fatal("Handle accepted a 1 MiB answer with a 1 KiB limit")
		}
		d := e.deliveries(t, c.ID)[0]
		if d.Status != "failed" || d.ResponseCode != 200 || !strings.Contains(d.Error, "exceeds the 1024-byte limit") {
			t.Errorf("delivery %+v", d)
		}

		rcv.mu.Lock()
		rcv.answer = []byte(strings.Repeat("z", 1024))
		rcv.mu.Unlock()
		if err := e.dispatcher.Handle(ctx, e.event(t, "tag.updated", "beta")); err != nil {
			t.Fatalf("an answer of exactly the limit: %v", err)
		}
	})
}

func TestTimeoutFails(t *testing.T) {
	forEachBackend(t, func(t *testing.T, databaseURL string) {
		e := newEnv(t, databaseURL, envOptions{timeout: 200 * time.Millisecond})
		release := make(chan struct{})
		slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		t.Cleanup(func() { close(release); slow.Close() })
		c := e.create(t, e.admin, webhook.CreateRequest{URL: slow.URL + "/hook", Events: []string{"tag.updated"}})
		if err := e.dispatcher.Handle(context.Background(), e.event(t, "tag.updated", "beta")); err == nil {
			t.Fatal("Handle succeeded although the receiver never answered")
		}
		d := e.deliveries(t, c.ID)[0]
		if d.Status != "failed" || d.ResponseCode != 0 || !strings.Contains(d.Error, "timed out") {
			t.Errorf("delivery %+v, want a failure saying it timed out", d)
		}
	})
}

func TestDeliveriesPaging(t *testing.T) {
	forEachBackend(t, func(t *testing.T, databaseURL string) {
		e := newEnv(t, databaseURL, envOptions{})
		ctx := context.Background()
		rcv := newReceiver(t)
		c := e.create(t, e.admin, webhook.CreateRequest{URL: rcv.URL(), Events: []string{"tag.updated"}})
		for range 5 {
			if err := e.dispatcher.Handle(ctx, e.event(t, "tag.updated", "beta")); err != nil {
				t.Fatal(err)
			}
		}
		var ids []int64
		cursor := ""
		for page := 0; ; page++ {
			p, err := e.svc.Deliveries(ctx, e.admin, c.ID, 2, cursor)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range p.Items {
				ids = append(ids, d.ID)
			}
			if p.NextCursor == "" {
				break
			}
			if page > 5 {
				t.Fatal("paging does not end")
			}
			cursor = p.NextCursor
		}
		if len(ids) != 5 {
			t.Fatalf("paged through %d deliveries, want 5", len(ids))
		}
		for i := 1; i < len(ids); i++ {
			if ids[i] >= ids[i-1] {
				t.Errorf("deliveries not newest first: %v", ids)
			}
		}
		for _, bad := range []struct {
			limit  int
			cursor string
		}{{-1, ""}, {1001, ""}, {10, "!!"}, {10, "LTU"}} {
			_, err := e.svc.Deliveries(ctx, e.admin, c.ID, bad.limit, bad.cursor)
			wantKind(t, err, fault.KindBadRequest, "Deliveries with a bad limit or cursor")
		}
		_, err := e.svc.Deliveries(ctx, e.bob, c.ID, 10, "")
		wantKind(t, err, fault.KindNotFound, "a reader lists deliveries")
	})
}

// TestSecretRotation: after an update, deliveries are signed with the new
// secret and sent to the new URL.
func TestSecretRotation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, databaseURL string) {
		e := newEnv(t, databaseURL, envOptions{})
		ctx := context.Background()
		oldRcv, newRcv := newReceiver(t), newReceiver(t)
		c := e.create(t, e.admin, webhook.CreateRequest{URL: oldRcv.URL(), Events: []string{"tag.updated"}})
		secret, newURL := strings.Repeat("k", 40), newRcv.URL()
		if _, err := e.svc.Update(ctx, e.admin, c.ID, webhook.UpdateRequest{URL: &newURL, Secret: &secret}); err != nil {
			t.Fatal(err)
		}
		if err := e.dispatcher.Handle(ctx, e.event(t, "tag.updated", "beta")); err != nil {
			t.Fatal(err)
		}
		got := newRcv.requests()
		if len(got) != 1 || len(oldRcv.requests()) != 0 {
			t.Fatalf("new receiver got %d, old got %d", len(got), len(oldRcv.requests()))
		}
		if err := webhook.Verify(secret, got[0].header, got[0].body, 0); err != nil {
			t.Errorf("Verify with the new secret: %v", err)
		}
		if err := webhook.Verify(c.Secret, got[0].header, got[0].body, 0); !errors.Is(err, webhook.ErrSignatureInvalid) {
			t.Errorf("Verify with the old secret = %v, want ErrSignatureInvalid", err)
		}
	})
}

// TestDeletedWebhookStopsDeliveries: deleting a webhook drops its log and
// its pending retries.
func TestDeletedWebhookStopsDeliveries(t *testing.T) {
	forEachBackend(t, func(t *testing.T, databaseURL string) {
		e := newEnv(t, databaseURL, envOptions{})
		ctx := context.Background()
		rcv := newReceiver(t)
		rcv.queue(http.StatusInternalServerError)
		c := e.create(t, e.admin, webhook.CreateRequest{URL: rcv.URL(), Events: []string{"tag.updated"}})
		ev := e.event(t, "tag.updated", "beta")
		if err := e.dispatcher.Handle(ctx, ev); err == nil {
			t.Fatal("want a failure")
		}
		if err := e.svc.Delete(ctx, e.admin, c.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.dispatcher.Handle(ctx, ev); err != nil {
			t.Fatalf("retry after the webhook was deleted: %v", err)
		}
		if n := len(rcv.requests()); n != 1 {
			t.Errorf("receiver got %d requests, want 1", n)
		}
		if log, err := e.db.ListWebhookDeliveries(ctx, c.ID, 0, 10); err != nil || len(log) != 0 {
			t.Errorf("delivery log of a deleted webhook: %+v, %v", log, err)
		}
	})
}
