// Package servertest starts real Artifortress nodes for tests: a full server
// (real metadata store, real HTTP over loopback) on SQLite or on a fresh
// PostgreSQL database, with its initial administrator token at hand. It is
// support code for tests only; production code never imports it.
package servertest
