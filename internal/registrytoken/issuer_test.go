package registrytoken

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

const service = "registry.example.test"

var (
	testKey = bytes.Repeat([]byte{0x5a}, KeySize)
	// t0 has nanoseconds so that truncation to JWT seconds is exercised.
	t0 = time.Date(2026, 11, 27, 12, 0, 0, 123456789, time.UTC)
)

func newIssuer(t *testing.T, key []byte, kid string) *Issuer {
	t.Helper()
	is, err := NewIssuer(key, kid)
	if err != nil {
		t.Fatal(err)
	}
	return is
}

// sampleClaims is a token for a caller that pulls and pushes team/app.
func sampleClaims() Claims {
	return Claims{
		Issuer:    "artifortress",
		Subject:   "alice",
		Audience:  service,
		IssuedAt:  t0,
		NotBefore: t0,
		Expiry:    t0.Add(DefaultTTL),
		ID:        "jti-1",
		Access:    []Access{{Type: "repository", Name: "team/app", Actions: []string{"pull", "push"}}},
		TokenID:   "pat-123",
	}
}

func issue(t *testing.T, is *Issuer, c Claims) string {
	t.Helper()
	tok, err := is.Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

var tokenErrors = []error{ErrMalformed, ErrBadSignature, ErrExpired, ErrNotYetValid, ErrWrongAudience}

// wantRefused checks that err is want and none of the other token errors, and
// that its message repeats neither the token nor the key.
func wantRefused(t *testing.T, err, want error, token string) {
	t.Helper()
	for _, e := range tokenErrors {
		if errors.Is(err, e) != (e == want) {
			t.Fatalf("error %v: errors.Is(%v) = %v", err, e, errors.Is(err, e))
		}
	}
	msg := err.Error()
	if token != "" && strings.Contains(msg, token) || strings.Contains(msg, hex.EncodeToString(testKey)) {
		t.Errorf("error message %q leaks the token or the key", msg)
	}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// forge builds a compact JWS from a header and claims of our own choosing,
// MACed with key under h (nil: no signature), as an attacker or a buggy
// issuer would.
func forge(t *testing.T, header, claims any, key []byte, h func() hash.Hash) string {
	t.Helper()
	enc := func(v any) string {
		if s, ok := v.(string); ok {
			return b64([]byte(s))
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b64(b)
	}
	input := enc(header) + "." + enc(claims)
	if h == nil {
		return input + "."
	}
	m := hmac.New(h, key)
	m.Write([]byte(input))
	return input + "." + b64(m.Sum(nil))
}

func validPayload() map[string]any {
	return map[string]any{
		"iss": "artifortress", "sub": "alice", "aud": service,
		"exp": t0.Add(DefaultTTL).Unix(), "nbf": t0.Unix(), "iat": t0.Unix(), "jti": "x",
		"access": []Access{{Type: "repository", Name: "team/app", Actions: []string{"pull", "push", "delete"}}},
	}
}

func TestRoundTrip(t *testing.T) {
	is := newIssuer(t, testKey, "kid-1")
	c := sampleClaims()
	got, err := is.Verify(issue(t, is, c), service, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	want := c
	want.IssuedAt = t0.Truncate(time.Second)
	want.NotBefore = want.IssuedAt
	want.Expiry = t0.Add(DefaultTTL).Truncate(time.Second)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Verify = %+v\nwant     %+v", got, want)
	}
	if !got.Allows("repository", "team/app", "push") || got.Allows("repository", "team/app", "delete") {
		t.Errorf("round-tripped access %+v", got.Access)
	}
}

func TestIssueHeaderAndClaimNames(t *testing.T) {
	is := newIssuer(t, testKey, "kid-1")
	c := sampleClaims()
	c.Subject, c.TokenID, c.Access = "", "", nil // anonymous, nothing granted
	parts := strings.Split(issue(t, is, c), ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts, want 3", len(parts))
	}
	var header map[string]any
	decodeSegment(t, parts[0], &header)
	if want := map[string]any{"alg": "HS256", "kid": "kid-1", "typ": "JWT"}; !reflect.DeepEqual(header, want) {
		t.Errorf("header = %v, want %v", header, want)
	}
	var claims map[string]any
	decodeSegment(t, parts[1], &claims)
	want := map[string]any{
		"iss": "artifortress", "aud": service, "jti": "jti-1",
		"iat": float64(t0.Unix()), "nbf": float64(t0.Unix()), "exp": float64(t0.Add(DefaultTTL).Unix()),
		"access": []any{}, // Distribution's clients expect a list, never null
	}
	if !reflect.DeepEqual(claims, want) {
		t.Errorf("claims = %v, want %v", claims, want)
	}
}

func decodeSegment(t *testing.T, seg string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func TestIssueDefaults(t *testing.T) {
	is := newIssuer(t, testKey, "kid-1")
	got, err := is.Verify(issue(t, is, Claims{Audience: service, IssuedAt: t0}), service, t0)
	if err != nil {
		t.Fatal(err)
	}
	if sec := t0.Truncate(time.Second); !got.NotBefore.Equal(sec) || !got.Expiry.Equal(sec.Add(DefaultTTL)) {
		t.Errorf("nbf %v exp %v, want %v and +%v", got.NotBefore, got.Expiry, sec, DefaultTTL)
	}
	if len(got.ID) < 20 {
		t.Errorf("jti %q is not a random id", got.ID)
	}
	other, err := is.Verify(issue(t, is, Claims{Audience: service, IssuedAt: t0}), service, t0)
	if err != nil {
		t.Fatal(err)
	}
	if other.ID == got.ID {
		t.Errorf("two tokens share jti %q", got.ID)
	}
	// With no IssuedAt the token starts now.
	now := time.Now()
	if _, err := is.Verify(issue(t, is, Claims{Audience: service}), service, now); err != nil {
		t.Errorf("token issued now: %v", err)
	}
}

func TestIssueRefuses(t *testing.T) {
	is := newIssuer(t, testKey, "kid-1")
	for name, c := range map[string]Claims{
		"no audience":             {IssuedAt: t0},
		"expiry before start":     {Audience: service, IssuedAt: t0, Expiry: t0.Add(-time.Second)},
		"expiry equal not-before": {Audience: service, IssuedAt: t0, NotBefore: t0.Add(time.Minute), Expiry: t0.Add(time.Minute)},
	} {
		if _, err := is.Issue(c); err == nil {
			t.Errorf("%s: Issue succeeded", name)
		}
	}
}

func TestNewIssuerRefuses(t *testing.T) {
	if _, err := NewIssuer(testKey[:KeySize-1], "k"); err == nil {
		t.Error("NewIssuer accepted a 31-byte key")
	}
	if _, err := NewIssuer(testKey, ""); err == nil {
		t.Error("NewIssuer accepted an empty key id")
	}
	key := bytes.Clone(testKey)
	is := newIssuer(t, key, "k")
	tok := issue(t, is, sampleClaims())
	key[0] ^= 1 // the caller's slice changing must not change the Issuer's key
	if _, err := is.Verify(tok, service, t0); err != nil {
		t.Errorf("after the caller changed its key slice: %v", err)
	}
}

func TestVerifyRefusesTampering(t *testing.T) {
	is := newIssuer(t, testKey, "kid-1")
	tok := issue(t, is, sampleClaims())
	parts := strings.Split(tok, ".")

	// More access than was granted, under the original signature.
	var claims map[string]any
	decodeSegment(t, parts[1], &claims)
	claims["access"] = []Access{{Type: "repository", Name: "team/app", Actions: []string{"pull", "push", "delete"}}}
	b, _ := json.Marshal(claims)
	tamperedPayload := parts[0] + "." + b64(b) + "." + parts[2]

	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sig[0] ^= 0x80
	tamperedSig := parts[0] + "." + parts[1] + "." + b64(sig)

	shortSig := parts[0] + "." + parts[1] + "." + b64(sig[:16])
	otherKey := issue(t, newIssuer(t, bytes.Repeat([]byte{1}, KeySize), "kid-1"), sampleClaims())

	for name, bad := range map[string]string{
		"payload":            tamperedPayload,
		"signature":          tamperedSig,
		"truncated MAC":      shortSig,
		"no signature":       parts[0] + "." + parts[1] + ".",
		"other key same kid": otherKey,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := is.Verify(bad, service, t0)
			wantRefused(t, err, ErrBadSignature, bad)
		})
	}
}

func TestVerifyRefusesOtherAlgorithms(t *testing.T) {
	is := newIssuer(t, testKey, "kid-1")
	tests := []struct {
		name   string
		header map[string]any
		h      func() hash.Hash
	}{
		{"none", map[string]any{"alg": "none", "kid": "kid-1", "typ": "JWT"}, nil},
		{"None", map[string]any{"alg": "None", "kid": "kid-1"}, nil},
		{"missing alg", map[string]any{"kid": "kid-1"}, sha256.New},
		{"HS384", map[string]any{"alg": "HS384", "kid": "kid-1"}, sha512.New384},
		{"HS512", map[string]any{"alg": "HS512", "kid": "kid-1"}, sha512.New},
		// Algorithm confusion: the HMAC key presented as a public key.
		{"RS256", map[string]any{"alg": "RS256", "kid": "kid-1"}, sha256.New},
		{"ES256", map[string]any{"alg": "ES256", "kid": "kid-1"}, sha256.New},
		{"hs256", map[string]any{"alg": "hs256", "kid": "kid-1"}, sha256.New},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := forge(t, tt.header, validPayload(), testKey, tt.h)
			_, err := is.Verify(tok, service, t0)
			wantRefused(t, err, ErrBadSignature, tok)
		})
	}
	// The forger's HS256 control case passes, so the refusals above are
	// about the algorithm and not about forge.
	ok := forge(t, map[string]any{"alg": "HS256", "kid": "kid-1"}, validPayload(), testKey, sha256.New)
	if _, err := is.Verify(ok, service, t0); err != nil {
		t.Fatalf("forged HS256 control token: %v", err)
	}
}

