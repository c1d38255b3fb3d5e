package auth

import (
	"encoding/base64"
	"net/http/httptest"
	"testing"
)

func TestCredential(t *testing.T) {
	basic := func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
	const tok = "afp_abcdefghijklmnop_secret"
	for _, c := range []struct {
		name        string
		header      []string // nil: no Authorization header
		want        string
		wantPresent bool
	}{
		{"none", nil, "", false},
		{"empty", []string{""}, "", false},
		{"bearer", []string{"Bearer " + tok}, tok, true},
		{"bearer_lowercase", []string{"bearer " + tok}, tok, true},
		{"bearer_extra_spaces", []string{"Bearer   " + tok + "  "}, tok, true},
		{"bearer_no_value", []string{"Bearer"}, "", true},
		{"basic_token_user", []string{basic("token:" + tok)}, tok, true},
		{"basic_any_user", []string{basic("alice@example.com:" + tok)}, tok, true},
		{"basic_empty_user", []string{basic(":" + tok)}, tok, true},
		{"basic_colon_in_password", []string{basic("u:" + tok + ":x")}, tok + ":x", true},
		{"basic_uppercase_scheme", []string{"BASIC " + base64.StdEncoding.EncodeToString([]byte("u:"+tok))}, tok, true},
		{"basic_malformed_base64", []string{"Basic !!!not-base64!!!"}, "", true},
		{"basic_url_base64", []string{"Basic " + base64.URLEncoding.EncodeToString([]byte("u:\xfb\xff"))}, "", true},
		{"basic_no_colon", []string{basic(tok)}, "", true},
		{"unknown_scheme", []string{"Token " + tok}, "", true},
		{"digest", []string{`Digest username="u"`}, "", true},
		{"scheme_only_token", []string{tok}, "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			for _, h := range c.header {
				r.Header.Add("Authorization", h)
			}
			got, present := Credential(r)
			if got != c.want || present != c.wantPresent {
				t.Errorf("Credential = %q, %v; want %q, %v", got, present, c.want, c.wantPresent)
			}
		})
	}
}
