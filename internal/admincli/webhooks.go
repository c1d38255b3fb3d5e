package admincli

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// webhookEvents are the event types a webhook can subscribe to, offered
// for completion; the server validates, so a newer server's types stay
// usable.
var webhookEvents = []string{
	"version.published", "version.quarantined", "quarantine.released", "quarantine.rejected",
	"policy.denied", "version.tombstoned", "version.restored", "version.files_added", "tag.updated",
}

const (
	// secretPrefix marks a signing secret in Standard Webhooks form: base64
	// after it.
	secretPrefix = "whsec_"
	// maxSecretFileBytes bounds a secret read with --secret-file.
	maxSecretFileBytes = 4096
)

// webhookInfo is the API's webhook resource; Secret is set only in the
// answer of POST /v1/webhooks.
type webhookInfo struct {
	ID         string   `json:"id"`
	URL        string   `json:"url"`
	Events     []string `json:"events"`
	Repos      []string `json:"repos"`
	Enabled    bool     `json:"enabled"`
	SecretMask string   `json:"secretMask"`
	CreatedBy  string   `json:"createdBy"`
	CreatedAt  string   `json:"createdAt"`
	UpdatedAt  string   `json:"updatedAt"`
	Secret     string   `json:"secret"`
}

// webhookCreateRequest is the body of POST /v1/webhooks; the optional
// fields are left out when their flags are not given.
type webhookCreateRequest struct {
	URL     string   `json:"url"`
	Events  []string `json:"events"`
	Repos   []string `json:"repos,omitempty"`
	Secret  string   `json:"secret,omitempty"`
	Enabled *bool    `json:"enabled,omitempty"`
}

// webhookDelivery is one attempt to deliver an event to a webhook.
type webhookDelivery struct {
	ID           int64  `json:"id"`
	WebhookID    string `json:"webhookId"`
	EventID      int64  `json:"eventId"`
	EventType    string `json:"eventType"`
	Attempt      int    `json:"attempt"`
	Redelivery   bool   `json:"redelivery"`
	Status       string `json:"status"`
	ResponseCode int    `json:"responseCode"`
	LatencyMS    int64  `json:"latencyMs"`
	Error        string `json:"error"`
	CreatedAt    string `json:"createdAt"`
}

// webhookPath returns the escaped path of webhook id.
func webhookPath(id string) string { return Pathf("/v1/webhooks/%s", id) }

// secretFlags are the ways to give a signing secret: --secret, or
// --secret-file (kept out of ps and the shell history).
type secretFlags struct {
	value, file string
}

func (f *secretFlags) register(cmd *cobra.Command, what string) {
	cmd.Flags().StringVar(&f.value, "secret", "", what+" `secret`: 24 to 256 bytes, or whsec_ and base64 (prefer --secret-file: a flag value shows in ps)")
	cmd.Flags().StringVar(&f.file, "secret-file", "", "read the "+what+" secret from this `file` (- is standard input); one trailing newline is dropped")
}

// given reports whether a secret flag was given.
func (f *secretFlags) given(cmd *cobra.Command) bool {
	return cmd.Flags().Changed("secret") || cmd.Flags().Changed("secret-file")
}

// read returns the secret given, "" when none was.
func (f *secretFlags) read(cmd *cobra.Command) (string, error) {
	valueSet, fileSet := cmd.Flags().Changed("secret"), cmd.Flags().Changed("secret-file")
	switch {
	case valueSet && fileSet:
		return "", usageErrorf("--secret and --secret-file are mutually exclusive")
	case valueSet:
		if f.value == "" {
			return "", usageErrorf("--secret must not be empty")
		}
		return f.value, nil
	case !fileSet:
		return "", nil
	}
	var r io.Reader
	if f.file == "-" {
		r = cmd.InOrStdin()
	} else {
		file, err := os.Open(f.file)
		if err != nil {
			return "", usageErrorf("--secret-file: %v", err)
		}
		defer file.Close()
		r = file
	}
	b, err := io.ReadAll(io.LimitReader(r, maxSecretFileBytes+1))
	if err != nil {
		return "", usageErrorf("--secret-file: %v", err)
	}
	if len(b) > maxSecretFileBytes {
		return "", usageErrorf("--secret-file %s: longer than %d bytes", f.file, maxSecretFileBytes)
	}
	s := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if s == "" {
		return "", usageErrorf("--secret-file %s is empty", f.file)
	}
	return s, nil
}

