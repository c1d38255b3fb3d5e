package admincli

import "testing"

func TestVersionsDeprecate(t *testing.T) {
	path := "/v1/repos/pypi-local/packages/pkg/versions/1.0/deprecation"
	runCases(t, []commandCase{
		{
			name:    "yank with a reason",
			args:    []string{"versions", "yank", "pypi-local", "pkg", "1.0", "--message", "broken build"},
			replies: []cannedReply{reply(200, `{"version":"1.0","message":"broken build","changed":true}`)},
			want:    []wantRequest{{method: "PUT", path: path, body: `{"message":"broken build"}`}},
			stdout:  "Deprecated pkg 1.0.\n",
		},
		{
			name:    "clear",
			args:    []string{"versions", "deprecate", "pypi-local", "pkg", "1.0", "--clear"},
			replies: []cannedReply{reply(200, `{"version":"1.0","message":"","changed":true}`)},
			want:    []wantRequest{{method: "PUT", path: path, body: `{"message":""}`}},
			stdout:  "Cleared the deprecation of pkg 1.0.\n",
		},
		{name: "neither", args: []string{"versions", "deprecate", "pypi-local", "pkg", "1.0"}, code: 2, errHas: []string{"give --message TEXT, or --clear"}},
		{name: "both", args: []string{"versions", "deprecate", "pypi-local", "pkg", "1.0", "--message", "x", "--clear"}, code: 2, errHas: []string{"give --message TEXT, or --clear"}},
	})
}
