package telemetry

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Tracer is the tracer every package uses for its spans.
func Tracer() trace.Tracer { return otel.Tracer("github.com/artifortress/artifortress") }

// SetupTracing installs a global tracer provider exporting over OTLP/HTTP to
// endpoint ("host:port" or a URL). With an empty endpoint tracing stays off
// (spans are no-ops, costing next to nothing). The returned function flushes
// and stops the exporter.
func SetupTracing(ctx context.Context, endpoint, version string) (func(context.Context) error, error) {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	if endpoint == "" {
		return func(context.Context) error { return nil }, nil
	}
	opt := otlptracehttp.WithEndpoint(endpoint)
	if len(endpoint) > 7 && (endpoint[:7] == "http://" || endpoint[:8] == "https://") {
		opt = otlptracehttp.WithEndpointURL(endpoint)
	}
	exp, err := otlptracehttp.New(ctx, opt)
	if err != nil {
		return nil, fmt.Errorf("OTLP exporter: %w", err)
	}
	res := resource.NewSchemaless(
		attribute.String("service.name", "artifortress"),
		attribute.String("service.version", version),
	)
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	return tp.Shutdown, nil
}
