package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/netguard"
)

// HandlerName is the name a Dispatcher registers under with the event worker.
const HandlerName = "webhooks"

// Defaults of DispatcherOptions.
const (
	DefaultMaxResponseBytes = 64 << 10
	DefaultConcurrency      = 8
)

// maxErrorLen bounds the error text stored with a delivery.
const maxErrorLen = 1024

// DispatcherOptions tune a Dispatcher. The zero value uses the defaults.
type DispatcherOptions struct {
	// MaxResponseBytes bounds how much of a receiver's answer is read; a
	// longer answer fails the attempt (default 64 KiB).
	MaxResponseBytes int64
	// Concurrency bounds how many webhooks one event is sent to at once
	// (default 8).
	Concurrency int
	// Now overrides the clock (tests).
	Now func() time.Time
}

// Dispatcher sends outbox events to the webhooks that subscribe to them. It
// is a handler for the event worker: Handle is idempotent per webhook (an
// event already delivered to a webhook is not sent to it again) and
// returns an error while any subscribed webhook has not received the event,
// so the worker retries it. It is safe for concurrent use.
type Dispatcher struct {
	db          *meta.DB
	guard       *netguard.Guard
	client      *http.Client
	maxResponse int64
	concurrency int
	now         func() time.Time
}

// NewDispatcher returns a dispatcher that reads webhooks from db and sends
// through guard's client (its timeouts and allow-list apply; redirects are
// never followed, whatever the guard's setting).
func NewDispatcher(db *meta.DB, guard *netguard.Guard, opt DispatcherOptions) *Dispatcher {
	if opt.MaxResponseBytes <= 0 {
		opt.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = DefaultConcurrency
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	client := guard.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Dispatcher{db: db, guard: guard, client: client, maxResponse: opt.MaxResponseBytes, concurrency: opt.Concurrency, now: opt.Now}
}

// Name returns HandlerName.
func (d *Dispatcher) Name() string { return HandlerName }

// EventTypes returns the event types the dispatcher acts on, for a worker
// that subscribes handlers to types; Handle ignores any other.
func (d *Dispatcher) EventTypes() []string { return append([]string(nil), EventTypes...) }

// Handle delivers e to every enabled webhook subscribed to its type and
// repository that has not received it yet, recording each attempt. It
// returns nil when all of them have it, and otherwise an error naming the
// webhooks that failed.
func (d *Dispatcher) Handle(ctx context.Context, e meta.Event) error {
	if !isEventType(e.Type) {
		return nil
	}
	hooks, err := d.db.ListWebhooks(ctx, true)
	if err != nil {
		return fmt.Errorf("list webhooks: %w", err)
	}
	repo, _ := e.Payload["repo"].(string)
	// A refused promotion concerns its target repository too.
	target, _ := e.Payload["targetRepo"].(string)
	var targets []meta.Webhook
	for _, w := range hooks {
		if subscribed(w, e.Type, repo) || (target != "" && target != repo && subscribed(w, e.Type, target)) {
			targets = append(targets, w)
		}
	}
	errs := make([]error, len(targets))
	sem := make(chan struct{}, d.concurrency)
	var wg sync.WaitGroup
	for i, w := range targets {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = d.deliver(ctx, w, e)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func isEventType(t string) bool { return slices.Contains(EventTypes, t) }

// deliver sends e to w unless it has been delivered already, and records
// the attempt.
func (d *Dispatcher) deliver(ctx context.Context, w meta.Webhook, e meta.Event) error {
	done, err := d.db.WebhookEventDelivered(ctx, w.ID, e.ID)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", w.ID, err)
	}
	if done {
		return nil
	}
	rec := d.attempt(ctx, w, e, false)
	// Record even when ctx ended (shutdown): the attempt happened.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := d.db.InsertWebhookDelivery(rctx, rec); err != nil {
		if errors.Is(err, meta.ErrNotFound) {
			return nil // deleted meanwhile: nothing left to deliver to
		}
		return fmt.Errorf("webhook %s: record delivery: %w", w.ID, err)
	}
	if rec.Status != meta.WebhookDeliveryDelivered {
		return fmt.Errorf("webhook %s: %s", w.ID, rec.Error)
	}
	return nil
}

// MessageID returns the webhook-id of event eventID sent to webhook
// webhookID: the same on every attempt, so receivers can drop duplicates.
func MessageID(webhookID string, eventID int64) string {
	return "msg_" + webhookID + "_" + strconv.FormatInt(eventID, 10)
}

// Body returns the JSON body delivered for e:
// {"type": ..., "timestamp": <event time, RFC 3339 UTC>, "data": <payload>}.
// It is the same on every attempt.
func Body(e meta.Event) ([]byte, error) {
	data := e.Payload
	if data == nil {
		data = map[string]any{}
	}
	return json.Marshal(struct {
		Type      string         `json:"type"`
		Timestamp string         `json:"timestamp"`
		Data      map[string]any `json:"data"`
	}{e.Type, e.CreatedAt.UTC().Format(time.RFC3339Nano), data})
}

// attempt POSTs e to w once and returns the (unrecorded) delivery.
func (d *Dispatcher) attempt(ctx context.Context, w meta.Webhook, e meta.Event, redelivery bool) meta.WebhookDelivery {
	rec := meta.WebhookDelivery{WebhookID: w.ID, EventID: e.ID, EventType: e.Type, Redelivery: redelivery, Status: meta.WebhookDeliveryFailed}
	start := time.Now()
	code, err := d.post(ctx, w, e)
	rec.LatencyMS = time.Since(start).Milliseconds()
	rec.CreatedAt = d.now().UTC().Truncate(time.Microsecond)
	rec.ResponseCode = code
	if err != nil {
		rec.Error = truncate(err.Error(), maxErrorLen)
	} else {
		rec.Status = meta.WebhookDeliveryDelivered
	}
	return rec
}

// post sends one request and returns the response status (0 when none
// arrived) and why the attempt failed, if it did.
func (d *Dispatcher) post(ctx context.Context, w meta.Webhook, e meta.Event) (int, error) {
	body, err := Body(e)
	if err != nil {
		return 0, fmt.Errorf("encode event %d: %w", e.ID, err)
	}
	msgID := MessageID(w.ID, e.ID)
	ts := d.now()
	sig, err := Sign(w.Secret, msgID, ts, body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Artifortress-Webhooks/1")
	req.Header.Set(HeaderID, msgID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set(HeaderSignature, sig)
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, transportError(err)
	}
	defer resp.Body.Close()
	answer, readErr := netguard.ReadAll(resp.Body, d.maxResponse)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg := fmt.Sprintf("the receiver answered HTTP %d", resp.StatusCode)
		if ex := excerpt(answer, 200); ex != "" {
			msg += ": " + ex
		}
		return resp.StatusCode, errors.New(msg)
	}
	if errors.Is(readErr, netguard.ErrTooLarge) {
		return resp.StatusCode, fmt.Errorf("the receiver answered HTTP %d but its %w", resp.StatusCode, readErr)
	}
	if readErr != nil {
		return resp.StatusCode, fmt.Errorf("the receiver answered HTTP %d but reading its answer failed: %w", resp.StatusCode, readErr)
	}
	return resp.StatusCode, nil
}

// transportError strips the *url.Error wrapper, whose text repeats the
// URL (which may hold a token in its path or query).
func transportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("timed out: %w", ue.Err)
		}
		return ue.Err
	}
	return err
}

// excerpt returns the start of a response body as one printable line.
func excerpt(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
