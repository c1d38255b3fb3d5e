package remote

import "strings"

// challenge is one WWW-Authenticate challenge (RFC 9110 §11.6.1): an
// auth scheme and its parameters, as a registry's 401 sends them:
//
//	Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"
//	Basic realm="Registry Realm"
type challenge struct {
	Scheme string            // lowercased: "bearer", "basic", …
	Params map[string]string // names lowercased
}

// parseChallenges reads the challenges of WWW-Authenticate header values.
// A header may hold several challenges, each an auth scheme followed by
// comma-separated name=value parameters whose values are tokens or quoted
// strings. A token68 credential (Basic's "abc==") is skipped; reading a
// header stops at the first thing it cannot read, keeping what it read.
func parseChallenges(values []string) []challenge {
	var out []challenge
	for _, s := range values {
		current := -1
		for {
			s = strings.TrimLeft(s, " \t,")
			name, rest := cutToken(s)
			if name == "" {
				break
			}
			after := strings.TrimLeft(rest, " \t")
			if current >= 0 && strings.HasPrefix(after, "=") && !strings.HasPrefix(after, "==") {
				value, rest, ok := cutValue(strings.TrimLeft(after[1:], " \t"))
				if !ok {
					break
				}
				out[current].Params[strings.ToLower(name)] = value
				s = rest
				continue
			}
			if strings.HasPrefix(after, "=") {
				// A token68 ("abc==") or a parameter before any scheme.
				s = strings.TrimLeft(after, "=")
				continue
			}
			out = append(out, challenge{Scheme: strings.ToLower(name), Params: map[string]string{}})
			current = len(out) - 1
			s = rest
		}
	}
	return out
}

// cutToken splits s after its leading token (RFC 9110 tchar run).
func cutToken(s string) (token, rest string) {
	i := 0
	for i < len(s) && isTokenChar(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

func isTokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// cutValue splits s after a parameter value: a quoted string (with
// backslash escapes) or a token.
func cutValue(s string) (value, rest string, ok bool) {
	if !strings.HasPrefix(s, `"`) {
		v, rest := cutToken(s)
		return v, rest, v != ""
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), s[i+1:], true
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", false // unterminated
}

// pick returns the challenge a client answers: Bearer (the token flow)
// before Basic, since a registry offering both prefers tokens.
func pick(chs []challenge) (challenge, bool) {
	for _, scheme := range []string{"bearer", "basic"} {
		for _, ch := range chs {
			if ch.Scheme == scheme {
				return ch, true
			}
		}
	}
	return challenge{}, false
}
