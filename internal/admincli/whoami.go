package admincli

import (
	"io"
	"net/http"
	"strings"

	"github.com/spf13/cobra"
)

// whoamiResponse is the answer of GET /v1/auth/whoami.
type whoamiResponse struct {
	Subject    string   `json:"subject"`
	Scopes     []string `json:"scopes"`
	AuthSource string   `json:"authSource"`
	TokenID    string   `json:"tokenId"`
}

func newWhoamiCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "whoami",
		Short: "Show the subject and scopes of the current token",
		Long: `Show who the server thinks you are: the subject, the scopes and the source of
the credentials (pat or bootstrap) of the current token.`,
		Example: `  ARTIFORTRESS_TOKEN=afp_... artifortress admin whoami
  artifortress admin whoami -o json`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var res whoamiResponse
			raw, err := s.client.Call(s.ctx, http.MethodGet, "/v1/auth/whoami", nil, nil, &res)
			if err != nil {
				return err
			}
			return s.print(raw, func(w io.Writer) error {
				return writeFields(w, [][2]string{
					{"Subject", res.Subject},
					{"Auth source", res.AuthSource},
					{"Token ID", res.TokenID},
					{"Scopes", strings.Join(res.Scopes, ", ")},
				})
			})
		},
	}
}
