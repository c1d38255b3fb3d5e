// Package netguard guards outbound HTTP requests that the server makes on a
// user's behalf (webhook deliveries, remote repositories) against
// server-side request forgery.
//
// A Guard refuses to connect to any address that is not public unicast:
// loopback, private (RFC 1918, fc00::/7), link-local (169.254/16, fe80::/10,
// which includes cloud metadata services), unspecified, multicast,
// broadcast, shared address space (CGNAT, 100.64/10), documentation,
// benchmarking and every other special-purpose range, unless an allow-list
// names the address (CIDR) or the host name.
//
// The check runs at connect time on the address actually dialled (a
// net.Dialer Control hook), after name resolution, so a name that resolves
// to a public address when a URL is validated and to 127.0.0.1 when it is
// used (DNS rebinding) is still refused. Redirects are dialled through the
// same hook; environment proxies are not used, since a proxy would make the
// connection on the caller's behalf and defeat the check.
//
// The flow of one request:
//
//	Client.Do ──► Transport.DialContext (Guard.DialContext)
//	                 │ host allow-listed by name? ──► plain dial, no address check
//	                 ▼
//	              net.Dialer resolves the name, then for each address:
//	                 ControlContext ──► Guard.Check(ip) ──► refuse: *BlockedError
//	                                                   └──► connect
//
// Guards also set the timeouts every outbound call needs (dial, TLS
// handshake, response header, whole request), and ReadAll and LimitReader
// bound how much of a response body is read.
package netguard
