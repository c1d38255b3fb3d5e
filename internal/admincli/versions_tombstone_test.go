package admincli

import (
	"strings"
	"testing"
)

func TestVersionsDeleteAndRestore(t *testing.T) {
	base := "/v1/repos/npm-local/packages/versions/" + testVersionID
	tombstoned := strings.Replace(publishedBody, `"state":"published"`, `"state":"tombstoned"`, 1)
	tombstoned = strings.TrimSuffix(tombstoned, "}") + `,"tombstonedAt":"2026-11-27T01:00:00Z","tombstonedBy":"alice","tombstoneReason":"leaked key",` +
		`"restorableUntil":"2026-12-27T01:00:00Z","idempotent":false}`
	runCases(t, []commandCase{
		{
			name:    "delete with a reason",
			args:    []string{"versions", "delete", "npm-local", testVersionID, "--reason", "leaked key"},
			replies: []cannedReply{reply(200, tombstoned)},
			want:    []wantRequest{{method: "DELETE", path: base, query: "reason=leaked+key"}},
			outHas: []string{"State:               tombstoned\n", "Tombstoned by:       alice\n", "Tombstone reason:    leaked key\n",
				"Restorable until:    2026-12-27T01:00:00Z\n", "Already tombstoned:  false\n"},
		},
		{
			name:    "delete a draft",
			args:    []string{"versions", "delete", "npm-local", testVersionID},
			replies: []cannedReply{reply(204, "")},
			want:    []wantRequest{{method: "DELETE", path: base}},
			stdout:  "Discarded draft " + testVersionID + ".\n",
		},
		{
			name:    "delete without admin",
			args:    []string{"versions", "tombstone", "npm-local", testVersionID},
			replies: []cannedReply{reply(403, `{"error":{"code":"forbidden","message":"deleting a published version needs the admin role on repository \"npm-local\""}}`)},
			want:    []wantRequest{{method: "DELETE", path: base}},
			code:    1,
			errHas:  []string{"error: forbidden: deleting a published version needs the admin role"},
		},
		{name: "delete bad id", args: []string{"versions", "delete", "npm-local", "latest"}, code: 2, errHas: []string{`invalid VERSION_ID "latest"`}},
		{
			name:    "restore",
			args:    []string{"versions", "restore", "npm-local", testVersionID, "-o", "json"},
			replies: []cannedReply{reply(200, strings.TrimSuffix(publishedBody, "}")+`,"idempotent":false}`)},
			want:    []wantRequest{{method: "POST", path: base + "/restore"}},
			outHas:  []string{`"state": "published"`, `"idempotent": false`},
		},
		{
			name:    "restore past the retention window",
			args:    []string{"versions", "restore", "npm-local", testVersionID},
			replies: []cannedReply{reply(409, `{"error":{"code":"retention_expired","message":"version 1.4.2 could be restored until 2026-12-27T01:00:00Z","details":{"restorableUntil":"2026-12-27T01:00:00Z"}}}`)},
			want:    []wantRequest{{method: "POST", path: base + "/restore"}},
			code:    1,
			errHas:  []string{"error: retention_expired: version 1.4.2 could be restored until 2026-12-27T01:00:00Z"},
		},
	})
}
