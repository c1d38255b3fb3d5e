package api_test

import (
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/artifortress/artifortress/internal/config"
	"github.com/artifortress/artifortress/internal/meta"
	"github.com/artifortress/artifortress/internal/servertest"
)

type issued struct {
	TokenID   string    `json:"tokenId"`
	Token     string    `json:"token"`
	Subject   string    `json:"subject"`
	Scopes    []string  `json:"scopes"`
	ExpiresAt time.Time `json:"expiresAt"`
}

func issue(t *testing.T, env *servertest.Env, as string, body map[string]any) issued {
	t.Helper()
	var out issued
	env.Must(t, http.StatusCreated, "POST", "/v1/auth/pats", as, body).JSON(t, &out)
	return out
}

func TestTokenLifecycle(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b)
		env.CreateRepo(t, "libs", nil)

		tok := issue(t, env, env.AdminToken, map[string]any{"subject": "ci", "scopes": []string{"repo:libs:write"}, "ttlMinutes": 90})
		if !strings.HasPrefix(tok.Token, "afp_") {
			t.Fatalf("token %q lacks the afp_ prefix", tok.Token)
		}
		if d := time.Until(tok.ExpiresAt); d < 85*time.Minute || d > 95*time.Minute {
			t.Errorf("expiresAt %s is not ~90 minutes away", tok.ExpiresAt)
		}

		t.Run("bearer and basic both work", func(t *testing.T) {
			env.Must(t, 200, "GET", "/v1/repos/libs", tok.Token, nil)
			req := env.Request(t, "GET", "/v1/auth/whoami", nil)
			req.SetBasicAuth("anything-at-all", tok.Token)
			r := env.Send(t, req)
			var who struct {
				Subject, AuthSource, TokenID string
				Scopes                       []string
			}
			r.JSON(t, &who)
			if r.Status != 200 || who.Subject != "ci" || who.AuthSource != "pat" || who.TokenID != tok.TokenID || len(who.Scopes) != 1 || who.Scopes[0] != "repo:libs:write" {
				t.Errorf("whoami over Basic: %d %s", r.Status, r.Body)
			}
		})

		t.Run("the secret is stored only as a hash", func(t *testing.T) {
			row, err := env.Server.DB().GetToken(t.Context(), tok.TokenID)
			if err != nil {
				t.Fatal(err)
			}
			secret := tok.Token[strings.LastIndex(tok.Token, "_")+1:]
			if strings.Contains(row.SecretHash, secret) || len(row.SecretHash) != 64 {
				t.Errorf("stored hash %q looks like the secret", row.SecretHash)
			}
			listed := env.Must(t, 200, "GET", "/v1/admin/auth/pats?subject=ci", env.AdminToken, nil)
			if strings.Contains(string(listed.Body), secret) || strings.Contains(string(listed.Body), row.SecretHash) {
				t.Errorf("token listing leaks the secret or its hash: %s", listed.Body)
			}
			if strings.Contains(env.Logs.String(), secret) {
				t.Errorf("the logs contain a token secret")
			}
		})

		t.Run("wrong secret, malformed and unknown tokens fail", func(t *testing.T) {
			forged := tok.Token[:len(tok.Token)-4] + "aaaa"
			if forged == tok.Token {
				forged = tok.Token[:len(tok.Token)-4] + "bbbb"
			}
			for name, bad := range map[string]string{
				"forged":    forged,
				"malformed": "not-a-token",
				"unknown":   "afp_aaaaaaaaaaaaaaaa_" + strings.Repeat("a", 52),
			} {
				r := env.Do(t, "GET", "/v1/auth/whoami", bad, nil)
				if r.Status != 401 || r.ErrorCode() != "unauthorized" || r.Header.Get("WWW-Authenticate") == "" {
					t.Errorf("%s token: %d %s", name, r.Status, r.Body)
				}
			}
			req := env.Request(t, "GET", "/v1/auth/whoami", nil)
			req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("no-colon")))
			if r := env.Send(t, req); r.Status != 401 {
				t.Errorf("basic without a password: %d", r.Status)
			}
		})

		t.Run("expired tokens fail", func(t *testing.T) {
			// The expiry is moved into the past before the token's first use
			// (a used token may be remembered for --auth-cache-ttl, with
			// its expiry; the auth package tests that path with a clock).
			old := issue(t, env, env.AdminToken, map[string]any{"subject": "old", "scopes": []string{"repo:libs:read"}})
			past := meta.Micros(time.Now().Add(-time.Second))
			if _, err := env.Server.DB().RawExec(t.Context(), "UPDATE tokens SET expires_at = ? WHERE id = ?", past, old.TokenID); err != nil {
				t.Fatal(err)
			}
			r := env.Do(t, "GET", "/v1/repos/libs", old.Token, nil)
			if r.Status != 401 || !strings.Contains(string(r.Body), "expired") {
				t.Errorf("expired token: %d %s", r.Status, r.Body)
			}
		})

		t.Run("revocation by id and by subject", func(t *testing.T) {
			a := issue(t, env, env.AdminToken, map[string]any{"subject": "bob", "scopes": []string{"repo:libs:read"}})
			b := issue(t, env, env.AdminToken, map[string]any{"subject": "bob", "scopes": []string{"repo:libs:read"}})
			c := issue(t, env, env.AdminToken, map[string]any{"subject": "carol", "scopes": []string{"repo:libs:read"}})
			// bob revokes one of his own tokens with the other.
			r := env.Must(t, 200, "POST", "/v1/auth/pats/revoke", b.Token, map[string]any{"tokenId": a.TokenID})
			if !strings.Contains(string(r.Body), `"revoked":1`) {
				t.Errorf("revoke: %s", r.Body)
			}
			if r := env.Do(t, "GET", "/v1/auth/whoami", a.Token, nil); r.Status != 401 || !strings.Contains(string(r.Body), "revoked") {
				t.Errorf("revoked token: %d %s", r.Status, r.Body)
			}
			// again: idempotent
			env.Must(t, 200, "POST", "/v1/auth/pats/revoke", b.Token, map[string]any{"tokenId": a.TokenID})
			// bob cannot touch carol's tokens, by id or by subject.
			env.Must(t, 404, "POST", "/v1/auth/pats/revoke", b.Token, map[string]any{"tokenId": c.TokenID})
			env.Must(t, 403, "POST", "/v1/auth/pats/revoke", b.Token, map[string]any{"subject": "carol"})
			env.Must(t, 200, "GET", "/v1/auth/whoami", c.Token, nil)
			// the admin revokes all of carol's.
			r = env.Must(t, 200, "POST", "/v1/auth/pats/revoke", env.AdminToken, map[string]any{"subject": "carol"})
			if !strings.Contains(string(r.Body), `"revoked":1`) {
				t.Errorf("revoke subject: %s", r.Body)
			}
			env.Must(t, 401, "GET", "/v1/auth/whoami", c.Token, nil)
			env.Must(t, 404, "POST", "/v1/auth/pats/revoke", env.AdminToken, map[string]any{"tokenId": "nosuchtoken"})
			// listing hides revoked tokens unless asked.
			var list struct{ Items []struct{ TokenID string } }
			env.Must(t, 200, "GET", "/v1/admin/auth/pats?subject=bob", env.AdminToken, nil).JSON(t, &list)
			if len(list.Items) != 1 || list.Items[0].TokenID != b.TokenID {
				t.Errorf("live tokens of bob: %+v", list.Items)
			}
			env.Must(t, 200, "GET", "/v1/admin/auth/pats?subject=bob&includeRevoked=true", env.AdminToken, nil).JSON(t, &list)
			if len(list.Items) != 2 {
				t.Errorf("all tokens of bob: %+v", list.Items)
			}
		})

		t.Run("scope escalation is refused", func(t *testing.T) {
			writer := issue(t, env, env.AdminToken, map[string]any{"subject": "dev", "scopes": []string{"repo:libs:write"}})
			for _, scopes := range [][]string{{"repo:libs:admin"}, {"repo:libs:promote"}, {"repo:*:read"}, {"admin"}, {"repo:other:read"}} {
				r := env.Do(t, "POST", "/v1/auth/pats", writer.Token, map[string]any{"subject": "dev", "scopes": scopes})
				if r.Status != 403 {
					t.Errorf("dev granting %v: %d %s", scopes, r.Status, r.Body)
				}
			}
			// a narrower scope of what it holds is fine, for itself only.
			issue(t, env, writer.Token, map[string]any{"subject": "dev", "scopes": []string{"repo:libs:read"}})
			env.Must(t, 403, "POST", "/v1/auth/pats", writer.Token, map[string]any{"subject": "someone-else", "scopes": []string{"repo:libs:read"}})
			// a role binding is held too, and can be delegated.
			env.Must(t, 200, "PUT", "/v1/repos/libs/bindings/dev", env.AdminToken, map[string]any{"roles": []string{"promote"}})
			issue(t, env, writer.Token, map[string]any{"subject": "dev", "scopes": []string{"repo:libs:promote"}})
		})

		t.Run("ttl is bounded", func(t *testing.T) {
			r := env.Do(t, "POST", "/v1/auth/pats", env.AdminToken, map[string]any{"subject": "x", "scopes": []string{"admin"}, "ttlMinutes": 366 * 24 * 60})
			if r.Status != 400 || !strings.Contains(string(r.Body), "ttlMinutes") {
				t.Errorf("ttl over the maximum: %d %s", r.Status, r.Body)
			}
			def := issue(t, env, env.AdminToken, map[string]any{"subject": "x", "scopes": []string{"admin"}})
			if d := time.Until(def.ExpiresAt); d < 29*24*time.Hour || d > 31*24*time.Hour {
				t.Errorf("default ttl gives expiry %s", def.ExpiresAt)
			}
		})
	})
}

