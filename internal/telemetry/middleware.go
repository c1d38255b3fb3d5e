package telemetry

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Middleware wraps every request: it assigns the request id (reusing a valid
// X-Request-Id from the client) and echoes it on the response, opens a trace
// span, counts the request and its latency by route pattern and status, and
// logs one access line carrying the request id.
func (m *Metrics) Middleware(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(HeaderRequestID)
		if !acceptableRequestID(id) {
			id = NewRequestID()
		}
		w.Header().Set(HeaderRequestID, id)
		ctx := WithRequestID(r.Context(), id)
		ctx = otel.GetTextMapPropagator().Extract(ctx, propagation.HeaderCarrier(r.Header))
		ctx, span := Tracer().Start(ctx, "HTTP "+r.Method, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("request_id", id)))
		defer span.End()

		m.inFlight.Inc()
		defer m.inFlight.Dec()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		r = r.WithContext(ctx)
		// Recorded even when the handler aborts the response (a panic
		// with http.ErrAbortHandler: a stream cut short because its bytes
		// failed verification), and the panic goes on to net/http.
		defer func() {
			aborted := recover()
			m.record(ctx, log, span, r, rec, start, aborted != nil)
			if aborted != nil {
				panic(aborted)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// record counts, traces and logs one finished (or aborted) request.
func (m *Metrics) record(ctx context.Context, log *slog.Logger, span trace.Span, r *http.Request, rec *statusRecorder, start time.Time, aborted bool) {
	route := r.Pattern
	if route == "" {
		route = "unmatched"
	}
	status := strconv.Itoa(rec.status)
	elapsed := time.Since(start)
	m.requests.WithLabelValues(route, r.Method, status).Inc()
	m.requestDuration.WithLabelValues(route, r.Method, status).Observe(elapsed.Seconds())
	span.SetName(r.Method + " " + route)
	span.SetAttributes(attribute.String("http.route", route), attribute.Int("http.response.status_code", rec.status))
	level := slog.LevelInfo
	if rec.status >= 500 || aborted {
		level = slog.LevelError
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("route", route),
		slog.Int("status", rec.status), slog.Int64("bytes", rec.bytes),
		slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000), slog.String("remote", r.RemoteAddr),
	}
	if aborted {
		attrs = append(attrs, slog.Bool("aborted", true))
	}
	log.LogAttrs(ctx, level, "request", attrs...)
}

// statusRecorder remembers the status and size of a response. It forwards
// Flush and exposes the original writer through Unwrap, so streaming and
// http.ResponseController keep working.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wroteHeader {
		s.status, s.wroteHeader = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wroteHeader = true
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// ReadFrom lets io.Copy reach the connection's ReadFrom, which sends an
// *os.File (or an io.LimitedReader over one) with sendfile.
func (s *statusRecorder) ReadFrom(r io.Reader) (int64, error) {
	s.wroteHeader = true
	var n int64
	var err error
	if rf, ok := s.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(r)
	} else {
		n, err = io.Copy(struct{ io.Writer }{s.ResponseWriter}, r)
	}
	s.bytes += n
	return n, err
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
