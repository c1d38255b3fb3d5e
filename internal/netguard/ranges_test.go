package netguard

import (
	"net/netip"
	"testing"
)

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		addr   string
		public bool
	}{
		// Public.
		{"8.8.8.8", true},
		{"1.1.1.1", true},
		{"93.184.216.34", true},
		{"100.63.255.255", true}, // just below CGNAT
		{"100.128.0.0", true},    // just above CGNAT
		{"172.15.255.255", true}, // just below 172.16/12
		{"172.32.0.0", true},     // just above 172.16/12
		{"192.169.0.1", true},
		{"223.255.255.255", true},
		{"2606:4700:4700::1111", true},
		{"2a00:1450:4001:80b::200e", true},
		{"::ffff:8.8.8.8", true},       // IPv4-mapped public
		{"64:ff9b::808:808", true},     // NAT64 of 8.8.8.8
		{"2002:808:808::1", true},      // 6to4 of 8.8.8.8
		{"fe80::1%eth0", false},        // zone ignored, still link-local
		{"2001:4860:4860::8888", true}, // Google DNS: 2001:4860::/32 is outside 2001::/23
		// Loopback.
		{"127.0.0.1", false},
		{"127.255.255.254", false},
		{"::1", false},
		{"::ffff:127.0.0.1", false},
		// Unspecified and "this network".
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"::", false},
		// Private.
		{"10.0.0.1", false},
		{"10.255.255.255", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"192.168.1.1", false},
		{"::ffff:10.1.2.3", false},
		{"fc00::1", false},
		{"fd12:3456:789a::1", false},
		// Link-local (cloud metadata services live here).
		{"169.254.169.254", false},
		{"169.254.0.1", false},
		{"fe80::1", false},
		{"febf::1", false},
		{"fd00:ec2::254", false}, // AWS IMDS over IPv6 (unique local)
		// CGNAT.
		{"100.64.0.1", false},
		{"100.127.255.255", false},
		// Multicast and broadcast.
		{"224.0.0.1", false},
		{"239.255.255.250", false},
		{"255.255.255.255", false},
		{"ff02::1", false},
		{"ff05::2", false},
		// Other special-purpose ranges.
		{"192.0.0.8", false},
		{"192.0.2.1", false},
		{"198.18.0.1", false},
		{"198.19.255.255", false},
		{"198.51.100.7", false},
		{"203.0.113.9", false},
		{"192.88.99.1", false},
		{"240.0.0.1", false},
		{"2001:db8::1", false},
		{"2001::1", false}, // Teredo
		{"3fff::1", false},
		{"100::1", false},
		{"fec0::1", false},
		{"64:ff9b:1::1", false},
		{"64:ff9b::7f00:1", false},    // NAT64 of 127.0.0.1
		{"64:ff9b::a9fe:a9fe", false}, // NAT64 of 169.254.169.254
		{"2002:7f00:1::1", false},     // 6to4 of 127.0.0.1
		{"2002:c0a8:101::1", false},   // 6to4 of 192.168.1.1
		{"::127.0.0.1", false},        // IPv4-compatible (deprecated)
		{"4000::1", false},            // outside 2000::/3
	} {
		t.Run(c.addr, func(t *testing.T) {
			a := netip.MustParseAddr(c.addr)
			reason := Classify(a)
			if got := reason == ""; got != c.public {
				t.Errorf("Classify(%s) = %q; public = %v, want %v", c.addr, reason, got, c.public)
			}
		})
	}
	if Classify(netip.Addr{}) == "" {
		t.Error("the zero Addr classified as public")
	}
}

func TestCheckAllowList(t *testing.T) {
	g, err := New(Config{Allow: []string{"127.0.0.1", "10.20.0.0/16", "fd00:1::/32", "::ffff:192.168.7.0/120"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		addr    string
		allowed bool
	}{
		{"127.0.0.1", true},
		{"::ffff:127.0.0.1", true}, // mapped form of an allowed address
		{"127.0.0.2", false},
		{"::1", false},
		{"10.20.3.4", true},
		{"10.21.0.1", false},
		{"fd00:1:2::3", true},
		{"fd00:2::1", false},
		{"192.168.7.9", true}, // mapped prefix applies to the IPv4 form
		{"192.168.8.1", false},
		{"8.8.8.8", true}, // public needs no allowing
		{"169.254.169.254", false},
	} {
		t.Run(c.addr, func(t *testing.T) {
			err := g.Check(netip.MustParseAddr(c.addr))
			if (err == nil) != c.allowed {
				t.Errorf("Check(%s) = %v, want allowed=%v", c.addr, err, c.allowed)
			}
		})
	}
}

func TestAllowListEntries(t *testing.T) {
	for _, c := range []struct {
		entry string
		ok    bool
	}{
		{"127.0.0.1", true},
		{"::1", true},
		{"10.0.0.0/8", true},
		{"10.1.2.3/8", true}, // masked
		{"fd00::/8", true},
		{"hooks.internal", true},
		{"Hooks.Internal.", true},
		{"*.corp.example", true},
		{"my_host.local", true},
		{"", false},
		{"10.0.0.0/33", false},
		{"http://x", false},
		{"a..b", false},
		{"-a.b", false},
		{"*.", false},
		{"a b", false},
	} {
		t.Run(c.entry, func(t *testing.T) {
			_, err := New(Config{Allow: []string{c.entry}})
			if (err == nil) != c.ok {
				t.Errorf("New(Allow: %q) error = %v, want ok=%v", c.entry, err, c.ok)
			}
		})
	}
}

func TestHostAllowed(t *testing.T) {
	g, err := New(Config{Allow: []string{"hooks.internal", "*.corp.example"}})
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]bool{
		"hooks.internal":      true,
		"HOOKS.internal.":     true,
		"x.hooks.internal":    false,
		"a.corp.example":      true,
		"a.b.corp.example":    true,
		"corp.example":        false,
		"evilcorp.example":    false,
		"a.corp.example.evil": false,
		"127.0.0.1":           false,
		"hooks.internal.evil": false,
	} {
		if got := g.HostAllowed(host); got != want {
			t.Errorf("HostAllowed(%q) = %v, want %v", host, got, want)
		}
	}
}
