package admincli

import (
	"strings"
	"testing"
)

const (
	whoamiBody = `{"subject":"ci-bot","scopes":["repo:npm-local:write"],"authSource":"pat","tokenId":"k3v9x2m4q8r1"}`
	patBody    = `{"tokenId":"k3v9x2m4q8r1","token":"afp_k3v9x2m4q8r1_s3cr3t","subject":"ci-bot","scopes":["repo:npm-local:write","repo:npm-local:promote"],"expiresAt":"2026-11-27T18:00:00Z"}`
	patsBody   = `{"items":[` +
		`{"tokenId":"k3v9x2m4q8r1","subject":"ci-bot","scopes":["repo:npm-local:write"],"createdBy":"admin","createdAt":"2026-11-26T18:00:00Z","expiresAt":"2026-11-27T18:00:00Z","lastUsedAt":"2026-11-26T19:00:00Z","revokedAt":null},` +
		`{"tokenId":"a1b2c3d4e5f6","subject":"ci-bot","scopes":["admin"],"createdBy":"admin","createdAt":"2026-11-20T18:00:00Z","expiresAt":"2026-12-20T18:00:00Z","lastUsedAt":null,"revokedAt":"2026-11-21T08:00:00Z"}]}`
	repoBody      = `{"key":"npm","type":"virtual","format":"npm","description":"all npm","upstreamUrl":"","members":["npm-local","npmjs"],"settings":{"anonymousRead":true},"createdAt":"2026-11-26T18:00:00Z","updatedAt":"2026-11-26T18:05:00Z"}`
	filesRepoBody = `{"key":"files","type":"local","format":"generic","description":"","upstreamUrl":"","members":[],"settings":{"anonymousRead":false,"maxBlobBytes":10737418240,"maxUploadSessions":128,"redirectDownloads":true},"createdAt":"2026-11-26T18:00:00Z","updatedAt":"2026-11-26T18:00:00Z"}`
	reposBody     = `{"items":[` +
		`{"key":"npm-local","type":"local","format":"npm","description":"internal\tpackages","upstreamUrl":"","members":[],"settings":{"anonymousRead":false}},` +
		`{"key":"npmjs","type":"remote","format":"npm","description":"","upstreamUrl":"https://registry.npmjs.org","members":[],"settings":{"anonymousRead":false}}]}`
	bindingsBody = `{"items":[{"subject":"alice","roles":["write"]},{"subject":"release-bot","roles":["read","promote"]}]}`
)

// commandCase runs one command against a requestRecorder and checks what it
// sent and printed.
type commandCase struct {
	name    string
	args    []string
	replies []cannedReply
	want    []wantRequest
	code    int
	stdout  string   // exact, when not empty
	outHas  []string // substrings of stdout
	errHas  []string // substrings of stderr
}

func runCases(t *testing.T, cases []commandCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := newRequestRecorder(t, tc.replies...)
			res := runAgainst(t, rec, tc.args...)
			if res.code != tc.code {
				t.Errorf("exit code %d (err %v), want %d\nstdout:\n%s\nstderr:\n%s", res.code, res.err, tc.code, res.stdout, res.stderr)
			}
			checkRequests(t, rec.Requests(), tc.want)
			if tc.stdout != "" && res.stdout != tc.stdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", res.stdout, tc.stdout)
			}
			for _, s := range tc.outHas {
				if !strings.Contains(res.stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, res.stdout)
				}
			}
			for _, s := range tc.errHas {
				if !strings.Contains(res.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, res.stderr)
				}
			}
			if tc.code == 0 && strings.Contains(res.stderr, "error:") {
				t.Errorf("stderr of a success mentions an error:\n%s", res.stderr)
			}
			if n := strings.Count(res.stderr, "error:"); tc.code != 0 && n != 1 {
				t.Errorf("stderr reports %d errors, want 1:\n%s", n, res.stderr)
			}
		})
	}
}

