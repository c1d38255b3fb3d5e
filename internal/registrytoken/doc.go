// Package registrytoken mints and checks the short-lived bearer tokens of the
// OCI registry at /v2/ (ADR 0010 §4), following Distribution's token
// specification (docs/content/spec/auth/token.md, scope.md and jwt.md):
//
//	client ── GET /v2/<name>/… ─────────────▶ 401 WWW-Authenticate: Bearer realm, service, scope
//	client ── GET /v2/token?service&scope ──▶ ParseScopes → Grant (∩ the caller's roles) → Issue
//	client ── GET /v2/<name>/… Bearer <jwt> ▶ Verify → tid → principal → Claims.Allows and roles
//
// The registry is its own token server, so a token only has to be checked by
// the nodes of one deployment. It is therefore an HS256 JWT signed with one
// 32-byte key that every node reads from the metadata store (LoadOrCreateKey);
// no third party needs a public key (RS256/ES256 were rejected in the ADR).
//
// JWS handling uses github.com/go-jose/go-jose/v4, the JWT library that
// DESIGN.md §4 chose and that the OIDC code will share, rather than a
// hand-written HMAC over base64 segments. go-jose refuses at parse time any
// algorithm but the one listed (so "alg":"none" and algorithm confusion
// cannot reach the MAC check), compares MACs in constant time and bounds
// numeric dates. This package adds what go-jose leaves to its caller: a
// key-id check, required exp and aud claims, and one stable error value per
// reason a token is refused, so the HTTP layer can answer 401 without parsing
// messages.
//
// A token proves what was granted when it was minted, not what the caller
// may do now: the handler still rebuilds the principal from the tid claim
// and checks its roles, so a revoked personal access token stops working
// within the auth cache TTL even while its registry tokens are unexpired.
package registrytoken
