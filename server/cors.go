package server

import (
	"compress/gzip"
	"net/http"
	"time"

	"github.com/klauspost/compress/gzhttp"
	"github.com/rs/cors"
)

// corsMaxAge is how long a browser may keep a preflight's answer (Chromium
// keeps it 2 hours at most).
const corsMaxAge = time.Hour

// crossOrigin lets browser pages from the public URL's origin and the
// allowed origins call the handler (CORS, rs/cors): GET and POST with the
// headers GraphQL clients send, no credentials (tokens travel in the
// Authorization header, never in cookies), preflights cached for an hour.
// Pages from any other origin get no Access-Control-* header, so their
// browser keeps the answer from them and never sends a mutation (a JSON
// POST needs a preflight).
func crossOrigin(cfg Config, next http.Handler) http.Handler {
	origins := []string{normalizeOrigin(cfg.PublicURL)}
	for _, o := range cfg.AllowedOrigins {
		origins = append(origins, normalizeOrigin(o))
	}
	return cors.New(cors.Options{
		AllowedOrigins:       origins,
		AllowedMethods:       []string{http.MethodGet, http.MethodPost},
		AllowedHeaders:       []string{"Authorization", "Content-Type", "Accept", "X-Request-Id", "Traceparent", "Tracestate"},
		ExposedHeaders:       []string{"X-Request-Id", "WWW-Authenticate"},
		AllowCredentials:     false,
		MaxAge:               int(corsMaxAge / time.Second),
		OptionsSuccessStatus: http.StatusNoContent,
	}).Handler(next)
}

// compressed gzips the handler's responses of at least minBytes for callers
// that accept gzip (klauspost/compress/gzhttp); streams (server-sent events,
// multipart) are sent as they are, part by part. The fastest level: JSON
// compresses well at any level, and a dashboard's page of tens of kilobytes
// would otherwise cost about as much CPU to compress as to build.
func compressed(minBytes int, next http.Handler) http.Handler {
	wrap, err := gzhttp.NewWrapper(
		gzhttp.MinSize(minBytes),
		gzhttp.CompressionLevel(gzip.BestSpeed),
		gzhttp.EnableZstd(false),
		gzhttp.ExceptContentTypes([]string{mediaEventStream, mediaMultipart}),
	)
	if err != nil {
		panic("server: gzip options: " + err.Error()) // the options above are fixed
	}
	return wrap(next)
}
