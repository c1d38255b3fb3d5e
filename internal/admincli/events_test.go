package admincli

import (
	"testing"
)

const (
	eventsPage = `{"items":[` +
		`{"eventId":41,"eventType":"version.published","aggregate":"version/ver_1","handler":"webhooks","state":"dead","attempts":10,"lastError":"webhook wh_1: the receiver answered HTTP 500:\nboom","eventAt":"2026-11-26T18:00:00Z","updatedAt":"2026-11-26T19:00:00Z"},` +
		`{"eventId":42,"eventType":"tag.updated","aggregate":"package/gen/tool","handler":"search","state":"dead","attempts":10,"eventAt":"2026-11-26T18:01:00Z","updatedAt":"2026-11-26T19:01:00Z"}],` +
		`"nextCursor":"ZXY6NDI6c2VhcmNo"}`
	eventBody = `{"eventId":42,"eventType":"version.published","aggregate":"version/ver_1","payload":{"repo":"gen","package":"tool","version":"1.0.0"},"requestId":"req-1","createdAt":"2026-11-26T18:00:00Z","deliveries":[` +
		`{"eventId":42,"eventType":"version.published","aggregate":"version/ver_1","handler":"search","state":"done","attempts":1,"eventAt":"2026-11-26T18:00:00Z","updatedAt":"2026-11-26T18:00:01Z"},` +
		`{"eventId":42,"eventType":"version.published","aggregate":"version/ver_1","handler":"webhooks","state":"pending","attempts":2,"nextAttemptAt":"2026-11-26T18:00:09Z","leaseOwner":"","lastError":"refused","eventAt":"2026-11-26T18:00:00Z","updatedAt":"2026-11-26T18:00:05Z"}]}`
	statsBody = `{"items":[{"handler":"search","pending":0,"failing":0,"dead":0},{"handler":"webhooks","pending":3,"failing":1,"dead":2,"oldestPendingAt":"2026-11-26T18:00:00Z"}]}`
)

