// Package server assembles a running Artifortress node from its configuration:
// it opens the metadata store, migrates it, bootstraps the first
// administrator, builds the services, mounts the /v1 API, health and metrics
// endpoints behind the telemetry middleware, and serves until its context ends,
// then shuts down gracefully.
package server
