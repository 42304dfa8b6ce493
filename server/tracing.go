package server

import (
	"context"
	"fmt"
	"io"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// tracerName names the hub's tracer (the instrumentation scope).
const tracerName = "github.com/maillage/maillage/server"

// Tracing exporters accepted by SetupTracing.
const (
	TracingOff    = ""
	TracingStdout = "stdout"
	TracingOTLP   = "otlp"
)

// SetupTracing switches OpenTelemetry tracing on for the process: spans of
// every HTTP request, GraphQL operation and resolver field go to exporter —
// "stdout" (JSON lines on w) or "otlp" (OTLP over HTTP, configured by the
// standard OTEL_EXPORTER_OTLP_* variables, default localhost:4318). Off ("")
// does nothing: spans are then no-ops. The returned function flushes and
// stops the exporter.
func SetupTracing(ctx context.Context, exporter string, w io.Writer) (shutdown func(context.Context) error, err error) {
	var exp sdktrace.SpanExporter
	switch exporter {
	case TracingOff:
		return func(context.Context) error { return nil }, nil
	case TracingStdout:
		exp, err = stdouttrace.New(stdouttrace.WithWriter(w))
	case TracingOTLP:
		exp, err = otlptracehttp.New(ctx)
	default:
		return nil, fmt.Errorf("tracing exporter %q: want stdout or otlp", exporter)
	}
	if err != nil {
		return nil, fmt.Errorf("tracing exporter %s: %w", exporter, err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(attribute.String("service.name", "maillage")))
	if err != nil {
		return nil, fmt.Errorf("tracing resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return tp.Shutdown, nil
}