// newSecret returns a fresh signing secret in Standard Webhooks form, as the
// server generates them: whsec_ and 32 random bytes in base64.
func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return secretPrefix + base64.StdEncoding.EncodeToString(b)
}

func newWebhooksCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "webhooks",
		Aliases: []string{"webhook", "hooks"},
		Short:   "Manage webhooks and their delivery logs",
		Long: `Manage webhooks: HTTP endpoints the server POSTs events to (a version published,
a tag moved, ...), signed with the webhook's secret in the Standard Webhooks form
(webhook-id, webhook-timestamp and webhook-signature headers).

A global administrator manages every webhook. A repository administrator manages
the webhooks whose repositories (--repo) it administers, all of them; a webhook
for every repository needs the global admin scope.

Every attempt is logged ("deliveries"); an attempt that failed is retried with
backoff, and can be sent again at once with "redeliver".`,
		Example: `  artifortress admin webhooks create --url https://ci.example.com/hooks/artifortress --event version.published --repo npm-local
  artifortress admin webhooks list
  artifortress admin webhooks deliveries wh_0123456789abcdef01234567
  artifortress admin webhooks update wh_0123456789abcdef01234567 --disable`,
		Args: cobra.NoArgs,
		RunE: showHelp,
	}
	cmd.AddCommand(
		newWebhooksCreateCommand(o),
		newWebhooksListCommand(o),
		newWebhooksGetCommand(o),
		newWebhooksUpdateCommand(o),
		newWebhooksDeleteCommand(o),
		newWebhooksDeliveriesCommand(o),
		newWebhooksRedeliverCommand(o),
	)
	return cmd
}

func newWebhooksCreateCommand(o *options) *cobra.Command {
	var (
		req      webhookCreateRequest
		secret   secretFlags
		disabled bool
	)
	cmd := &cobra.Command{
		Use:   "create --url URL --event TYPE... [--repo KEY...] [--secret S | --secret-file F] [--disabled]",
		Short: "Create a webhook",
		Long: `Create a webhook that receives the events of the given types (--event, repeatable:
version.published, version.quarantined, quarantine.released, quarantine.rejected,
policy.denied, version.tombstoned, version.restored, tag.updated) about the given repositories
(--repo, repeatable; none: every repository, global administrators only).

The URL must be an absolute http or https URL without user information; a
destination that is not public (loopback, private networks) is refused unless the
server's outbound-allow setting lets it through.

Without --secret or --secret-file the server generates the signing secret
(whsec_ and base64). It is shown once: store it right away with the receiver,
which verifies the webhook-signature header with it. In scripts, read it with
-o json, e.g. jq -r .secret.`,
		Example: `  artifortress admin webhooks create --url https://ci.example.com/hooks/artifortress --event version.published --repo npm-local
  artifortress admin webhooks create --url https://chat.example.com/hook --event version.published --event tag.updated --secret-file hook.secret
  SECRET=$(artifortress admin webhooks create --url https://ci.example.com/hook --event version.published -o json | jq -r .secret)`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if req.URL == "" {
				return usageErrorf("--url is required")
			}
			if len(req.Events) == 0 {
				return usageErrorf("at least one --event is required: %s", strings.Join(webhookEvents, ", "))
			}
			s, err := secret.read(cmd)
			if err != nil {
				return err
			}
			req.Secret = s
			if disabled {
				req.Enabled = new(bool)
			}
			sess, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var res webhookInfo
			raw, err := sess.client.Call(sess.ctx, http.MethodPost, "/v1/webhooks", nil, req, &res)
			if err != nil {
				return err
			}
			return sess.print(raw, func(w io.Writer) error {
				if err := writeWebhook(w, &res); err != nil {
					return err
				}
				if secret.given(cmd) {
					return nil // the caller has it
				}
				return printSecretOnce(w, sess.errOut, res.Secret)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.URL, "url", "", "`URL` the events are POSTed to (required)")
	f.StringArrayVar(&req.Events, "event", nil, "event `type` to deliver, repeatable (required): "+strings.Join(webhookEvents, ", "))
	f.StringArrayVar(&req.Repos, "repo", nil, "deliver only events about this repository `key`, repeatable (default: every repository)")
	secret.register(cmd, "signing")
	f.BoolVar(&disabled, "disabled", false, "create it disabled: nothing is delivered until it is enabled")
	_ = cmd.RegisterFlagCompletionFunc("event", fixedCompletion(webhookEvents...))
	return cmd
}

// printSecretOnce prints a signing secret after a webhook, with the hint
// that it cannot be read again on errOut.
func printSecretOnce(w, errOut io.Writer, secret string) error {
	if secret == "" {
		return nil
	}
	if _, err := fmt.Fprintf(w, "\n%s\n\n", sanitize(secret)); err != nil {
		return err
	}
	_, err := fmt.Fprintln(errOut, "This signing secret is shown only once: store it now with the receiver, it cannot be retrieved again.")
	return err
}

func newWebhooksListCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the webhooks the token manages, oldest first",
		Long: `List the webhooks the token manages, oldest first: every webhook for a global
administrator, for anyone else those whose repositories it administers. Secrets are
shown masked.`,
		Example: `  artifortress admin webhooks list
  artifortress admin webhooks list -o json`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var res struct {
				Items []webhookInfo `json:"items"`
			}
			raw, err := s.client.Call(s.ctx, http.MethodGet, "/v1/webhooks", nil, nil, &res)
			if err != nil {
				return err
			}
			return s.print(raw, func(w io.Writer) error {
				t := newTable(w, "ID", "URL", "EVENTS", "REPOS", "ENABLED", "CREATED BY")
				for _, h := range res.Items {
					t.row(h.ID, h.URL, join(h.Events), webhookRepos(h.Repos), strconv.FormatBool(h.Enabled), h.CreatedBy)
				}
				return t.flush()
			})
		},
	}
}

func newWebhooksGetCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "get ID",
		Short: "Show a webhook",
		Example: `  artifortress admin webhooks get wh_0123456789abcdef01234567
  artifortress admin webhooks get wh_0123456789abcdef01234567 -o json`,
		Args: exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkSegments([]string{"ID"}, args); err != nil {
				return err
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var res webhookInfo
			raw, err := s.client.Call(s.ctx, http.MethodGet, webhookPath(args[0]), nil, nil, &res)
			if err != nil {
				return err
			}
			return s.print(raw, func(w io.Writer) error { return writeWebhook(w, &res) })
		},
	}
}

func newWebhooksUpdateCommand(o *options) *cobra.Command {
	var (
		hookURL         string
		events, repos   []string
		allRepos        bool
		secret          secretFlags
		rotate          bool
		enable, disable bool
	)
	cmd := &cobra.Command{
		Use:   "update ID [--url U] [--event TYPE...] [--repo KEY... | --all-repos] [--secret S | --secret-file F | --rotate-secret] [--enable | --disable]",
		Short: "Change a webhook's URL, events, repositories, secret or state",
		Long: `Change a webhook. Only the fields whose flags are given are sent; the others keep
their values. --event and --repo replace the whole list; --all-repos subscribes to
every repository (global administrators only).

--secret and --secret-file set the signing secret; --rotate-secret generates a new
one (whsec_ and 32 random bytes in base64), sends it and shows it once: store it
with the receiver. The new secret signs the next delivery.`,
		Example: `  artifortress admin webhooks update wh_0123456789abcdef01234567 --disable
  artifortress admin webhooks update wh_0123456789abcdef01234567 --event version.published --event tag.updated
  artifortress admin webhooks update wh_0123456789abcdef01234567 --url https://ci.example.com/hooks/v2 --repo npm-local --repo maven-local
  artifortress admin webhooks update wh_0123456789abcdef01234567 --rotate-secret`,
		Args: exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkSegments([]string{"ID"}, args); err != nil {
				return err
			}
			f := cmd.Flags()
			body := map[string]any{}
			if f.Changed("url") {
				if hookURL == "" {
					return usageErrorf("--url must not be empty")
				}
				body["url"] = hookURL
			}
			if f.Changed("event") {
				body["events"] = events
			}
			switch {
			case f.Changed("repo") && allRepos:
				return usageErrorf("--repo and --all-repos are mutually exclusive")
			case f.Changed("repo"):
				body["repos"] = repos
			case allRepos:
				body["repos"] = []string{}
			}
			if rotate && secret.given(cmd) {
				return usageErrorf("--rotate-secret excludes --secret and --secret-file")
			}
			newSecretValue, err := secret.read(cmd)
			if err != nil {
				return err
			}
			if rotate {
				newSecretValue = newSecret()
			}
			if newSecretValue != "" {
				body["secret"] = newSecretValue
			}
			switch {
			case enable && disable:
				return usageErrorf("--enable and --disable are mutually exclusive")
			case enable:
				body["enabled"] = true
			case disable:
				body["enabled"] = false
			}
			if len(body) == 0 {
				return usageErrorf("nothing to update: give at least one of --url, --event, --repo, --all-repos, --secret, --secret-file, --rotate-secret, --enable, --disable")
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var res webhookInfo
			raw, err := s.client.Call(s.ctx, http.MethodPatch, webhookPath(args[0]), nil, body, &res)
			if err != nil {
				return err
			}
			if rotate && s.json() {
				// The answer never carries the secret: add the one generated.
				if raw, err = withSecret(raw, newSecretValue); err != nil {
					return err
				}
			}
			return s.print(raw, func(w io.Writer) error {
				if err := writeWebhook(w, &res); err != nil {
					return err
				}
				if !rotate {
					return nil
				}
				return printSecretOnce(w, s.errOut, newSecretValue)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&hookURL, "url", "", "new `URL`")
	f.StringArrayVar(&events, "event", nil, "event `type` to deliver, repeatable; replaces the whole list")
	f.StringArrayVar(&repos, "repo", nil, "repository `key` to deliver events about, repeatable; replaces the whole list")
	f.BoolVar(&allRepos, "all-repos", false, "deliver the events of every repository (global administrators)")
	secret.register(cmd, "new signing")
	f.BoolVar(&rotate, "rotate-secret", false, "generate a new signing secret, and show it once")
	f.BoolVar(&enable, "enable", false, "enable the webhook")
	f.BoolVar(&disable, "disable", false, "disable the webhook: nothing is delivered until it is enabled again")
	_ = cmd.RegisterFlagCompletionFunc("event", fixedCompletion(webhookEvents...))
	return cmd
}

// withSecret adds "secret" to the JSON object raw, keeping its fields as
// the server sent them.
func withSecret(raw []byte, secret string) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, errors.New("server answered a webhook that is not a JSON object")
	}
	value, err := json.Marshal(secret)
	if err != nil {
		return nil, err
	}
	out := bytes.TrimSuffix(raw, []byte("}"))
	if len(obj) > 0 {
		out = append(out, ',')
	}
	out = append(out, `"secret":`...)
	out = append(out, value...)
	return append(out, '}'), nil
}

func newWebhooksDeleteCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:     "delete ID",
		Short:   "Delete a webhook with its delivery log",
		Example: `  artifortress admin webhooks delete wh_0123456789abcdef01234567`,
		Args:    exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkSegments([]string{"ID"}, args); err != nil {
				return err
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			if _, err := s.client.Call(s.ctx, http.MethodDelete, webhookPath(args[0]), nil, nil, nil); err != nil {
				return err
			}
			return s.done(fmt.Sprintf("Deleted webhook %s.", sanitize(args[0])))
		},
	}
}

