package admincli

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/spf13/cobra"
)

// patCreateRequest is the body of POST /v1/auth/pats.
type patCreateRequest struct {
	Subject    string   `json:"subject"`
	Scopes     []string `json:"scopes"`
	TTLMinutes int      `json:"ttlMinutes,omitempty"`
}

// patCreateResponse is the 201 answer of POST /v1/auth/pats.
type patCreateResponse struct {
	TokenID   string   `json:"tokenId"`
	Token     string   `json:"token"`
	Subject   string   `json:"subject"`
	Scopes    []string `json:"scopes"`
	ExpiresAt string   `json:"expiresAt"`
}

// patRevokeRequest is the body of POST /v1/auth/pats/revoke: exactly one
// field is set.
type patRevokeRequest struct {
	TokenID string `json:"tokenId,omitempty"`
	Subject string `json:"subject,omitempty"`
}

// patInfo is one item of GET /v1/admin/auth/pats.
type patInfo struct {
	TokenID    string   `json:"tokenId"`
	Subject    string   `json:"subject"`
	Scopes     []string `json:"scopes"`
	CreatedBy  string   `json:"createdBy"`
	CreatedAt  string   `json:"createdAt"`
	ExpiresAt  string   `json:"expiresAt"`
	LastUsedAt string   `json:"lastUsedAt"`
	RevokedAt  string   `json:"revokedAt"`
}

func newPatsCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "pats",
		Aliases: []string{"pat", "tokens"},
		Short:   "Issue, list and revoke personal access tokens",
		Example: `  artifortress admin pats create --subject ci-bot --scope repo:npm-local:write --ttl 24h
  artifortress admin pats list --subject ci-bot
  artifortress admin pats revoke --id k3v9x2m4q8r1`,
		Args: cobra.NoArgs,
		RunE: showHelp,
	}
	cmd.AddCommand(newPatsCreateCommand(o), newPatsRevokeCommand(o), newPatsListCommand(o))
	return cmd
}