func TestVerifyRefusesWrongKeyID(t *testing.T) {
	is := newIssuer(t, testKey, "kid-1")
	for name, tok := range map[string]string{
		"other kid, same key": issue(t, newIssuer(t, testKey, "kid-2"), sampleClaims()),
		"no kid":              forge(t, map[string]any{"alg": "HS256"}, validPayload(), testKey, sha256.New),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := is.Verify(tok, service, t0)
			wantRefused(t, err, ErrBadSignature, tok)
		})
	}
}

func TestVerifyTimes(t *testing.T) {
	is := newIssuer(t, testKey, "kid-1")
	c := sampleClaims()
	tok := issue(t, is, c)
	nbf, exp := t0.Truncate(time.Second), c.Expiry.Truncate(time.Second)
	tests := []struct {
		name string
		now  time.Time
		want error
	}{
		{"at issue", t0, nil},
		{"at expiry", exp, nil},
		{"within leeway after expiry", exp.Add(Leeway), nil},
		{"expired", exp.Add(Leeway + time.Second), ErrExpired},
		{"long expired", exp.Add(24 * time.Hour), ErrExpired},
		{"within leeway before nbf", nbf.Add(-Leeway), nil},
		{"not yet valid", nbf.Add(-Leeway - time.Second), ErrNotYetValid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := is.Verify(tok, service, tt.now)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify at %v: %v", tt.now, err)
				}
				return
			}
			wantRefused(t, err, tt.want, tok)
		})
	}
	// iat in the future means the clocks disagree, whatever nbf says.
	p := validPayload()
	p["iat"] = t0.Add(time.Hour).Unix()
	future := forge(t, map[string]any{"alg": "HS256", "kid": "kid-1"}, p, testKey, sha256.New)
	_, err := is.Verify(future, service, t0)
	wantRefused(t, err, ErrNotYetValid, future)
}

