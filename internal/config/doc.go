// Package config is the server's configuration: one typed struct with its
// defaults, loaded from an optional YAML file, then ARTIFORTRESS_* environment
// variables, then command-line flags (each later source overrides the
// earlier), and validated before anything starts so that a bad setting stops
// start-up with a message naming it.
package config