func TestWhoami(t *testing.T) {
	runCases(t, []commandCase{
		{
			name:    "table",
			args:    []string{"whoami"},
			replies: []cannedReply{reply(200, whoamiBody)},
			want:    []wantRequest{{method: "GET", path: "/v1/auth/whoami"}},
			stdout: "Subject:      ci-bot\n" +
				"Auth source:  pat\n" +
				"Token ID:     k3v9x2m4q8r1\n" +
				"Scopes:       repo:npm-local:write\n",
		},
		{
			name:    "json is the answer indented",
			args:    []string{"whoami", "-o", "json"},
			replies: []cannedReply{reply(200, whoamiBody)},
			want:    []wantRequest{{method: "GET", path: "/v1/auth/whoami"}},
			stdout: "{\n" +
				"  \"subject\": \"ci-bot\",\n" +
				"  \"scopes\": [\n" +
				"    \"repo:npm-local:write\"\n" +
				"  ],\n" +
				"  \"authSource\": \"pat\",\n" +
				"  \"tokenId\": \"k3v9x2m4q8r1\"\n" +
				"}\n",
		},
		{
			name: "unauthorized",
			args: []string{"whoami"},
			replies: []cannedReply{reply(401,
				`{"error":{"code":"unauthorized","message":"token expired"}}`)},
			want:   []wantRequest{{method: "GET", path: "/v1/auth/whoami"}},
			code:   1,
			errHas: []string{"error: unauthorized: token expired\n", "hint: check the token", "request id: req-test"},
		},
		{
			name: "extra argument",
			args: []string{"whoami", "extra"},
			code: 2,
			errHas: []string{"error: unexpected argument \"extra\"\n",
				"Run 'admin whoami --help' for usage."},
		},
	})
}