func TestVerifyRefusesWrongAudience(t *testing.T) {
	is := newIssuer(t, testKey, "kid-1")
	tok := issue(t, is, sampleClaims())
	for _, svc := range []string{"other.example.test", "", strings.ToUpper(service)} {
		_, err := is.Verify(tok, svc, t0)
		wantRefused(t, err, ErrWrongAudience, tok)
	}
	p := validPayload()
	p["aud"] = []string{"a", service}
	multi := forge(t, map[string]any{"alg": "HS256", "kid": "kid-1"}, p, testKey, sha256.New)
	if _, err := is.Verify(multi, service, t0); err != nil {
		t.Errorf("token with the service among several audiences: %v", err)
	}
}

func TestVerifyRefusesMalformed(t *testing.T) {
	is := newIssuer(t, testKey, "kid-1")
	hdr := map[string]any{"alg": "HS256", "kid": "kid-1"}
	signed := func(claims any) string { return forge(t, hdr, claims, testKey, sha256.New) }
	without := func(k string) string {
		p := validPayload()
		delete(p, k)
		return signed(p)
	}
	withValue := func(k string, v any) string {
		p := validPayload()
		p[k] = v
		return signed(p)
	}
	tok := issue(t, is, sampleClaims())
	for name, bad := range map[string]string{
		"empty":            "",
		"one part":         "abc",
		"two parts":        "abc.def",
		"four parts":       tok + ".x",
		"bad base64":       "!!!." + strings.SplitN(tok, ".", 2)[1],
		"header not JSON":  b64([]byte("nope")) + "." + strings.SplitN(tok, ".", 2)[1],
		"whitespace":       " " + tok,
		"too long":         strings.Repeat("a", maxTokenLength+1),
		"claims not JSON":  signed("not json"),
		"claims array":     signed([]int{1}),
		"no exp":           without("exp"),
		"no aud":           without("aud"),
		"exp not a number": withValue("exp", "tomorrow"),
		"exp overflows":    withValue("exp", 1e300),
		"aud a number":     withValue("aud", 7),
		"access wrong":     withValue("access", "everything"),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := is.Verify(bad, service, t0)
			wantRefused(t, err, ErrMalformed, bad)
		})
	}
}

func TestIssuerConcurrent(t *testing.T) {
	is := newIssuer(t, testKey, "kid-1")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				tok, err := is.Issue(sampleClaims())
				if err == nil {
					_, err = is.Verify(tok, service, t0)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