func newWebhooksDeliveriesCommand(o *options) *cobra.Command {
	var pages pageFlags
	cmd := &cobra.Command{
		Use:   "deliveries ID [--limit N] [--cursor C | --all]",
		Short: "List the delivery attempts of a webhook, newest first",
		Long: `List the attempts to deliver events to a webhook, newest first: the event, the
attempt number, whether it was a redelivery, the outcome (delivered: the receiver
answered 2xx; failed), the receiver's status code, the latency and the error.

The server answers one page (--limit attempts, 50 by default, at most 1000); when
more remain, the table output names the cursor of the next page on standard error
and -o json carries it as nextCursor. --all follows the cursors.`,
		Example: `  artifortress admin webhooks deliveries wh_0123456789abcdef01234567
  artifortress admin webhooks deliveries wh_0123456789abcdef01234567 --limit 10 --all -o json`,
		Args: exactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkSegments([]string{"ID"}, args); err != nil {
				return err
			}
			q := url.Values{}
			if err := pages.query(cmd, q); err != nil {
				return err
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			return pages.fetch(s, "webhooks deliveries", "deliveries", webhookPath(args[0])+"/deliveries", q, func(w io.Writer, raw []json.RawMessage) error {
				items, err := decodeItems[webhookDelivery](raw, "webhook delivery")
				if err != nil {
					return err
				}
				t := newTable(w, "ID", "EVENT", "TYPE", "ATTEMPT", "REDELIVERY", "STATUS", "CODE", "LATENCY", "CREATED", "ERROR")
				for _, d := range items {
					t.row(formatInt(d.ID), formatInt(d.EventID), d.EventType, strconv.Itoa(d.Attempt), strconv.FormatBool(d.Redelivery),
						d.Status, responseCode(d.ResponseCode), formatInt(d.LatencyMS)+"ms", d.CreatedAt, clip(d.Error, maxErrorCell))
				}
				return t.flush()
			})
		},
	}
	pages.register(cmd, "deliveries", 50, 1000)
	return cmd
}

func newWebhooksRedeliverCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "redeliver ID DELIVERY_ID",
		Short: "Send the event of a delivery again, now",
		Long: `Send the event of one of a webhook's deliveries again, now, to the webhook's
current URL with its current secret and the same webhook-id (receivers drop
duplicates by it), even when the webhook is disabled or the event was delivered
before. The attempt is logged as a new delivery, which is shown.

The exit status is 1 when the receiver did not accept the redelivery (the
delivery's status is failed), after the delivery is printed.`,
		Example: `  artifortress admin webhooks redeliver wh_0123456789abcdef01234567 17
  artifortress admin webhooks redeliver wh_0123456789abcdef01234567 17 -o json`,
		Args: exactArgs("ID", "DELIVERY_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkSegments([]string{"ID"}, args); err != nil {
				return err
			}
			deliveryID, err := parseID("DELIVERY_ID", args[1])
			if err != nil {
				return err
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var d webhookDelivery
			path := webhookPath(args[0]) + Pathf("/deliveries/%s/redeliver", strconv.FormatInt(deliveryID, 10))
			raw, err := s.client.Call(s.ctx, http.MethodPost, path, nil, nil, &d)
			if err != nil {
				return err
			}
			if err := s.print(raw, func(w io.Writer) error { return writeWebhookDelivery(w, &d) }); err != nil {
				return err
			}
			if d.Status != "delivered" {
				msg := "the redelivery failed"
				if d.Error != "" {
					msg += ": " + d.Error
				}
				return errors.New(msg)
			}
			return nil
		},
	}
}

func writeWebhook(w io.Writer, h *webhookInfo) error {
	return writeFields(w, [][2]string{
		{"ID", h.ID},
		{"URL", h.URL},
		{"Events", join(h.Events)},
		{"Repos", webhookRepos(h.Repos)},
		{"Enabled", strconv.FormatBool(h.Enabled)},
		{"Secret", h.SecretMask},
		{"Created", h.CreatedAt},
		{"Created by", h.CreatedBy},
		{"Updated", h.UpdatedAt},
	})
}

func writeWebhookDelivery(w io.Writer, d *webhookDelivery) error {
	return writeFields(w, [][2]string{
		{"Delivery ID", formatInt(d.ID)},
		{"Webhook", d.WebhookID},
		{"Event", formatInt(d.EventID)},
		{"Type", d.EventType},
		{"Attempt", strconv.Itoa(d.Attempt)},
		{"Redelivery", strconv.FormatBool(d.Redelivery)},
		{"Status", d.Status},
		{"Response code", responseCode(d.ResponseCode)},
		{"Latency", formatInt(d.LatencyMS) + "ms"},
		{"Error", d.Error},
		{"Created", d.CreatedAt},
	})
}

// webhookRepos shows the repositories of a webhook: "(all)" for none.
func webhookRepos(repos []string) string {
	if len(repos) == 0 {
		return "(all)"
	}
	return join(repos)
}

// responseCode shows a receiver's HTTP status; "" when none arrived.
func responseCode(code int) string {
	if code == 0 {
		return ""
	}
	return strconv.Itoa(code)
}