func TestPats(t *testing.T) {
	runCases(t, []commandCase{
		{
			name:    "create with --ttl",
			args:    []string{"pats", "create", "--subject", "ci-bot", "--scope", "repo:npm-local:write", "--scope", "repo:npm-local:promote", "--ttl", "24h"},
			replies: []cannedReply{reply(201, patBody)},
			want: []wantRequest{{method: "POST", path: "/v1/auth/pats",
				body: `{"subject":"ci-bot","scopes":["repo:npm-local:write","repo:npm-local:promote"],"ttlMinutes":1440}`}},
			stdout: "Token ID:  k3v9x2m4q8r1\n" +
				"Subject:   ci-bot\n" +
				"Scopes:    repo:npm-local:write,repo:npm-local:promote\n" +
				"Expires:   2026-11-27T18:00:00Z\n" +
				"\n" +
				"afp_k3v9x2m4q8r1_s3cr3t\n" +
				"\n",
			errHas: []string{"shown only once"},
		},
		{
			name:    "create with --ttl-minutes",
			args:    []string{"pats", "create", "--subject", "ci-bot", "--scope", "admin", "--ttl-minutes", "90"},
			replies: []cannedReply{reply(201, patBody)},
			want: []wantRequest{{method: "POST", path: "/v1/auth/pats",
				body: `{"subject":"ci-bot","scopes":["admin"],"ttlMinutes":90}`}},
			outHas: []string{"\nafp_k3v9x2m4q8r1_s3cr3t\n"},
		},
		{
			name:    "create without ttl leaves the default to the server",
			args:    []string{"pats", "create", "--subject", "ci-bot", "--scope", "repo:*:read", "-o", "json"},
			replies: []cannedReply{reply(201, patBody)},
			want: []wantRequest{{method: "POST", path: "/v1/auth/pats",
				body: `{"subject":"ci-bot","scopes":["repo:*:read"]}`}},
			outHas: []string{`"token": "afp_k3v9x2m4q8r1_s3cr3t"`},
		},
		{
			name: "create forbidden",
			args: []string{"pats", "create", "--subject", "ci-bot", "--scope", "admin"},
			replies: []cannedReply{reply(403,
				`{"error":{"code":"forbidden","message":"caller does not hold scope \"admin\"","details":{"scope":"admin"}}}`)},
			want: []wantRequest{{method: "POST", path: "/v1/auth/pats",
				body: `{"subject":"ci-bot","scopes":["admin"]}`}},
			code:   1,
			errHas: []string{`error: forbidden: caller does not hold scope "admin" (scope=admin)`},
		},
		{name: "create --ttl not whole minutes", args: []string{"pats", "create", "--subject", "s", "--scope", "admin", "--ttl", "90s"}, code: 2, errHas: []string{"whole minutes"}},
		{name: "create --ttl negative", args: []string{"pats", "create", "--subject", "s", "--scope", "admin", "--ttl", "-1h"}, code: 2},
		{name: "create --ttl unparsable", args: []string{"pats", "create", "--subject", "s", "--scope", "admin", "--ttl", "1 day"}, code: 2, errHas: []string{"--ttl"}},
		{name: "create both ttl flags", args: []string{"pats", "create", "--subject", "s", "--scope", "admin", "--ttl", "1h", "--ttl-minutes", "60"}, code: 2, errHas: []string{"mutually exclusive"}},
		{name: "create without scope", args: []string{"pats", "create", "--subject", "s"}, code: 2, errHas: []string{"--scope"}},
		{name: "create without subject", args: []string{"pats", "create", "--scope", "admin"}, code: 2, errHas: []string{"--subject is required"}},
		{
			name:    "revoke by id",
			args:    []string{"pats", "revoke", "--id", "k3v9x2m4q8r1"},
			replies: []cannedReply{reply(200, `{"revoked":1}`)},
			want:    []wantRequest{{method: "POST", path: "/v1/auth/pats/revoke", body: `{"tokenId":"k3v9x2m4q8r1"}`}},
			stdout:  "Revoked 1 token(s).\n",
		},
		{
			name:    "revoke by subject, json",
			args:    []string{"pats", "revoke", "--subject", "ci-bot", "-o", "json"},
			replies: []cannedReply{reply(200, `{"revoked":3}`)},
			want:    []wantRequest{{method: "POST", path: "/v1/auth/pats/revoke", body: `{"subject":"ci-bot"}`}},
			stdout:  "{\n  \"revoked\": 3\n}\n",
		},
		{
			name:    "revoke unknown id",
			args:    []string{"pats", "revoke", "--id", "nope"},
			replies: []cannedReply{reply(404, `{"error":{"code":"not_found","message":"token not found"}}`)},
			want:    []wantRequest{{method: "POST", path: "/v1/auth/pats/revoke", body: `{"tokenId":"nope"}`}},
			code:    1,
			errHas:  []string{"error: not_found: token not found"},
		},
		{name: "revoke with both", args: []string{"pats", "revoke", "--id", "x", "--subject", "y"}, code: 2, errHas: []string{"exactly one"}},
		{name: "revoke with neither", args: []string{"pats", "revoke"}, code: 2, errHas: []string{"exactly one"}},
		{
			name:    "list",
			args:    []string{"pats", "list"},
			replies: []cannedReply{reply(200, patsBody)},
			want:    []wantRequest{{method: "GET", path: "/v1/admin/auth/pats"}},
			stdout: "TOKEN ID      SUBJECT  SCOPES                EXPIRES               LAST USED             REVOKED\n" +
				"k3v9x2m4q8r1  ci-bot   repo:npm-local:write  2026-11-27T18:00:00Z  2026-11-26T19:00:00Z  -\n" +
				"a1b2c3d4e5f6  ci-bot   admin                 2026-12-20T18:00:00Z  never                 2026-11-21T08:00:00Z\n",
		},
		{
			name:    "list filters",
			args:    []string{"pats", "list", "--subject", "ci-bot@example.com", "--include-revoked"},
			replies: []cannedReply{reply(200, `{"items":[]}`)},
			want:    []wantRequest{{method: "GET", path: "/v1/admin/auth/pats", query: "includeRevoked=true&subject=ci-bot%40example.com"}},
			stdout:  "TOKEN ID  SUBJECT  SCOPES  EXPIRES  LAST USED  REVOKED\n",
		},
	})
}