func newPatsCreateCommand(o *options) *cobra.Command {
	var (
		subject    string
		scopes     []string
		ttl        time.Duration
		ttlMinutes int
	)
	cmd := &cobra.Command{
		Use:   "create --subject SUBJECT --scope SCOPE... [--ttl DURATION | --ttl-minutes N]",
		Short: "Issue a personal access token",
		Long: `Issue a personal access token for a subject. The caller must hold every scope it
grants; callers that are not global administrators may only issue tokens for their
own subject.

Scopes: admin, repo:<key>:<role>, repo:*:<role> (roles: read, write, promote, admin).
Without --ttl or --ttl-minutes the server's default applies (30 days).

The secret is shown once: store it right away, the server keeps only its hash.
In scripts, read it with -o json, e.g. jq -r .token.`,
		Example: `  artifortress admin pats create --subject ci-bot --scope repo:npm-local:write --ttl 24h
  artifortress admin pats create --subject release --scope 'repo:*:promote' --ttl-minutes 90
  TOKEN=$(artifortress admin pats create --subject ci-bot --scope repo:npm-local:read -o json | jq -r .token)`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := patCreateRequest{Subject: subject, Scopes: scopes}
			if subject == "" {
				return usageErrorf("--subject is required")
			}
			if len(scopes) == 0 {
				return usageErrorf("at least one --scope is required")
			}
			ttlSet, minutesSet := cmd.Flags().Changed("ttl"), cmd.Flags().Changed("ttl-minutes")
			switch {
			case ttlSet && minutesSet:
				return usageErrorf("--ttl and --ttl-minutes are mutually exclusive")
			case ttlSet:
				if ttl <= 0 {
					return usageErrorf("invalid --ttl %s: must be positive", ttl)
				}
				if ttl%time.Minute != 0 {
					return usageErrorf("invalid --ttl %s: the API takes whole minutes", ttl)
				}
				req.TTLMinutes = int(ttl / time.Minute)
			case minutesSet:
				if ttlMinutes <= 0 {
					return usageErrorf("invalid --ttl-minutes %d: must be positive", ttlMinutes)
				}
				req.TTLMinutes = ttlMinutes
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var res patCreateResponse
			raw, err := s.client.Call(s.ctx, http.MethodPost, "/v1/auth/pats", nil, req, &res)
			if err != nil {
				return err
			}
			return s.print(raw, func(w io.Writer) error {
				if err := writeFields(w, [][2]string{
					{"Token ID", res.TokenID},
					{"Subject", res.Subject},
					{"Scopes", join(res.Scopes)},
					{"Expires", res.ExpiresAt},
				}); err != nil {
					return err
				}
				if _, err := fmt.Fprintf(w, "\n%s\n\n", sanitize(res.Token)); err != nil {
					return err
				}
				_, err := fmt.Fprintln(s.errOut, "This token is shown only once: store it now, it cannot be retrieved again.")
				return err
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&subject, "subject", "", "`subject` the token authenticates as (required)")
	f.StringArrayVar(&scopes, "scope", nil, "`scope` to grant, repeatable (required): admin, repo:<key>:<role>, repo:*:<role>")
	f.DurationVar(&ttl, "ttl", 0, "lifetime as a Go duration in whole minutes, e.g. 90m, 24h, 720h")
	f.IntVar(&ttlMinutes, "ttl-minutes", 0, "lifetime in minutes")
	return cmd
}

func newPatsRevokeCommand(o *options) *cobra.Command {
	var id, subject string
	cmd := &cobra.Command{
		Use:   "revoke (--id TOKEN_ID | --subject SUBJECT)",
		Short: "Revoke one token, or every token of a subject",
		Long: `Revoke a token by id, or all tokens of a subject. A caller may revoke its own
subject's tokens; a global administrator may revoke any. Revoking an already
revoked token is not an error (0 revoked); an unknown token id is.`,
		Example: `  artifortress admin pats revoke --id k3v9x2m4q8r1
  artifortress admin pats revoke --subject ci-bot`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			idSet, subjectSet := cmd.Flags().Changed("id"), cmd.Flags().Changed("subject")
			if idSet == subjectSet {
				return usageErrorf("give exactly one of --id and --subject")
			}
			if (idSet && id == "") || (subjectSet && subject == "") {
				return usageErrorf("--id and --subject must not be empty")
			}
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			var res struct {
				Revoked int `json:"revoked"`
			}
			raw, err := s.client.Call(s.ctx, http.MethodPost, "/v1/auth/pats/revoke", nil, patRevokeRequest{TokenID: id, Subject: subject}, &res)
			if err != nil {
				return err
			}
			return s.print(raw, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "Revoked %d token(s).\n", res.Revoked)
				return err
			})
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "`id` of the token to revoke (the part after afp_)")
	cmd.Flags().StringVar(&subject, "subject", "", "revoke every token of this `subject`")
	return cmd
}

func newPatsListCommand(o *options) *cobra.Command {
	var (
		subject        string
		includeRevoked bool
	)
	cmd := &cobra.Command{
		Use:   "list [--subject SUBJECT] [--include-revoked]",
		Short: "List tokens (global administrators)",
		Long: `List personal access tokens, without their secrets. Last-use times are flushed
by the server in batches, so they may lag by about 30 seconds.`,
		Example: `  artifortress admin pats list
  artifortress admin pats list --subject ci-bot --include-revoked -o json`,
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := o.session(cmd, false)
			if err != nil {
				return err
			}
			q := url.Values{}
			if subject != "" {
				q.Set("subject", subject)
			}
			if includeRevoked {
				q.Set("includeRevoked", "true")
			}
			var res struct {
				Items []patInfo `json:"items"`
			}
			raw, err := s.client.Call(s.ctx, http.MethodGet, "/v1/admin/auth/pats", q, nil, &res)
			if err != nil {
				return err
			}
			return s.print(raw, func(w io.Writer) error {
				t := newTable(w, "TOKEN ID", "SUBJECT", "SCOPES", "EXPIRES", "LAST USED", "REVOKED")
				for _, p := range res.Items {
					t.row(p.TokenID, p.Subject, join(p.Scopes), p.ExpiresAt, orDefault(p.LastUsedAt, "never"), p.RevokedAt)
				}
				return t.flush()
			})
		},
	}
	cmd.Flags().StringVar(&subject, "subject", "", "only the tokens of this `subject`")
	cmd.Flags().BoolVar(&includeRevoked, "include-revoked", false, "include revoked tokens")
	return cmd
}
