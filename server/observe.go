package server

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/maillage/maillage"
)

// NewLogHandler wraps h so that every record logged with a request's
// context carries its request id ("request_id").
func NewLogHandler(h slog.Handler) slog.Handler { return requestIDHandler{h} }

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := maillage.RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// requestInfo is what the GraphQL layer tells the access log about a request.
type requestInfo struct {
	mu        sync.Mutex
	operation string
}

type requestInfoKey struct{}

// setOperation records the name of the operation a request runs.
func setOperation(ctx context.Context, name string) {
	if info, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		info.mu.Lock()
		info.operation = name
		info.mu.Unlock()
	}
}

// observe logs one access line per request (method, path, status, duration,
// operation name; at DEBUG level for successful probes and scrapes), counts
// it in the metrics and, when tracing is on, wraps it in a server span
// continuing the caller's trace.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tracer := otel.Tracer(tracerName) // the provider of now: tracing may be switched on after New
		start := time.Now()
		info := &requestInfo{}
		ctx := context.WithValue(r.Context(), requestInfoKey{}, info)
		handler := handlerLabel(r.URL.Path)
		// Probes and scrapes, every few seconds, get neither span nor INFO line.
		routine := handler == "health" || handler == "metrics"
		span := trace.SpanFromContext(ctx)
		if !routine {
			ctx = otel.GetTextMapPropagator().Extract(ctx, propagation.HeaderCarrier(r.Header))
			ctx, span = tracer.Start(ctx, r.Method+" "+handler, trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("url.path", r.URL.Path)))
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r.WithContext(ctx))
		d := time.Since(start)

		if !routine {
			span.SetAttributes(attribute.Int("http.response.status_code", rec.status))
			if rec.status >= 500 {
				span.SetStatus(codes.Error, http.StatusText(rec.status))
			}
			span.End()
		}
		s.metrics.observeRequest(r, rec.status, d)
		info.mu.Lock()
		op := info.operation
		info.mu.Unlock()
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status),
			slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		}
		if op != "" {
			attrs = append(attrs, slog.String("operation", op))
		}
		level := slog.LevelInfo
		if routine && rec.status < 400 {
			level = slog.LevelDebug
		}
		s.log.LogAttrs(ctx, level, "request", attrs...)
	})
}

// statusRecorder remembers the status written; it lets websockets hijack
// the connection and streams flush.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (r *statusRecorder) WriteHeader(status int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := r.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("response writer cannot hijack")
	}
	r.status = http.StatusSwitchingProtocols
	return h.Hijack()
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// observer is the gqlgen extension feeding the access log, the metrics and
// the traces: it records each operation's name, counts errors by code, and
// opens a span per operation (a no-op unless tracing is on).
type observer struct {
	metrics *Metrics
}

func (observer) tracer() trace.Tracer { return otel.Tracer(tracerName) }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
	graphql.OperationInterceptor
	graphql.ResponseInterceptor
} = observer{}

func (observer) ExtensionName() string                   { return "Observer" }
func (observer) Validate(graphql.ExecutableSchema) error { return nil }

func (o observer) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	name := oc.OperationName
	if name == "" && oc.Operation != nil {
		name = oc.Operation.Name
	}
	setOperation(ctx, name)
	return nil
}

func (o observer) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation == "subscription" {
		return next(ctx) // a subscription's span would last as long as it does
	}
	name := oc.OperationName
	if name == "" {
		name = oc.Operation.Name
	}
	ctx, span := o.tracer().Start(ctx, "graphql "+string(oc.Operation.Operation)+" "+name,
		trace.WithAttributes(
			attribute.String("graphql.operation.type", string(oc.Operation.Operation)),
			attribute.String("graphql.operation.name", name),
		))
	handler := next(ctx)
	var once sync.Once
	return func(ctx context.Context) *graphql.Response {
		resp := handler(trace.ContextWithSpan(ctx, span)) // fields run here: under the operation's span
		once.Do(func() {
			if resp != nil && len(resp.Errors) > 0 {
				span.SetStatus(codes.Error, resp.Errors[0].Message)
			}
			span.End()
		})
		return resp
	}
}

// InterceptResponse counts the errors of each response by code; errors
// raised before execution (parse, validation, limits) are counted too.
func (o observer) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp != nil {
		for _, e := range resp.Errors {
			code, _ := e.Extensions["code"].(string)
			o.metrics.GraphQLError(code)
		}
	}
	return resp
}

// fieldTracer opens a span per resolver field. It is installed only when
// tracing is configured: a field interceptor runs for every field of every
// response.
type fieldTracer struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.FieldInterceptor
} = fieldTracer{}

func (fieldTracer) ExtensionName() string                   { return "FieldTracer" }
func (fieldTracer) Validate(graphql.ExecutableSchema) error { return nil }

func (fieldTracer) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !fc.IsResolver || !trace.SpanFromContext(ctx).SpanContext().IsSampled() {
		// Tracing off (or this trace not sampled): no span, no cost.
		// (The parent field's span has ended by now: nested fields resolve
		// after it returns, hence IsSampled rather than IsRecording.)
		return next(ctx)
	}
	ctx, span := otel.Tracer(tracerName).Start(ctx, fc.Object+"."+fc.Field.Name,
		trace.WithAttributes(attribute.String("graphql.field.path", fc.Path().String())))
	defer span.End()
	res, err := next(ctx)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	return res, err
}