func TestRepos(t *testing.T) {
	runCases(t, []commandCase{
		{
			name:    "create local",
			args:    []string{"repos", "create", "npm-local", "--type", "local", "--format", "npm", "--description", "internal"},
			replies: []cannedReply{reply(201, repoBody)},
			want: []wantRequest{{method: "POST", path: "/v1/repos",
				body: `{"key":"npm-local","type":"local","format":"npm","description":"internal"}`}},
			outHas: []string{"Key:                  npm\n"},
		},
		{
			name:    "create remote",
			args:    []string{"repos", "create", "npmjs", "--type", "remote", "--format", "npm", "--upstream-url", "https://registry.npmjs.org"},
			replies: []cannedReply{reply(201, repoBody)},
			want: []wantRequest{{method: "POST", path: "/v1/repos",
				body: `{"key":"npmjs","type":"remote","format":"npm","upstreamUrl":"https://registry.npmjs.org"}`}},
		},
		{
			name:    "create virtual keeps member order and sends settings",
			args:    []string{"repos", "create", "npm", "--type", "virtual", "--format", "npm", "--member", "npmjs", "--member", "npm-local", "--anonymous-read"},
			replies: []cannedReply{reply(201, repoBody)},
			want: []wantRequest{{method: "POST", path: "/v1/repos",
				body: `{"key":"npm","type":"virtual","format":"npm","members":["npmjs","npm-local"],"settings":{"anonymousRead":true}}`}},
			stdout: "Key:                  npm\n" +
				"Type:                 virtual\n" +
				"Format:               npm\n" +
				"Description:          all npm\n" +
				"Upstream URL:         -\n" +
				"Members:              npm-local,npmjs\n" +
				"Anonymous read:       true\n" +
				"Max blob bytes:       0 (the server's --max-blob-bytes)\n" +
				"Max upload sessions:  0 (the server's --max-upload-sessions)\n" +
				"Redirect downloads:   false\n" +
				"Created:              2026-11-26T18:00:00Z\n" +
				"Updated:              2026-11-26T18:05:00Z\n",
		},
		{
			name: "create with every setting",
			args: []string{"repos", "create", "files", "--type", "local", "--format", "generic",
				"--anonymous-read=false", "--max-blob-bytes", "10737418240", "--max-upload-sessions", "128", "--redirect-downloads"},
			replies: []cannedReply{reply(201, filesRepoBody)},
			want: []wantRequest{{method: "POST", path: "/v1/repos",
				body: `{"key":"files","type":"local","format":"generic","settings":{"anonymousRead":false,"maxBlobBytes":10737418240,"maxUploadSessions":128,"redirectDownloads":true}}`}},
			outHas: []string{"Max blob bytes:       10737418240\n", "Max upload sessions:  128\n", "Redirect downloads:   true\n"},
		},
		{
			name:    "create sends only the settings given",
			args:    []string{"repos", "create", "files", "--type", "local", "--format", "generic", "--max-upload-sessions", "0"},
			replies: []cannedReply{reply(201, filesRepoBody)},
			want: []wantRequest{{method: "POST", path: "/v1/repos",
				body: `{"key":"files","type":"local","format":"generic","settings":{"maxUploadSessions":0}}`}},
		},
		{name: "create bad size", args: []string{"repos", "create", "x", "--type", "local", "--format", "generic", "--max-blob-bytes", "10GiB"}, code: 2, errHas: []string{"--max-blob-bytes"}},
		{name: "create bad count", args: []string{"repos", "create", "x", "--type", "local", "--format", "generic", "--max-upload-sessions", "many"}, code: 2, errHas: []string{"--max-upload-sessions"}},
		{
			name:    "create conflict",
			args:    []string{"repos", "create", "npm-local", "--type", "local", "--format", "npm"},
			replies: []cannedReply{reply(409, `{"error":{"code":"conflict","message":"repository \"npm-local\" exists"}}`)},
			want:    []wantRequest{{method: "POST", path: "/v1/repos", body: `{"key":"npm-local","type":"local","format":"npm"}`}},
			code:    1,
			errHas:  []string{`error: conflict: repository "npm-local" exists`},
		},
		{name: "create bad type", args: []string{"repos", "create", "x", "--type", "mirror", "--format", "npm"}, code: 2, errHas: []string{`invalid --type "mirror"`}},
		{name: "create without type", args: []string{"repos", "create", "x", "--format", "npm"}, code: 2, errHas: []string{"--type is required"}},
		{name: "create without format", args: []string{"repos", "create", "x", "--type", "local"}, code: 2, errHas: []string{"--format is required"}},
		{name: "create without key", args: []string{"repos", "create", "--type", "local", "--format", "npm"}, code: 2, errHas: []string{"missing argument KEY"}},
		{
			name:    "list table sanitizes cells",
			args:    []string{"repos", "list"},
			replies: []cannedReply{reply(200, reposBody)},
			want:    []wantRequest{{method: "GET", path: "/v1/repos"}},
			stdout: "KEY        TYPE    FORMAT  DESCRIPTION\n" +
				"npm-local  local   npm     internal packages\n" +
				"npmjs      remote  npm     -\n",
		},
		{
			name:    "json ends with one newline whatever the answer ends with",
			args:    []string{"repos", "get", "npm", "-o", "json"},
			replies: []cannedReply{reply(200, "\n"+`{"key":"npm"}`+"\n")},
			want:    []wantRequest{{method: "GET", path: "/v1/repos/npm"}},
			stdout:  "{\n  \"key\": \"npm\"\n}\n",
		},
		{
			name:    "list filters",
			args:    []string{"repos", "list", "--format", "npm", "--type", "virtual", "-o", "json"},
			replies: []cannedReply{reply(200, `{"items":[]}`)},
			want:    []wantRequest{{method: "GET", path: "/v1/repos", query: "format=npm&type=virtual"}},
			stdout:  "{\n  \"items\": []\n}\n",
		},
		{name: "list bad type", args: []string{"repos", "list", "--type", "x"}, code: 2},
		{
			name:    "get escapes the key",
			args:    []string{"repos", "get", "a b/c?d"},
			replies: []cannedReply{reply(200, repoBody)},
			want:    []wantRequest{{method: "GET", path: "/v1/repos/a%20b%2Fc%3Fd"}},
		},
		{
			name:    "get not found",
			args:    []string{"repos", "get", "secret"},
			replies: []cannedReply{reply(404, `{"error":{"code":"not_found","message":"repository not found"}}`)},
			want:    []wantRequest{{method: "GET", path: "/v1/repos/secret"}},
			code:    1,
			errHas:  []string{"error: not_found: repository not found"},
		},
		{name: "get missing key", args: []string{"repos", "get"}, code: 2, errHas: []string{"missing argument KEY"}},
		{name: "get empty key", args: []string{"repos", "get", ""}, code: 2, errHas: []string{"must not be empty"}},
		{
			name:    "update sends only the changed flags",
			args:    []string{"repos", "update", "npm-local", "--description", ""},
			replies: []cannedReply{reply(200, repoBody)},
			want:    []wantRequest{{method: "PATCH", path: "/v1/repos/npm-local", body: `{"description":""}`}},
		},
		{
			name:    "update members and settings",
			args:    []string{"repos", "update", "npm", "--member", "npmjs", "--member", "npm-local", "--anonymous-read=false"},
			replies: []cannedReply{reply(200, repoBody)},
			want: []wantRequest{{method: "PATCH", path: "/v1/repos/npm",
				body: `{"members":["npmjs","npm-local"],"settings":{"anonymousRead":false}}`}},
		},
		{
			name:    "update upstream",
			args:    []string{"repos", "update", "npmjs", "--upstream-url", "https://registry.npmjs.org/"},
			replies: []cannedReply{reply(200, repoBody)},
			want:    []wantRequest{{method: "PATCH", path: "/v1/repos/npmjs", body: `{"upstreamUrl":"https://registry.npmjs.org/"}`}},
		},
		{
			name: "update rejected with details",
			args: []string{"repos", "update", "npm", "--member", "pypi-local"},
			replies: []cannedReply{reply(400,
				`{"error":{"code":"bad_request","message":"members[0]: format pypi differs from npm","details":{"field":"members[0]"}}}`)},
			want:   []wantRequest{{method: "PATCH", path: "/v1/repos/npm", body: `{"members":["pypi-local"]}`}},
			code:   1,
			errHas: []string{"error: bad_request: members[0]: format pypi differs from npm (field=members[0])\n"},
		},
		{
			name:    "update one setting leaves the others out",
			args:    []string{"repos", "update", "files", "--redirect-downloads"},
			replies: []cannedReply{reply(200, filesRepoBody)},
			want:    []wantRequest{{method: "PATCH", path: "/v1/repos/files", body: `{"settings":{"redirectDownloads":true}}`}},
		},
		{
			name:    "update limits back to the server's with 0",
			args:    []string{"repos", "update", "files", "--max-blob-bytes", "0", "--max-upload-sessions", "16", "--redirect-downloads=false"},
			replies: []cannedReply{reply(200, filesRepoBody)},
			want: []wantRequest{{method: "PATCH", path: "/v1/repos/files",
				body: `{"settings":{"maxBlobBytes":0,"maxUploadSessions":16,"redirectDownloads":false}}`}},
		},
		{
			name:    "update setting refused by the server",
			args:    []string{"repos", "update", "files", "--max-blob-bytes", "-1"},
			replies: []cannedReply{reply(400, `{"error":{"code":"bad_request","message":"settings.maxBlobBytes: must not be negative","details":{"field":"settings.maxBlobBytes"}}}`)},
			want:    []wantRequest{{method: "PATCH", path: "/v1/repos/files", body: `{"settings":{"maxBlobBytes":-1}}`}},
			code:    1,
			errHas:  []string{"error: bad_request: settings.maxBlobBytes: must not be negative"},
		},
		{name: "update nothing", args: []string{"repos", "update", "npm"}, code: 2, errHas: []string{"nothing to update", "--max-blob-bytes", "--redirect-downloads"}},
		{name: "update bad size", args: []string{"repos", "update", "files", "--max-blob-bytes", "big"}, code: 2, errHas: []string{"--max-blob-bytes"}},
		{name: "update bad bool", args: []string{"repos", "update", "npm", "--anonymous-read=maybe"}, code: 2},
		{
			name:    "delete",
			args:    []string{"repos", "delete", "npm-old"},
			replies: []cannedReply{reply(204, "")},
			want:    []wantRequest{{method: "DELETE", path: "/v1/repos/npm-old"}},
			stdout:  "Deleted repository npm-old.\n",
		},
		{
			name:    "delete force json",
			args:    []string{"repos", "delete", "npm-old", "--force", "-o", "json"},
			replies: []cannedReply{reply(204, "")},
			want:    []wantRequest{{method: "DELETE", path: "/v1/repos/npm-old", query: "force=true"}},
			stdout:  "{}\n",
		},
		{
			name:    "delete conflict",
			args:    []string{"repos", "delete", "npm-local"},
			replies: []cannedReply{reply(409, `{"error":{"code":"conflict","message":"repository holds packages"}}`)},
			want:    []wantRequest{{method: "DELETE", path: "/v1/repos/npm-local"}},
			code:    1,
			errHas:  []string{"error: conflict: repository holds packages"},
		},
	})
}

