package registrytoken

import "errors"

// Reasons Verify refuses a token. Each is a stable value for errors.Is; the
// HTTP layer answers all of them with 401 and a fresh challenge. None of the
// messages repeats the token or the key.
var (
	// ErrMalformed: not a compact JWS, bad base64 or JSON, or a required
	// claim (exp, aud) is missing.
	ErrMalformed = errors.New("registry token is malformed")
	// ErrBadSignature: not signed with HS256 (alg "none" included), signed
	// with another key id, or the MAC does not match.
	ErrBadSignature = errors.New("registry token was not signed by this registry")
	// ErrExpired: the token's exp is more than Leeway in the past.
	ErrExpired = errors.New("registry token has expired; ask /v2/token for a new one")
	// ErrNotYetValid: nbf or iat is more than Leeway in the future, which
	// means the nodes' clocks disagree.
	ErrNotYetValid = errors.New("registry token is not valid yet; check the servers' clocks")
	// ErrWrongAudience: the token was issued for another service.
	ErrWrongAudience = errors.New("registry token was issued for another service")
)
