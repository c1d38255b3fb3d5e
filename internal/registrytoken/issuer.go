package registrytoken

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

const (
	// KeySize is the length of the HMAC key: RFC 7518 §3.2 wants at least
	// the hash size for HS256.
	KeySize = 32
	// DefaultTTL is how long a token lives when Issue is given no Expiry:
	// the expires_in of 300 s that ADR 0010 answers with.
	DefaultTTL = 5 * time.Minute
	// Leeway is the clock difference between nodes that Verify tolerates on
	// exp, nbf and iat.
	Leeway = 30 * time.Second
	// maxTokenLength refuses absurd Authorization headers before any
	// decoding. A token for MaxScopes long names stays well below it.
	maxTokenLength = 64 << 10
)

// Issuer signs and verifies registry tokens with one HMAC key. It is safe
// for concurrent use.
type Issuer struct {
	key    []byte
	kid    string
	signer jose.Signer
}

// NewIssuer returns an Issuer for a key of at least KeySize bytes and its
// key id (see LoadOrCreateKey). The key is copied.
func NewIssuer(key []byte, kid string) (*Issuer, error) {
	if len(key) < KeySize {
		return nil, fmt.Errorf("registry token key: %d bytes, need at least %d", len(key), KeySize)
	}
	if kid == "" {
		return nil, errors.New("registry token key: empty key id")
	}
	key = slices.Clone(key)
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), kid)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: key}, opts)
	if err != nil {
		return nil, fmt.Errorf("registry token signer: %w", err)
	}
	return &Issuer{key: key, kid: kid, signer: signer}, nil
}

// KeyID returns the kid every token of this Issuer carries.
func (is *Issuer) KeyID() string { return is.kid }

// payload is the JWT claim set on the wire.
type payload struct {
	jwt.Claims
	Access  []Access `json:"access"`
	TokenID string   `json:"tid,omitempty"`
}

// Issue signs c as a compact HS256 JWT. Audience is required. Zero fields are
// filled in: IssuedAt with the current time, NotBefore with IssuedAt, Expiry
// with IssuedAt+DefaultTTL, ID with 128 random bits. A nil Access becomes an
// empty list.
func (is *Issuer) Issue(c Claims) (string, error) {
	if c.Audience == "" {
		return "", errors.New("registry token: the audience (service) is required")
	}
	if c.IssuedAt.IsZero() {
		c.IssuedAt = time.Now()
	}
	if c.NotBefore.IsZero() {
		c.NotBefore = c.IssuedAt
	}
	if c.Expiry.IsZero() {
		c.Expiry = c.IssuedAt.Add(DefaultTTL)
	}
	if !c.Expiry.After(c.NotBefore) {
		return "", errors.New("registry token: expiry must be after not-before")
	}
	if c.ID == "" {
		c.ID = randomID()
	}
	if c.Access == nil {
		c.Access = []Access{}
	}
	p := payload{
		Claims: jwt.Claims{
			Issuer:    c.Issuer,
			Subject:   c.Subject,
			Audience:  jwt.Audience{c.Audience},
			Expiry:    jwt.NewNumericDate(c.Expiry),
			NotBefore: jwt.NewNumericDate(c.NotBefore),
			IssuedAt:  jwt.NewNumericDate(c.IssuedAt),
			ID:        c.ID,
		},
		Access:  c.Access,
		TokenID: c.TokenID,
	}
	body, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("registry token: encode claims: %w", err)
	}
	jws, err := is.signer.Sign(body)
	if err != nil {
		return "", fmt.Errorf("registry token: sign: %w", err)
	}
	return jws.CompactSerialize()
}

// Verify checks, in this order, that token is a compact JWS signed with
// HS256, carries this Issuer's kid, has a valid MAC, is for service, and is
// valid at now give or take Leeway. It returns the claims, or an error
// matching exactly one of ErrMalformed, ErrBadSignature, ErrWrongAudience,
// ErrExpired and ErrNotYetValid. now comes from the caller, so that its clock
// (and a test's) decides, not this package's.
func (is *Issuer) Verify(token, service string, now time.Time) (Claims, error) {
	if len(token) > maxTokenLength {
		return Claims{}, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, maxTokenLength)
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.HS256})
	if err != nil {
		if _, ok := errors.AsType[*jose.ErrUnexpectedSignatureAlgorithm](err); ok {
			return Claims{}, fmt.Errorf("%w: only HS256 is accepted", ErrBadSignature)
		}
		return Claims{}, fmt.Errorf("%w: not a compact JWS", ErrMalformed)
	}
	if jws.Signatures[0].Header.KeyID != is.kid {
		return Claims{}, fmt.Errorf("%w: unknown key id", ErrBadSignature)
	}
	body, err := jws.Verify(is.key)
	if err != nil {
		return Claims{}, ErrBadSignature
	}
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		return Claims{}, fmt.Errorf("%w: claims are not a valid JSON object", ErrMalformed)
	}
	if p.Expiry == nil || len(p.Audience) == 0 {
		return Claims{}, fmt.Errorf("%w: exp and aud are required", ErrMalformed)
	}
	if service == "" || !p.Audience.Contains(service) {
		return Claims{}, ErrWrongAudience
	}
	switch err := p.ValidateWithLeeway(jwt.Expected{Time: now}, Leeway); {
	case errors.Is(err, jwt.ErrExpired):
		return Claims{}, ErrExpired
	case errors.Is(err, jwt.ErrNotValidYet), errors.Is(err, jwt.ErrIssuedInTheFuture):
		return Claims{}, ErrNotYetValid
	case err != nil:
		return Claims{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return Claims{
		Issuer:    p.Issuer,
		Subject:   p.Subject,
		Audience:  service,
		IssuedAt:  dateTime(p.IssuedAt),
		NotBefore: dateTime(p.NotBefore),
		Expiry:    dateTime(p.Expiry),
		ID:        p.ID,
		Access:    p.Access,
		TokenID:   p.TokenID,
	}, nil
}

// dateTime converts an optional NumericDate to UTC, the zero time if absent.
func dateTime(d *jwt.NumericDate) time.Time {
	if d == nil {
		return time.Time{}
	}
	return d.Time().UTC()
}

// randomID returns 128 random bits, base64url without padding.
func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}