func TestBindings(t *testing.T) {
	runCases(t, []commandCase{
		{
			name:    "list",
			args:    []string{"bindings", "list", "npm-local"},
			replies: []cannedReply{reply(200, bindingsBody)},
			want:    []wantRequest{{method: "GET", path: "/v1/repos/npm-local/bindings"}},
			stdout: "SUBJECT      ROLES\n" +
				"alice        write\n" +
				"release-bot  read,promote\n",
		},
		{
			name:    "set",
			args:    []string{"bindings", "set", "npm-local", "release-bot", "--role", "read", "--role", "promote"},
			replies: []cannedReply{reply(200, `{"repo":"npm-local","subject":"release-bot","roles":["read","promote"]}`)},
			want: []wantRequest{{method: "PUT", path: "/v1/repos/npm-local/bindings/release-bot",
				body: `{"roles":["read","promote"]}`}},
			stdout: "REPO       SUBJECT      ROLES\n" +
				"npm-local  release-bot  read,promote\n",
		},
		{
			name:    "set escapes the subject",
			args:    []string{"bindings", "set", "npm-local", "ci/bot x", "--role", "write", "-o", "json"},
			replies: []cannedReply{reply(200, `{"repo":"npm-local","subject":"ci/bot x","roles":["write"]}`)},
			want: []wantRequest{{method: "PUT", path: "/v1/repos/npm-local/bindings/ci%2Fbot%20x",
				body: `{"roles":["write"]}`}},
			outHas: []string{`"subject": "ci/bot x"`},
		},
		{name: "set unknown role", args: []string{"bindings", "set", "npm-local", "alice", "--role", "owner"}, code: 2, errHas: []string{`invalid --role "owner"`}},
		{name: "set without role", args: []string{"bindings", "set", "npm-local", "alice"}, code: 2, errHas: []string{"--role"}},
		{name: "set missing subject", args: []string{"bindings", "set", "npm-local", "--role", "read"}, code: 2, errHas: []string{"missing argument SUBJECT"}},
		{
			name:    "delete",
			args:    []string{"bindings", "delete", "npm-local", "alice@example.com"},
			replies: []cannedReply{reply(204, "")},
			want:    []wantRequest{{method: "DELETE", path: "/v1/repos/npm-local/bindings/alice@example.com"}},
			stdout:  "Removed the binding of alice@example.com on npm-local.\n",
		},
		{
			name:    "delete missing binding",
			args:    []string{"bindings", "delete", "npm-local", "bob"},
			replies: []cannedReply{reply(404, `{"error":{"code":"not_found","message":"no binding for bob"}}`)},
			want:    []wantRequest{{method: "DELETE", path: "/v1/repos/npm-local/bindings/bob"}},
			code:    1,
			errHas:  []string{"error: not_found: no binding for bob"},
		},
	})
}

