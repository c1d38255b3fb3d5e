// Package telemetry is what operators see of a running server: JSON logs
// (log/slog) that carry the request id, Prometheus metrics, OpenTelemetry
// traces, and the HTTP middleware that ties them to every request.
package telemetry
