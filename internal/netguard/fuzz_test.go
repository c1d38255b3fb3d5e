package netguard

import (
	"net/netip"
	"testing"
)

// FuzzClassify checks Classify against the standard library's own
// predicates: whatever net/netip calls loopback, private, link-local,
// multicast or unspecified is never public.
func FuzzClassify(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "10.0.0.1", "8.8.8.8", "::1", "fe80::1", "fc00::1", "2606:4700::1", "::ffff:169.254.169.254", "64:ff9b::a00:1"} {
		a := netip.MustParseAddr(s).As16()
		f.Add(a[:])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var addr netip.Addr
		switch len(b) {
		case 4:
			addr = netip.AddrFrom4([4]byte(b))
		case 16:
			addr = netip.AddrFrom16([16]byte(b))
		default:
			return
		}
		u := addr.Unmap()
		special := u.IsLoopback() || u.IsPrivate() || u.IsLinkLocalUnicast() || u.IsLinkLocalMulticast() ||
			u.IsInterfaceLocalMulticast() || u.IsMulticast() || u.IsUnspecified()
		if special && Classify(addr) == "" {
			t.Fatalf("Classify(%s) says public", addr)
		}
		if Classify(addr) == "" && !u.IsGlobalUnicast() {
			t.Fatalf("Classify(%s) says public, but it is not global unicast", addr)
		}
	})
}
