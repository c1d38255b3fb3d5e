package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// Default timeouts of a Guard's client.
const (
	DefaultDialTimeout           = 5 * time.Second
	DefaultTLSHandshakeTimeout   = 10 * time.Second
	DefaultResponseHeaderTimeout = 10 * time.Second
	DefaultTimeout               = 30 * time.Second
)

// Config configures a Guard. The zero value refuses every non-public
// address, uses the default timeouts and follows no redirects.
type Config struct {
	// Allow lists destinations permitted although not public. Each entry is
	// a CIDR prefix ("10.20.0.0/16", "fd00::/8"), a single address
	// ("127.0.0.1", "::1"), a host name ("hooks.internal") or a wildcard
	// for every subdomain of a name ("*.corp.example", which does not match
	// corp.example itself). A host name is matched against the name in the
	// URL, before resolution: an allow-listed name may resolve anywhere.
	Allow []string
	// DialTimeout bounds establishing a TCP connection (default 5s).
	DialTimeout time.Duration
	// TLSHandshakeTimeout bounds the TLS handshake (default 10s).
	TLSHandshakeTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait for the response headers after
	// the request is written (default 10s).
	ResponseHeaderTimeout time.Duration
	// Timeout bounds a whole request, redirects and reading the body
	// included (default 30s).
	Timeout time.Duration
	// MaxRedirects is how many redirects the client follows; 0 follows
	// none (the 3xx response is returned as is). Every hop is dialled
	// through the guard.
	MaxRedirects int
}

// Guard checks outbound connections. It is safe for concurrent use.
type Guard struct {
	cfg      Config
	prefixes []netip.Prefix
	hosts    map[string]bool // exact names, lower case, no trailing dot
	suffixes []string        // ".corp.example" for "*.corp.example"
	guarded  *net.Dialer
	plain    *net.Dialer
}

// ErrBlocked matches (with errors.Is) every refusal of a Guard.
var ErrBlocked = errors.New("netguard: destination not allowed")

// BlockedError is the refusal to connect to a non-public address.
type BlockedError struct {
	Addr   netip.Addr
	Reason string // what kind of address it is, from Classify
}

// Error names the address, why it is refused and how to permit it.
func (e *BlockedError) Error() string {
	return fmt.Sprintf("refusing to connect to %s: %s, not a public address (add it to the outbound allow-list to permit it)", e.Addr, e.Reason)
}

// Is makes errors.Is(err, ErrBlocked) true.
func (e *BlockedError) Is(target error) bool { return target == ErrBlocked }

// New returns a guard for cfg. It fails on an allow-list entry that is
// neither a prefix, an address nor a host name, naming the entry.
func New(cfg Config) (*Guard, error) {
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	if cfg.TLSHandshakeTimeout <= 0 {
		cfg.TLSHandshakeTimeout = DefaultTLSHandshakeTimeout
	}
	if cfg.ResponseHeaderTimeout <= 0 {
		cfg.ResponseHeaderTimeout = DefaultResponseHeaderTimeout
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxRedirects < 0 {
		return nil, fmt.Errorf("netguard: MaxRedirects must not be negative")
	}
	g := &Guard{cfg: cfg, hosts: map[string]bool{}}
	for _, raw := range cfg.Allow {
		if err := g.allow(raw); err != nil {
			return nil, err
		}
	}
	g.plain = &net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: 30 * time.Second}
	g.guarded = &net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: 30 * time.Second, ControlContext: g.control}
	return g, nil
}

// allow adds one allow-list entry.
func (g *Guard) allow(raw string) error {
	s := strings.TrimSpace(raw)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return fmt.Errorf("netguard: allow-list entry %q: not a CIDR prefix: %v", raw, err)
		}
		g.prefixes = append(g.prefixes, unmapPrefix(p.Masked()))
		return nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		a = a.WithZone("").Unmap()
		g.prefixes = append(g.prefixes, netip.PrefixFrom(a, a.BitLen()))
		return nil
	}
	name := strings.TrimSuffix(strings.ToLower(s), ".")
	wild := strings.HasPrefix(name, "*.")
	if !validHostName(strings.TrimPrefix(name, "*.")) {
		return fmt.Errorf("netguard: allow-list entry %q: want a CIDR prefix, an IP address, a host name or *.domain", raw)
	}
	if wild {
		g.suffixes = append(g.suffixes, name[1:])
	} else {
		g.hosts[name] = true
	}
	return nil
}

// unmapPrefix turns an IPv4-mapped IPv6 prefix into the IPv4 prefix, since
// addresses are unmapped before they are matched.
func unmapPrefix(p netip.Prefix) netip.Prefix {
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p
}

func validHostName(name string) bool {
	if name == "" || len(name) > 253 {
		return false
	}
	for label := range strings.SplitSeq(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// Check reports whether the guard lets a connection to addr through: nil
// for a public address or one the allow-list covers, a *BlockedError
// otherwise.
func (g *Guard) Check(addr netip.Addr) error {
	addr = addr.WithZone("").Unmap()
	for _, p := range g.prefixes {
		if p.Contains(addr) {
			return nil
		}
	}
	if reason := Classify(addr); reason != "" {
		return &BlockedError{Addr: addr, Reason: reason}
	}
	return nil
}

// HostAllowed reports whether host (a name from a URL, without port) is
// allow-listed by name, which exempts it from address checks.
func (g *Guard) HostAllowed(host string) bool {
	name := strings.TrimSuffix(strings.ToLower(host), ".")
	if g.hosts[name] {
		return true
	}
	for _, s := range g.suffixes {
		if strings.HasSuffix(name, s) && len(name) > len(s) {
			return true
		}
	}
	return false
}

// control is the net.Dialer hook: it runs after resolution, once for every
// address the dialer tries, with address in ip:port form.
func (g *Guard) control(_ context.Context, network, address string, _ syscall.RawConn) error {
	switch network {
	case "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6":
	default:
		return fmt.Errorf("netguard: refusing network %q", network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("netguard: cannot check address %q: %w", address, err)
	}
	return g.Check(ap.Addr())
}

// Dialer returns a dialer that checks every address it connects to (the
// allow-list by name does not apply: it sees only addresses). Use
// DialContext to honour host names in the allow-list as well.
func (g *Guard) Dialer() *net.Dialer {
	d := *g.guarded
	return &d
}

// DialContext connects to address (host:port) like net.Dialer.DialContext,
// refusing non-public addresses unless the allow-list permits the address
// or the host name.
func (g *Guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if host, _, err := net.SplitHostPort(address); err == nil && g.HostAllowed(host) {
		return g.plain.DialContext(ctx, network, address)
	}
	return g.guarded.DialContext(ctx, network, address)
}
