package admincli

import (
	"testing"
)

const (
	searchPage = `{"items":[` +
		`{"repo":"npm-local","format":"npm","package":"@acme/react-kit","namespace":"acme","name":"react-kit","version":"2.0.0","versionId":"ver_2","publishedAt":"2026-11-26T18:05:00Z","publishedBy":"ci","description":"React components\tfor the acme design system, with hooks, themes and more","score":2},` +
		`{"repo":"gen","format":"generic","package":"react","name":"react","version":"1.0","versionId":"ver_1","publishedAt":"2026-11-25T18:00:00Z","publishedBy":"admin","score":3}],` +
		`"nextCursor":"c2VhcmNo"}`
	searchStatusBody = `{"state":"running","healthy":true,"problem":"","rows":1200,"indexed":250,"total":1000,` +
		`"startedAt":"2026-11-26T18:00:00Z","updatedAt":"2026-11-26T18:01:00Z","finishedAt":null,` +
		`"lag":{"newestEventId":90,"newestEventAt":"2026-11-26T18:02:00Z","indexedEventId":88,"indexedEventAt":"2026-11-26T18:01:58.5Z","events":2,"behindSeconds":1.5}}`
	searchBrokenBody = `{"state":"idle","healthy":false,"problem":"no such table: search_index","rows":-1,"indexed":0,"total":0,` +
		`"startedAt":null,"updatedAt":null,"finishedAt":null,` +
		`"lag":{"newestEventId":0,"newestEventAt":null,"indexedEventId":0,"indexedEventAt":null,"events":-1,"behindSeconds":0}}`
)