func TestHealth(t *testing.T) {
	// health needs no token.
	for _, tc := range []struct {
		name   string
		reply  cannedReply
		args   []string
		code   int
		stdout string
		errHas string
	}{
		{
			name:  "ready",
			reply: reply(200, `{"status":"ok","checks":{"metadata":{"status":"ok"},"blobs":{"status":"ok"}}}`),
			stdout: "Status:  ok\n" +
				"CHECK     STATUS  ERROR\n" +
				"blobs     ok      -\n" +
				"metadata  ok      -\n",
		},
		{
			name:  "not ready",
			reply: reply(503, `{"status":"unavailable","checks":{"metadata":{"status":"ok"},"blobs":{"status":"unavailable","error":"dial tcp: refused"}}}`),
			code:  1,
			stdout: "Status:  unavailable\n" +
				"CHECK     STATUS       ERROR\n" +
				"blobs     unavailable  dial tcp: refused\n" +
				"metadata  ok           -\n",
			errHas: "error: unavailable: server is not ready: failing checks blobs",
		},
		{
			name:   "not ready json",
			args:   []string{"-o", "json"},
			reply:  reply(503, `{"status":"unavailable","checks":{}}`),
			code:   1,
			stdout: "{\n  \"status\": \"unavailable\",\n  \"checks\": {}\n}\n",
		},
		{
			name:   "proxy error page",
			reply:  cannedReply{status: 502, body: "<html>bad gateway</html>", header: map[string]string{"Content-Type": "text/html"}},
			code:   1,
			errHas: "error: http_502: Bad Gateway: <html>bad gateway</html>",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := newRequestRecorder(t, tc.reply)
			res := runCommand(t, map[string]string{envURL: rec.URL()}, append([]string{"health"}, tc.args...)...)
			if res.code != tc.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", res.code, tc.code, res.stderr)
			}
			if tc.stdout != "" && res.stdout != tc.stdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", res.stdout, tc.stdout)
			}
			if !strings.Contains(res.stderr, tc.errHas) {
				t.Errorf("stderr lacks %q:\n%s", tc.errHas, res.stderr)
			}
			reqs := rec.Requests()
			checkRequests(t, reqs, []wantRequest{{method: "GET", path: "/health/ready"}})
			if len(reqs) == 1 && reqs[0].Header.Get("Authorization") != "" {
				t.Errorf("health sent credentials")
			}
		})
	}
}
