// Package cli is the artifortress command line: serve, migrate, version and
// the admin client. cmd/artifortress only calls Main.
package cli
