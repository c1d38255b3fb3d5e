package admincli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReposCredentials(t *testing.T) {
	path := "/v1/repos/npmjs/upstream-credentials"
	info := `{"repo":"npmjs","scheme":"basic","username":"mirror","updatedBy":"admin","updatedAt":"2026-11-27T01:00:00Z"}`
	secret := filepath.Join(t.TempDir(), "token.txt")
	if err := os.WriteFile(secret, []byte("s3cret-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runCases(t, []commandCase{
		{
			name:    "set basic from a file",
			args:    []string{"repos", "credentials", "set", "npmjs", "--username", "mirror", "--secret-file", secret},
			replies: []cannedReply{reply(200, info)},
			want:    []wantRequest{{method: "PUT", path: path, body: `{"scheme":"basic","username":"mirror","secret":"s3cret-token"}`}},
			outHas:  []string{"Scheme:      basic\n", "Username:    mirror\n"},
		},
		{
			name:    "set bearer",
			args:    []string{"repos", "credentials", "set", "npmjs", "--secret-file", secret, "-o", "json"},
			replies: []cannedReply{reply(200, strings.Replace(info, `"basic","username":"mirror"`, `"bearer"`, 1))},
			want:    []wantRequest{{method: "PUT", path: path, body: `{"scheme":"bearer","username":"","secret":"s3cret-token"}`}},
			outHas:  []string{`"scheme": "bearer"`},
		},
		{name: "set without a secret", args: []string{"repos", "credentials", "set", "npmjs"}, code: 2, errHas: []string{"missing --secret-file"}},
		{
			name:    "get",
			args:    []string{"repos", "credentials", "get", "npmjs"},
			replies: []cannedReply{reply(200, info)},
			want:    []wantRequest{{method: "GET", path: path}},
			outHas:  []string{"Updated by:  admin\n"},
		},
		{
			name:    "clear",
			args:    []string{"repos", "credentials", "clear", "npmjs"},
			replies: []cannedReply{reply(204, "")},
			want:    []wantRequest{{method: "DELETE", path: path}},
			stdout:  "Cleared the upstream credentials of npmjs.\n",
		},
		{
			name:    "on a local repository",
			args:    []string{"repos", "credentials", "set", "npm-local", "--secret-file", secret},
			replies: []cannedReply{reply(409, `{"error":{"code":"repository_not_remote","message":"repository \"npm-local\" is local; only remote repositories have an upstream"}}`)},
			want:    []wantRequest{{method: "PUT", path: "/v1/repos/npm-local/upstream-credentials", body: `{"scheme":"bearer","username":"","secret":"s3cret-token"}`}},
			code:    1,
			errHas:  []string{"error: repository_not_remote"},
		},
	})
}
