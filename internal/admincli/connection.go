package admincli

import (
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// Connection is how a command reaches the server: the base URL, the token
// and the time limit of each request. The admin tree and the transfer
// commands (artifortress push and pull) share it, so they take the same
// flags and environment variables.
//
// The URL comes from URL (--url), else $ARTIFORTRESS_URL, else
// http://127.0.0.1:8080; the token from Token (--token), else
// $ARTIFORTRESS_TOKEN.
type Connection struct {
	URL     string
	Token   string
	Timeout time.Duration // 0: no limit
	// UserAgent is the product name sent in the User-Agent header, followed
	// by "/" and Version; "" means "artifortress-admin".
	UserAgent string
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
}

// AddFlags registers --url, --token and --timeout (default 30s) on fs,
// bound to c.
func (c *Connection) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.URL, "url", "", "server base `URL` (default $"+envURL+", else "+defaultURL+")")
	fs.StringVar(&c.Token, "token", "", "personal access `token` (default $"+envToken+"; prefer the variable, a flag value shows in ps)")
	fs.DurationVar(&c.Timeout, "timeout", 30*time.Second, "time limit of each request, e.g. 10s or 2m (0: none)")
}

// Client validates the settings and returns a client for them. A token is
// required unless anonymous is set. Invalid settings (a negative timeout, a
// URL that is not an absolute http or https URL without credentials, no
// token) are reported as *UsageError; nothing is sent.
func (c *Connection) Client(anonymous bool) (*Client, error) {
	getenv := c.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if c.Timeout < 0 {
		return nil, usageErrorf("invalid --timeout %s: must not be negative (0 disables it)", c.Timeout)
	}
	raw := c.URL
	if raw == "" {
		raw = getenv(envURL)
	}
	if raw == "" {
		raw = defaultURL
	}
	base, err := parseBaseURL(raw)
	if err != nil {
		return nil, err
	}
	token := ""
	if !anonymous {
		token = strings.TrimSpace(c.Token)
		if token == "" {
			token = strings.TrimSpace(getenv(envToken))
		}
		if token == "" {
			return nil, usageErrorf("no token: set %s (preferred) or pass --token", envToken)
		}
	}
	cl := newClient(base, token, c.Timeout)
	if c.UserAgent != "" {
		cl.agent = c.UserAgent
	}
	return cl, nil
}
