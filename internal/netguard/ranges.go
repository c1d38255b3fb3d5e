package netguard

import "net/netip"

// special is one special-purpose range and why it is not public.
type special struct {
	prefix netip.Prefix
	reason string
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// specialV4 lists the IPv4 ranges (IANA IPv4 Special-Purpose Address
// Registry) that are not globally reachable unicast.
var specialV4 = []special{
	{mustPrefix("0.0.0.0/8"), "\"this network\" address"},
	{mustPrefix("10.0.0.0/8"), "private address (RFC 1918)"},
	{mustPrefix("100.64.0.0/10"), "shared address space (carrier-grade NAT, RFC 6598)"},
	{mustPrefix("127.0.0.0/8"), "loopback address"},
	{mustPrefix("169.254.0.0/16"), "link-local address"},
	{mustPrefix("172.16.0.0/12"), "private address (RFC 1918)"},
	{mustPrefix("192.0.0.0/24"), "IETF protocol assignment"},
	{mustPrefix("192.0.2.0/24"), "documentation address"},
	{mustPrefix("192.88.99.0/24"), "6to4 relay anycast address"},
	{mustPrefix("192.168.0.0/16"), "private address (RFC 1918)"},
	{mustPrefix("198.18.0.0/15"), "benchmarking address"},
	{mustPrefix("198.51.100.0/24"), "documentation address"},
	{mustPrefix("203.0.113.0/24"), "documentation address"},
	{mustPrefix("224.0.0.0/4"), "multicast address"},
	{mustPrefix("255.255.255.255/32"), "broadcast address"},
	{mustPrefix("240.0.0.0/4"), "reserved address"},
}

// specialV6 lists the IPv6 ranges inside or next to global unicast space
// (2000::/3) that are not globally reachable. Everything outside 2000::/3
// is refused as well, except NAT64 (64:ff9b::/96), whose embedded IPv4
// address is checked instead.
var specialV6 = []special{
	{mustPrefix("::/128"), "unspecified address"},
	{mustPrefix("::1/128"), "loopback address"},
	{mustPrefix("64:ff9b:1::/48"), "NAT64 local-use address"},
	{mustPrefix("100::/64"), "discard-only address"},
	{mustPrefix("2001:db8::/32"), "documentation address"},
	{mustPrefix("2001::/23"), "IETF protocol assignment (Teredo, benchmarking, ORCHID)"},
	{mustPrefix("3fff::/20"), "documentation address"},
	{mustPrefix("5f00::/16"), "SRv6 SID address"},
	{mustPrefix("fc00::/7"), "unique local address (fc00::/7)"},
	{mustPrefix("fe80::/10"), "link-local address"},
	{mustPrefix("fec0::/10"), "site-local address"},
	{mustPrefix("ff00::/8"), "multicast address"},
}

var (
	globalUnicastV6 = mustPrefix("2000::/3")
	nat64           = mustPrefix("64:ff9b::/96")
	sixToFour       = mustPrefix("2002::/16")
)

// Classify reports why addr is not a public unicast address, or "" when it
// is one. IPv4-mapped IPv6 addresses are classified as the IPv4 address
// they carry, and so are NAT64 (64:ff9b::/96) and 6to4 (2002::/16)
// addresses. Zones are ignored.
func Classify(addr netip.Addr) string {
	if !addr.IsValid() {
		return "invalid address"
	}
	addr = addr.WithZone("").Unmap()
	if addr.Is4() {
		for _, s := range specialV4 {
			if s.prefix.Contains(addr) {
				return s.reason
			}
		}
		return ""
	}
	switch {
	case nat64.Contains(addr):
		b := addr.As16()
		return embedded(netip.AddrFrom4([4]byte(b[12:16])), "NAT64")
	case sixToFour.Contains(addr):
		b := addr.As16()
		return embedded(netip.AddrFrom4([4]byte(b[2:6])), "6to4")
	}
	for _, s := range specialV6 {
		if s.prefix.Contains(addr) {
			return s.reason
		}
	}
	if !globalUnicastV6.Contains(addr) {
		return "reserved address (outside IPv6 global unicast space)"
	}
	return ""
}

// embedded classifies the IPv4 address inside a translation address.
func embedded(v4 netip.Addr, scheme string) string {
	if r := Classify(v4); r != "" {
		return scheme + " address of a " + r
	}
	return ""
}
