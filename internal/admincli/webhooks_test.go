package admincli

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	testWebhookID = "wh_0123456789abcdef01234567"
	webhookBody   = `{"id":"wh_0123456789abcdef01234567","url":"https://ci.example.com/hook","events":["tag.updated","version.published"],"repos":["gen","npm-local"],` +
		`"enabled":true,"secretMask":"whsec_****AbCd","createdBy":"admin","createdAt":"2026-11-26T18:00:00Z","updatedAt":"2026-11-26T18:30:00Z"}`
	webhookCreatedBody = `{"id":"wh_0123456789abcdef01234567","url":"https://ci.example.com/hook","events":["version.published"],"repos":[],` +
		`"enabled":true,"secretMask":"whsec_****AbCd","createdBy":"admin","createdAt":"2026-11-26T18:00:00Z","updatedAt":"2026-11-26T18:00:00Z","secret":"whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0AbCd"}`
	webhooksBody = `{"items":[` + webhookBody + `,` +
		`{"id":"wh_fedcba9876543210fedcba98","url":"http://10.0.0.5/hook","events":["policy.denied"],"repos":[],"enabled":false,"secretMask":"****","createdBy":"ops","createdAt":"2026-11-27T18:00:00Z","updatedAt":"2026-11-27T18:00:00Z"}]}`
	deliveriesPage = `{"items":[` +
		`{"id":17,"webhookId":"wh_0123456789abcdef01234567","eventId":42,"eventType":"version.published","attempt":2,"redelivery":true,"status":"delivered","responseCode":204,"latencyMs":31,"createdAt":"2026-11-26T18:10:00Z"},` +
		`{"id":16,"webhookId":"wh_0123456789abcdef01234567","eventId":42,"eventType":"version.published","attempt":1,"redelivery":false,"status":"failed","latencyMs":3,"error":"dial tcp 10.0.0.5:443: connect: connection refused","createdAt":"2026-11-26T18:00:00Z"}],` +
		`"nextCursor":"MTY"}`
	deliveryBody       = `{"id":18,"webhookId":"wh_0123456789abcdef01234567","eventId":42,"eventType":"version.published","attempt":3,"redelivery":true,"status":"delivered","responseCode":200,"latencyMs":12,"createdAt":"2026-11-26T18:20:00Z"}`
	failedDeliveryBody = `{"id":19,"webhookId":"wh_0123456789abcdef01234567","eventId":42,"eventType":"version.published","attempt":4,"redelivery":true,"status":"failed","responseCode":500,"latencyMs":12,"error":"the receiver answered HTTP 500: boom","createdAt":"2026-11-26T18:21:00Z"}`
)

// webhookTable is the table output of webhookBody.
const webhookTable = "ID:          wh_0123456789abcdef01234567\n" +
	"URL:         https://ci.example.com/hook\n" +
	"Events:      tag.updated,version.published\n" +
	"Repos:       gen,npm-local\n" +
	"Enabled:     true\n" +
	"Secret:      whsec_****AbCd\n" +
	"Created:     2026-11-26T18:00:00Z\n" +
	"Created by:  admin\n" +
	"Updated:     2026-11-26T18:30:00Z\n"

