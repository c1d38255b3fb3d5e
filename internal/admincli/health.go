package admincli

import (
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/spf13/cobra"
)

// readyResponse is the answer of GET /health/ready (200 or 503).
type readyResponse struct {
	Status string `json:"status"`
	Checks map[string]struct {
		Status string `json:"status"`
		Error  string `json:"error"`
	} `json:"checks"`
}

func newHealthCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "health",
		Short: "Check whether the server is ready (no token needed)",
		Long: `Ask the server's unauthenticated readiness endpoint (/health/ready) whether it
and its dependencies (metadata store, blob store) answer. Exits 1 when the server
is not ready or cannot be reached.`,
		Example: `  artifortress admin health
  artifortress admin health --url https://artifacts.example.com -o json`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := o.session(cmd, true)
			if err != nil {
				return err
			}
			resp, err := s.client.send(s.ctx, http.MethodGet, "/health/ready", nil, nil)
			if err != nil {
				return err
			}
			if resp.status != http.StatusOK && resp.status != http.StatusServiceUnavailable {
				return apiError(resp.status, resp.header, resp.body)
			}
			var res readyResponse
			if err := json.Unmarshal(resp.body, &res); err != nil {
				// A 503 from a proxy in front of the server, say.
				return apiError(resp.status, resp.header, resp.body)
			}
			if err := s.print(resp.body, func(w io.Writer) error { return writeReady(w, &res) }); err != nil {
				return err
			}
			if resp.status != http.StatusOK {
				var failing []string
				for name, c := range res.Checks {
					if c.Status != "ok" {
						failing = append(failing, name)
					}
				}
				sort.Strings(failing)
				msg := "server is not ready"
				if len(failing) > 0 {
					msg += ": failing checks " + strings.Join(failing, ", ")
				}
				return &APIError{Status: resp.status, Code: orDefault(res.Status, "unavailable"), Message: msg, RequestID: resp.header.Get("X-Request-Id")}
			}
			return nil
		},
	}
}

func writeReady(w io.Writer, res *readyResponse) error {
	if err := writeFields(w, [][2]string{{"Status", res.Status}}); err != nil {
		return err
	}
	if len(res.Checks) == 0 {
		return nil
	}
	names := make([]string, 0, len(res.Checks))
	for name := range res.Checks {
		names = append(names, name)
	}
	sort.Strings(names)
	t := newTable(w, "CHECK", "STATUS", "ERROR")
	for _, name := range names {
		c := res.Checks[name]
		t.row(name, c.Status, c.Error)
	}
	return t.flush()
}