func TestEventsRequests(t *testing.T) {
	runCases(t, []commandCase{
		{
			name:    "list dead letters by default",
			args:    []string{"events", "list"},
			replies: []cannedReply{reply(200, eventsPage)},
			want:    []wantRequest{{method: "GET", path: "/v1/admin/events"}},
			stdout: "EVENT  TYPE               AGGREGATE         HANDLER   STATE  ATTEMPTS  NEXT ATTEMPT  UPDATED               LAST ERROR\n" +
				"41     version.published  version/ver_1     webhooks  dead   10        -             2026-11-26T19:00:00Z  webhook wh_1: the receiver answered HTTP 500: boom\n" +
				"42     tag.updated        package/gen/tool  search    dead   10        -             2026-11-26T19:01:00Z  -\n",
			errHas: []string{"More deliveries: add --cursor ZXY6NDI6c2VhcmNo for the next page, or --all."},
		},
		{
			name:    "list filters are encoded",
			args:    []string{"events", "list", "--state", "pending", "--handler", "webhooks", "--limit", "2", "--cursor", "ZXY6NDI6c2VhcmNo"},
			replies: []cannedReply{reply(200, `{"items":[]}`)},
			want:    []wantRequest{{method: "GET", path: "/v1/admin/events", query: "cursor=ZXY6NDI6c2VhcmNo&handler=webhooks&limit=2&state=pending"}},
			stdout:  "EVENT  TYPE  AGGREGATE  HANDLER  STATE  ATTEMPTS  NEXT ATTEMPT  UPDATED  LAST ERROR\n",
		},
		{
			name:    "list json is the page",
			args:    []string{"events", "list", "-o", "json"},
			replies: []cannedReply{reply(200, eventsPage)},
			want:    []wantRequest{{method: "GET", path: "/v1/admin/events"}},
			outHas:  []string{`"eventId": 41`, `"nextCursor": "ZXY6NDI6c2VhcmNo"`},
		},
		{
			name: "list --all merges the pages",
			args: []string{"events", "list", "--state", "done", "--all", "-o", "json"},
			replies: []cannedReply{
				reply(200, eventsPage),
				reply(200, `{"items":[{"eventId":43,"eventType":"tag.updated","aggregate":"a","handler":"search","state":"done","attempts":1,"eventAt":"2026-11-26T18:02:00Z","updatedAt":"2026-11-26T18:02:00Z"}]}`),
			},
			want: []wantRequest{
				{method: "GET", path: "/v1/admin/events", query: "state=done"},
				{method: "GET", path: "/v1/admin/events", query: "cursor=ZXY6NDI6c2VhcmNo&state=done"},
			},
			outHas: []string{`"eventId": 41`, `"eventId": 42`, `"eventId": 43`},
		},
		{name: "list bad state", args: []string{"events", "list", "--state", "failed"}, code: 2, errHas: []string{`invalid --state "failed": want one of dead, pending, done`}},
		{name: "list bad limit", args: []string{"events", "list", "--limit", "1001"}, code: 2, errHas: []string{"invalid --limit 1001: want 1 to 1000"}},
		{
			name:    "list forbidden",
			args:    []string{"events", "list"},
			replies: []cannedReply{reply(403, `{"error":{"code":"forbidden","message":"managing events needs the global admin scope"}}`)},
			want:    []wantRequest{{method: "GET", path: "/v1/admin/events"}},
			code:    1,
			errHas:  []string{"error: forbidden: managing events needs the global admin scope\n"},
		},
		{
			name:    "stats",
			args:    []string{"events", "stats"},
			replies: []cannedReply{reply(200, statsBody)},
			want:    []wantRequest{{method: "GET", path: "/v1/admin/events/stats"}},
			stdout: "HANDLER   PENDING  FAILING  DEAD  OLDEST PENDING\n" +
				"search    0        0        0     -\n" +
				"webhooks  3        1        2     2026-11-26T18:00:00Z\n",
		},
		{
			name:    "stats json",
			args:    []string{"events", "stats", "-o", "json"},
			replies: []cannedReply{reply(200, statsBody)},
			want:    []wantRequest{{method: "GET", path: "/v1/admin/events/stats"}},
			outHas:  []string{"{\n  \"items\": [\n    {\n      \"handler\": \"search\","},
		},
		{
			name:    "get",
			args:    []string{"events", "get", "42"},
			replies: []cannedReply{reply(200, eventBody)},
			want:    []wantRequest{{method: "GET", path: "/v1/admin/events/42"}},
			stdout: "Event ID:    42\n" +
				"Type:        version.published\n" +
				"Aggregate:   version/ver_1\n" +
				"Created:     2026-11-26T18:00:00Z\n" +
				"Request ID:  req-1\n" +
				"Payload:     {\"repo\":\"gen\",\"package\":\"tool\",\"version\":\"1.0.0\"}\n" +
				"\n" +
				"HANDLER   STATE    ATTEMPTS  NEXT ATTEMPT          UPDATED               LAST ERROR\n" +
				"search    done     1         -                     2026-11-26T18:00:01Z  -\n" +
				"webhooks  pending  2         2026-11-26T18:00:09Z  2026-11-26T18:00:05Z  refused\n",
		},
		{
			name:    "get json",
			args:    []string{"events", "get", "42", "-o", "json"},
			replies: []cannedReply{reply(200, eventBody)},
			want:    []wantRequest{{method: "GET", path: "/v1/admin/events/42"}},
			outHas:  []string{"\"payload\": {\n    \"repo\": \"gen\","},
		},
		{
			name:    "get missing",
			args:    []string{"events", "get", "7"},
			replies: []cannedReply{reply(404, `{"error":{"code":"not_found","message":"event 7 not found"}}`)},
			want:    []wantRequest{{method: "GET", path: "/v1/admin/events/7"}},
			code:    1,
			errHas:  []string{"error: not_found: event 7 not found\n"},
		},
		{name: "get by a name", args: []string{"events", "get", "stats"}, code: 2, errHas: []string{`invalid EVENT_ID "stats": want a positive whole number`}},
		{name: "get zero", args: []string{"events", "get", "0"}, code: 2, errHas: []string{`invalid EVENT_ID "0"`}},
		{name: "get without id", args: []string{"events", "get"}, code: 2, errHas: []string{"missing argument EVENT_ID"}},
		{
			name:    "replay every dead delivery",
			args:    []string{"events", "replay", "42"},
			replies: []cannedReply{reply(200, `{"eventId":42,"replayed":["search","webhooks"]}`)},
			want:    []wantRequest{{method: "POST", path: "/v1/admin/events/42/replay"}},
			stdout:  "Replayed event 42 to search, webhooks: a worker delivers it on its next pass.\n",
		},
		{
			name:    "replay one handler, json",
			args:    []string{"events", "replay", "42", "--handler", "webhooks", "-o", "json"},
			replies: []cannedReply{reply(200, `{"eventId":42,"replayed":["webhooks"]}`)},
			want:    []wantRequest{{method: "POST", path: "/v1/admin/events/42/replay", query: "handler=webhooks"}},
			stdout:  "{\n  \"eventId\": 42,\n  \"replayed\": [\n    \"webhooks\"\n  ]\n}\n",
		},
		{
			name: "replay an event that is not dead",
			args: []string{"events", "replay", "42"},
			replies: []cannedReply{reply(409,
				`{"error":{"code":"event_not_dead","message":"event 42 has no dead delivery; only dead deliveries can be replayed","details":{"eventId":42}}}`)},
			want:   []wantRequest{{method: "POST", path: "/v1/admin/events/42/replay"}},
			code:   1,
			errHas: []string{"error: event_not_dead: event 42 has no dead delivery; only dead deliveries can be replayed (eventId=42)\n", "request id: req-test"},
		},
		{name: "replay empty handler", args: []string{"events", "replay", "42", "--handler", ""}, code: 2, errHas: []string{"--handler must not be empty"}},
		{name: "replay bad id", args: []string{"events", "replay", "4x"}, code: 2, errHas: []string{`invalid EVENT_ID "4x"`}},
		{name: "replay extra argument", args: []string{"events", "replay", "1", "2"}, code: 2, errHas: []string{`unexpected argument "2"`}},
	})
}