func TestWebhooksRequests(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "hook.secret")
	if err := os.WriteFile(secretFile, []byte("a shared secret of 24+ bytes\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	emptyFile := filepath.Join(t.TempDir(), "empty.secret")
	if err := os.WriteFile(emptyFile, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := "/v1/webhooks/" + testWebhookID
	runCases(t, []commandCase{
		{
			name:    "create: the generated secret is shown once",
			args:    []string{"webhooks", "create", "--url", "https://ci.example.com/hook", "--event", "version.published"},
			replies: []cannedReply{reply(201, webhookCreatedBody)},
			want:    []wantRequest{{method: "POST", path: "/v1/webhooks", body: `{"url":"https://ci.example.com/hook","events":["version.published"]}`}},
			stdout: "ID:          wh_0123456789abcdef01234567\n" +
				"URL:         https://ci.example.com/hook\n" +
				"Events:      version.published\n" +
				"Repos:       (all)\n" +
				"Enabled:     true\n" +
				"Secret:      whsec_****AbCd\n" +
				"Created:     2026-11-26T18:00:00Z\n" +
				"Created by:  admin\n" +
				"Updated:     2026-11-26T18:00:00Z\n" +
				"\n" +
				"whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0AbCd\n" +
				"\n",
			errHas: []string{"This signing secret is shown only once"},
		},
		{
			name: "create with repositories, a secret, disabled",
			args: []string{"webhooks", "create", "--url", "https://ci.example.com/hook", "--event", "version.published", "--event", "tag.updated",
				"--repo", "gen", "--repo", "npm-local", "--secret", "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0AbCd", "--disabled"},
			replies: []cannedReply{reply(201, webhookCreatedBody)},
			want: []wantRequest{{method: "POST", path: "/v1/webhooks",
				body: `{"url":"https://ci.example.com/hook","events":["version.published","tag.updated"],"repos":["gen","npm-local"],"secret":"whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0AbCd","enabled":false}`}},
			outHas: []string{"Secret:      whsec_****AbCd\n"},
		},
		{
			name:    "create with a secret file",
			args:    []string{"webhooks", "create", "--url", "https://ci.example.com/hook", "--event", "version.published", "--secret-file", secretFile},
			replies: []cannedReply{reply(201, webhookCreatedBody)},
			want: []wantRequest{{method: "POST", path: "/v1/webhooks",
				body: `{"url":"https://ci.example.com/hook","events":["version.published"],"secret":"a shared secret of 24+ bytes"}`}},
		},
		{
			name:    "create json carries the secret",
			args:    []string{"webhooks", "create", "--url", "https://ci.example.com/hook", "--event", "version.published", "-o", "json"},
			replies: []cannedReply{reply(201, webhookCreatedBody)},
			want:    []wantRequest{{method: "POST", path: "/v1/webhooks", body: `{"url":"https://ci.example.com/hook","events":["version.published"]}`}},
			outHas:  []string{`"secret": "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0AbCd"`},
		},
		{
			name: "create refused",
			args: []string{"webhooks", "create", "--url", "http://127.0.0.1/hook", "--event", "version.published"},
			replies: []cannedReply{reply(400,
				`{"error":{"code":"bad_request","message":"url: 127.0.0.1 is a loopback address","details":{"field":"url"}}}`)},
			want:   []wantRequest{{method: "POST", path: "/v1/webhooks", body: `{"url":"http://127.0.0.1/hook","events":["version.published"]}`}},
			code:   1,
			errHas: []string{"error: bad_request: url: 127.0.0.1 is a loopback address (field=url)\n"},
		},
		{name: "create without url", args: []string{"webhooks", "create", "--event", "version.published"}, code: 2, errHas: []string{"--url is required"}},
		{name: "create without event", args: []string{"webhooks", "create", "--url", "https://x"}, code: 2, errHas: []string{"at least one --event is required"}},
		{
			name: "create with two secrets", code: 2, errHas: []string{"--secret and --secret-file are mutually exclusive"},
			args: []string{"webhooks", "create", "--url", "https://x", "--event", "tag.updated", "--secret", "s", "--secret-file", secretFile},
		},
		{
			name: "create with an empty secret file", code: 2, errHas: []string{"is empty"},
			args: []string{"webhooks", "create", "--url", "https://x", "--event", "tag.updated", "--secret-file", emptyFile},
		},
		{
			name: "create with an empty standard input", code: 2, errHas: []string{"--secret-file - is empty"},
			args: []string{"webhooks", "create", "--url", "https://x", "--event", "tag.updated", "--secret-file", "-"},
		},
		{
			name: "create with a missing secret file", code: 2, errHas: []string{"--secret-file: open "},
			args: []string{"webhooks", "create", "--url", "https://x", "--event", "tag.updated", "--secret-file", filepath.Join(t.TempDir(), "nope")},
		},
		{
			name:    "list",
			args:    []string{"webhooks", "list"},
			replies: []cannedReply{reply(200, webhooksBody)},
			want:    []wantRequest{{method: "GET", path: "/v1/webhooks"}},
			stdout: "ID                           URL                          EVENTS                         REPOS          ENABLED  CREATED BY\n" +
				"wh_0123456789abcdef01234567  https://ci.example.com/hook  tag.updated,version.published  gen,npm-local  true     admin\n" +
				"wh_fedcba9876543210fedcba98  http://10.0.0.5/hook         policy.denied                  (all)          false    ops\n",
		},
		{
			name:    "list json",
			args:    []string{"webhooks", "list", "-o", "json"},
			replies: []cannedReply{reply(200, `{"items":[]}`)},
			want:    []wantRequest{{method: "GET", path: "/v1/webhooks"}},
			stdout:  "{\n  \"items\": []\n}\n",
		},
		{
			name:    "get",
			args:    []string{"webhooks", "get", testWebhookID},
			replies: []cannedReply{reply(200, webhookBody)},
			want:    []wantRequest{{method: "GET", path: path}},
			stdout:  webhookTable,
		},
		{
			name:    "get missing",
			args:    []string{"webhooks", "get", "wh_nope"},
			replies: []cannedReply{reply(404, `{"error":{"code":"webhook_not_found","message":"webhook \"wh_nope\" not found"}}`)},
			want:    []wantRequest{{method: "GET", path: "/v1/webhooks/wh_nope"}},
			code:    1,
			errHas:  []string{`error: webhook_not_found: webhook "wh_nope" not found`},
		},
		{name: "get ..", args: []string{"webhooks", "get", ".."}, code: 2, errHas: []string{`argument ID must not be ".."`}},
		{
			name:    "update events and state",
			args:    []string{"webhooks", "update", testWebhookID, "--event", "version.published", "--event", "tag.updated", "--disable"},
			replies: []cannedReply{reply(200, webhookBody)},
			want:    []wantRequest{{method: "PATCH", path: path, body: `{"events":["version.published","tag.updated"],"enabled":false}`}},
			stdout:  webhookTable,
		},
		{
			name:    "update url, repositories, secret file, enable",
			args:    []string{"webhooks", "update", testWebhookID, "--url", "https://ci.example.com/v2", "--repo", "gen", "--secret-file", secretFile, "--enable"},
			replies: []cannedReply{reply(200, webhookBody)},
			want: []wantRequest{{method: "PATCH", path: path,
				body: `{"url":"https://ci.example.com/v2","repos":["gen"],"secret":"a shared secret of 24+ bytes","enabled":true}`}},
		},
		{
			name:    "update to every repository",
			args:    []string{"webhooks", "update", testWebhookID, "--all-repos", "-o", "json"},
			replies: []cannedReply{reply(200, webhookBody)},
			want:    []wantRequest{{method: "PATCH", path: path, body: `{"repos":[]}`}},
			outHas:  []string{`"id": "wh_0123456789abcdef01234567"`},
		},
		{
			name:    "update refused",
			args:    []string{"webhooks", "update", testWebhookID, "--event", "version.deleted"},
			replies: []cannedReply{reply(400, `{"error":{"code":"bad_request","message":"events[0]: unknown event type \"version.deleted\"","details":{"field":"events[0]"}}}`)},
			want:    []wantRequest{{method: "PATCH", path: path, body: `{"events":["version.deleted"]}`}},
			code:    1,
			errHas:  []string{`error: bad_request: events[0]: unknown event type "version.deleted" (field=events[0])`},
		},
		{name: "update nothing", args: []string{"webhooks", "update", testWebhookID}, code: 2, errHas: []string{"nothing to update"}},
		{name: "update repo and all-repos", args: []string{"webhooks", "update", testWebhookID, "--repo", "gen", "--all-repos"}, code: 2, errHas: []string{"--repo and --all-repos are mutually exclusive"}},
		{name: "update enable and disable", args: []string{"webhooks", "update", testWebhookID, "--enable", "--disable"}, code: 2, errHas: []string{"--enable and --disable are mutually exclusive"}},
		{name: "update rotate and secret", args: []string{"webhooks", "update", testWebhookID, "--rotate-secret", "--secret", "x"}, code: 2, errHas: []string{"--rotate-secret excludes --secret and --secret-file"}},
		{name: "update empty url", args: []string{"webhooks", "update", testWebhookID, "--url", ""}, code: 2, errHas: []string{"--url must not be empty"}},
		{
			name:    "delete",
			args:    []string{"webhooks", "delete", testWebhookID},
			replies: []cannedReply{reply(204, "")},
			want:    []wantRequest{{method: "DELETE", path: path}},
			stdout:  "Deleted webhook wh_0123456789abcdef01234567.\n",
		},
		{
			name:    "delete json",
			args:    []string{"webhooks", "delete", testWebhookID, "-o", "json"},
			replies: []cannedReply{reply(204, "")},
			want:    []wantRequest{{method: "DELETE", path: path}},
			stdout:  "{}\n",
		},
		{
			name:    "deliveries",
			args:    []string{"webhooks", "deliveries", testWebhookID},
			replies: []cannedReply{reply(200, deliveriesPage)},
			want:    []wantRequest{{method: "GET", path: path + "/deliveries"}},
			stdout: "ID  EVENT  TYPE               ATTEMPT  REDELIVERY  STATUS     CODE  LATENCY  CREATED               ERROR\n" +
				"17  42     version.published  2        true        delivered  204   31ms     2026-11-26T18:10:00Z  -\n" +
				"16  42     version.published  1        false       failed     -     3ms      2026-11-26T18:00:00Z  dial tcp 10.0.0.5:443: connect: connection refused\n",
			errHas: []string{"More deliveries: add --cursor MTY for the next page, or --all."},
		},
		{
			name: "deliveries --all",
			args: []string{"webhooks", "deliveries", testWebhookID, "--limit", "2", "--all", "-o", "json"},
			replies: []cannedReply{
				reply(200, deliveriesPage),
				reply(200, `{"items":[`+deliveryBody+`]}`),
			},
			want: []wantRequest{
				{method: "GET", path: path + "/deliveries", query: "limit=2"},
				{method: "GET", path: path + "/deliveries", query: "cursor=MTY&limit=2"},
			},
			outHas: []string{`"id": 16`, `"id": 17`, `"id": 18`},
		},
		{name: "deliveries bad limit", args: []string{"webhooks", "deliveries", testWebhookID, "--limit", "0"}, code: 2, errHas: []string{"invalid --limit 0: want 1 to 1000"}},
		{
			name:    "redeliver",
			args:    []string{"webhooks", "redeliver", testWebhookID, "16"},
			replies: []cannedReply{reply(200, deliveryBody)},
			want:    []wantRequest{{method: "POST", path: path + "/deliveries/16/redeliver"}},
			stdout: "Delivery ID:    18\n" +
				"Webhook:        wh_0123456789abcdef01234567\n" +
				"Event:          42\n" +
				"Type:           version.published\n" +
				"Attempt:        3\n" +
				"Redelivery:     true\n" +
				"Status:         delivered\n" +
				"Response code:  200\n" +
				"Latency:        12ms\n" +
				"Error:          -\n" +
				"Created:        2026-11-26T18:20:00Z\n",
		},
		{
			name:    "redeliver refused by the receiver",
			args:    []string{"webhooks", "redeliver", testWebhookID, "16", "-o", "json"},
			replies: []cannedReply{reply(200, failedDeliveryBody)},
			want:    []wantRequest{{method: "POST", path: path + "/deliveries/16/redeliver"}},
			code:    1,
			outHas:  []string{`"status": "failed"`},
			errHas:  []string{"error: the redelivery failed: the receiver answered HTTP 500: boom\n"},
		},
		{
			name:    "redeliver a missing delivery",
			args:    []string{"webhooks", "redeliver", testWebhookID, "99"},
			replies: []cannedReply{reply(404, `{"error":{"code":"webhook_delivery_not_found","message":"webhook \"wh_0123456789abcdef01234567\" has no delivery 99"}}`)},
			want:    []wantRequest{{method: "POST", path: path + "/deliveries/99/redeliver"}},
			code:    1,
			errHas:  []string{"error: webhook_delivery_not_found"},
		},
		{name: "redeliver bad delivery id", args: []string{"webhooks", "redeliver", testWebhookID, "latest"}, code: 2, errHas: []string{`invalid DELIVERY_ID "latest"`}},
		{name: "redeliver without delivery id", args: []string{"webhooks", "redeliver", testWebhookID}, code: 2, errHas: []string{"missing argument DELIVERY_ID"}},
	})
}

// --rotate-secret generates a Standard Webhooks secret, sends it, and shows
// it once: in the table and added to the JSON answer.
func TestWebhooksRotateSecret(t *testing.T) {
	t.Parallel()
	for _, output := range []string{"table", "json"} {
		t.Run(output, func(t *testing.T) {
			rec := newRequestRecorder(t, reply(200, webhookBody))
			res := runAgainst(t, rec, "webhooks", "update", testWebhookID, "--rotate-secret", "-o", output)
			if res.code != 0 {
				t.Fatalf("exit %d: %s", res.code, res.stderr)
			}
			reqs := rec.Requests()
			if len(reqs) != 1 || reqs[0].Method != "PATCH" || reqs[0].Path != "/v1/webhooks/"+testWebhookID {
				t.Fatalf("requests %v", summarize(reqs))
			}
			var body map[string]string
			if err := json.Unmarshal(reqs[0].Body, &body); err != nil || len(body) != 1 {
				t.Fatalf("body %s: %v", reqs[0].Body, err)
			}
			secret := body["secret"]
			key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
			if !strings.HasPrefix(secret, "whsec_") || err != nil || len(key) != 32 {
				t.Fatalf("generated secret %q: %v", secret, err)
			}
			if output == "table" {
				if want := webhookTable + "\n" + secret + "\n\n"; res.stdout != want {
					t.Errorf("stdout:\n%s\nwant:\n%s", res.stdout, want)
				}
				if !strings.Contains(res.stderr, "shown only once") {
					t.Errorf("stderr: %q", res.stderr)
				}
				return
			}
			var out map[string]any
			if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
				t.Fatalf("stdout %s: %v", res.stdout, err)
			}
			if out["secret"] != secret || out["id"] != testWebhookID || out["secretMask"] != "whsec_****AbCd" {
				t.Errorf("stdout %s", res.stdout)
			}
			if !strings.HasSuffix(res.stdout, "  \"secret\": \""+secret+"\"\n}\n") {
				t.Errorf("the secret is not added last:\n%s", res.stdout)
			}
		})
	}
}

func TestWithSecret(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"id":"x"}`, `{"id":"x","secret":"s\"1"}`},
		{" {}\n", `{"secret":"s\"1"}`},
	} {
		got, err := withSecret([]byte(tc.in), `s"1`)
		if err != nil || string(got) != tc.want {
			t.Errorf("withSecret(%q) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{`[]`, `null`, `{`} {
		if _, err := withSecret([]byte(bad), "s"); err == nil {
			t.Errorf("withSecret(%q) accepted", bad)
		}
	}
}
