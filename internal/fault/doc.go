// Package fault defines domain errors that carry a kind, a stable machine-readable
// code and a message a person can act on. Domain packages return them; each protocol
// adapter (the /v1 JSON API, and later every native protocol) turns them into the
// response its clients expect, in exactly one place.
package fault