func TestLastUsedIsBatched(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b)
		tok := issue(t, env, env.AdminToken, map[string]any{"subject": "u", "scopes": []string{"repo:*:read"}})
		for range 5 {
			env.Must(t, 200, "GET", "/v1/repos", tok.Token, nil)
		}
		row, err := env.Server.DB().GetToken(t.Context(), tok.TokenID)
		if err != nil {
			t.Fatal(err)
		}
		if row.LastUsedAt != nil {
			t.Fatalf("last use written on the request path: %v", row.LastUsedAt)
		}
		if err := env.Server.Auth().Usage().Flush(t.Context(), env.Server.DB()); err != nil {
			t.Fatal(err)
		}
		row, err = env.Server.DB().GetToken(t.Context(), tok.TokenID)
		if err != nil {
			t.Fatal(err)
		}
		if row.LastUsedAt == nil || time.Since(*row.LastUsedAt) > time.Minute {
			t.Fatalf("last use after flush: %v", row.LastUsedAt)
		}
	})
}

func TestBootstrapTokenSetting(t *testing.T) {
	secret := strings.Repeat("s3cr3t-", 6)
	env := servertest.Start(t, servertest.Backends()[0], func(c *config.Config) { c.BootstrapToken = secret })
	var who struct{ Subject, AuthSource string }
	env.Must(t, 200, "GET", "/v1/auth/whoami", secret, nil).JSON(t, &who)
	if who.Subject != "admin" || who.AuthSource != "bootstrap" {
		t.Errorf("bootstrap whoami: %+v", who)
	}
	env.Must(t, 401, "GET", "/v1/auth/whoami", secret+"x", nil)
	if _, err := os.Stat(filepath.Join(env.DataDir, "initial-admin-token")); !os.IsNotExist(err) {
		t.Errorf("an initial token file was written although a bootstrap secret is set: %v", err)
	}
}