func TestSearchRequests(t *testing.T) {
	runCases(t, []commandCase{
		{
			name:    "words are one query",
			args:    []string{"search", "react", "hooks"},
			replies: []cannedReply{reply(200, searchPage)},
			want:    []wantRequest{{method: "GET", path: "/v1/search", query: "q=react+hooks"}},
			stdout: "REPO       PACKAGE          VERSION  FORMAT   PUBLISHED             DESCRIPTION\n" +
				"npm-local  @acme/react-kit  2.0.0    npm      2026-11-26T18:05:00Z  React components for the acme design system, with hooks, the...\n" +
				"gen        react            1.0      generic  2026-11-25T18:00:00Z  -\n",
			errHas: []string{"More hits: add --cursor c2VhcmNo for the next page, or --all."},
		},
		{
			name:    "one repository, one format",
			args:    []string{"search", "tool", "--repo", "gen", "--format", "generic", "--limit", "5", "--cursor", "c2VhcmNo"},
			replies: []cannedReply{reply(200, `{"items":[]}`)},
			want:    []wantRequest{{method: "GET", path: "/v1/repos/gen/search", query: "cursor=c2VhcmNo&format=generic&limit=5&q=tool"}},
			stdout:  "REPO  PACKAGE  VERSION  FORMAT  PUBLISHED  DESCRIPTION\n",
		},
		{
			name:    "no query matches everything",
			args:    []string{"search", "-o", "json"},
			replies: []cannedReply{reply(200, searchPage)},
			want:    []wantRequest{{method: "GET", path: "/v1/search"}},
			outHas:  []string{`"package": "@acme/react-kit"`, `"score": 3`, `"nextCursor": "c2VhcmNo"`},
		},
		{
			name:    "a subcommand's name after --",
			args:    []string{"search", "--", "status"},
			replies: []cannedReply{reply(200, `{"items":[]}`)},
			want:    []wantRequest{{method: "GET", path: "/v1/search", query: "q=status"}},
		},
		{
			name: "--all follows the cursors",
			args: []string{"search", "react", "--all", "--limit", "2", "-o", "json"},
			replies: []cannedReply{
				reply(200, searchPage),
				reply(200, `{"items":[{"repo":"gen","format":"generic","package":"react-dom","name":"react-dom","version":"1.0","versionId":"ver_3","publishedAt":"2026-11-24T18:00:00Z","publishedBy":"admin","score":2}]}`),
			},
			want: []wantRequest{
				{method: "GET", path: "/v1/search", query: "limit=2&q=react"},
				{method: "GET", path: "/v1/search", query: "cursor=c2VhcmNo&limit=2&q=react"},
			},
			outHas: []string{`"versionId": "ver_1"`, `"versionId": "ver_2"`, `"versionId": "ver_3"`},
		},
		{name: "limit above the server's", args: []string{"search", "x", "--limit", "101"}, code: 2, errHas: []string{"invalid --limit 101: want 1 to 100"}},
		{name: "repo ..", args: []string{"search", "x", "--repo", ".."}, code: 2, errHas: []string{`argument --repo must not be ".."`}},
		{
			name: "index unavailable",
			args: []string{"search", "x"},
			replies: []cannedReply{reply(503,
				`{"error":{"code":"search_unavailable","message":"search is unavailable: the search index cannot be read (everything else works); an administrator can rebuild it"}}`)},
			want:   []wantRequest{{method: "GET", path: "/v1/search", query: "q=x"}},
			code:   1,
			errHas: []string{"error: search_unavailable: search is unavailable"},
		},
		{
			name:    "status",
			args:    []string{"search", "status"},
			replies: []cannedReply{reply(200, searchStatusBody)},
			want:    []wantRequest{{method: "GET", path: "/v1/admin/search/status"}},
			stdout: "State:             running\n" +
				"Healthy:           true\n" +
				"Problem:           -\n" +
				"Versions indexed:  1200\n" +
				"Rebuild progress:  250 of 1000 versions (25%)\n" +
				"Rebuild started:   2026-11-26T18:00:00Z\n" +
				"Rebuild updated:   2026-11-26T18:01:00Z\n" +
				"Rebuild finished:  -\n" +
				"Newest event:      90 at 2026-11-26T18:02:00Z\n" +
				"Indexed event:     88 at 2026-11-26T18:01:58.5Z\n" +
				"Behind:            2 event(s), 1.5s\n",
		},
		{
			name:    "status of a broken index",
			args:    []string{"search", "status"},
			replies: []cannedReply{reply(200, searchBrokenBody)},
			want:    []wantRequest{{method: "GET", path: "/v1/admin/search/status"}},
			stdout: "State:             idle\n" +
				"Healthy:           false\n" +
				"Problem:           no such table: search_index\n" +
				"Versions indexed:  unknown\n" +
				"Rebuild progress:  -\n" +
				"Rebuild started:   -\n" +
				"Rebuild updated:   -\n" +
				"Rebuild finished:  -\n" +
				"Newest event:      -\n" +
				"Indexed event:     -\n" +
				"Behind:            unknown\n",
		},
		{
			name:    "status json",
			args:    []string{"search", "status", "-o", "json"},
			replies: []cannedReply{reply(200, searchStatusBody)},
			want:    []wantRequest{{method: "GET", path: "/v1/admin/search/status"}},
			outHas:  []string{"\"state\": \"running\",", "\"behindSeconds\": 1.5"},
		},
		{
			name:    "rebuild",
			args:    []string{"search", "rebuild"},
			replies: []cannedReply{reply(200, searchStatusBody)},
			want:    []wantRequest{{method: "POST", path: "/v1/admin/search/rebuild"}},
			outHas:  []string{"State:             running\n"},
			errHas:  []string{"Rebuild started: the server indexes in the background; follow it with 'artifortress admin search status'."},
		},
		{
			name: "rebuild while one runs",
			args: []string{"search", "rebuild"},
			replies: []cannedReply{reply(409,
				`{"error":{"code":"search_rebuild_in_progress","message":"a rebuild is already running (250 of 1000 versions indexed); pause, resume or wait for it","details":{"state":"running"}}}`)},
			want:   []wantRequest{{method: "POST", path: "/v1/admin/search/rebuild"}},
			code:   1,
			errHas: []string{"error: search_rebuild_in_progress: a rebuild is already running (250 of 1000 versions indexed); pause, resume or wait for it (state=running)\n"},
		},
		{
			name:    "pause",
			args:    []string{"search", "pause", "-o", "json"},
			replies: []cannedReply{reply(200, searchStatusBody)},
			want:    []wantRequest{{method: "POST", path: "/v1/admin/search/pause"}},
			outHas:  []string{"\"state\": \"running\""},
		},
		{
			name: "resume without a rebuild",
			args: []string{"search", "resume"},
			replies: []cannedReply{reply(409,
				`{"error":{"code":"search_rebuild_not_running","message":"no rebuild is running or paused; start one first","details":{"state":"idle"}}}`)},
			want:   []wantRequest{{method: "POST", path: "/v1/admin/search/resume"}},
			code:   1,
			errHas: []string{"error: search_rebuild_not_running"},
		},
		{
			name:    "status forbidden",
			args:    []string{"search", "status"},
			replies: []cannedReply{reply(403, `{"error":{"code":"forbidden","message":"the search status needs the global admin scope"}}`)},
			want:    []wantRequest{{method: "GET", path: "/v1/admin/search/status"}},
			code:    1,
			errHas:  []string{"error: forbidden: the search status needs the global admin scope\n"},
		},
		{name: "status takes no argument", args: []string{"search", "status", "now"}, code: 2, errHas: []string{`unexpected argument "now"`, "Run 'admin search status --help' for usage."}},
		{name: "rebuild takes no search flag", args: []string{"search", "rebuild", "--repo", "gen"}, code: 2, errHas: []string{"unknown flag: --repo"}},
	})
}