func TestTokensCannotOutliveTheirIssuer(t *testing.T) {
	env := servertest.Start(t, servertest.Backends()[0])
	env.CreateRepo(t, "libs", nil)
	short := issue(t, env, env.AdminToken, map[string]any{"subject": "dev", "scopes": []string{"repo:libs:write"}, "ttlMinutes": 60})
	r := env.Do(t, "POST", "/v1/auth/pats", short.Token, map[string]any{"subject": "dev", "scopes": []string{"repo:libs:read"}, "ttlMinutes": 24 * 60})
	if r.Status != 400 || !strings.Contains(string(r.Body), "outlive") {
		t.Errorf("longer-lived child token: %d %s", r.Status, r.Body)
	}
	child := issue(t, env, short.Token, map[string]any{"subject": "dev", "scopes": []string{"repo:libs:read"}})
	if child.ExpiresAt.After(short.ExpiresAt) {
		t.Errorf("default lifetime %s outlives the issuer's %s", child.ExpiresAt, short.ExpiresAt)
	}
	// The audit trail names the credential, not only the subject.
	var page struct {
		Items []struct{ Actor, ActorVia, Action string }
	}
	env.Must(t, 200, "GET", "/v1/audit?action=token.issue&limit=1", env.AdminToken, nil).JSON(t, &page)
	if len(page.Items) != 1 || page.Items[0].ActorVia != "pat:"+short.TokenID {
		t.Errorf("audit actorVia: %+v", page.Items)
	}
}
