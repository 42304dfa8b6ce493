package server

import (
	"maps"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/maillage/maillage/graph"
	"github.com/maillage/maillage/resolvers"
)

// graphqlHandler builds the gqlgen handler: transports, caches, limits and
// error presentation. Limits act before any resolver runs.
func (s *Server) graphqlHandler() *handler.Server {
	cfg := graph.Config{Resolvers: s.resolver}
	setComplexity(&cfg.Complexity)
	cfg.Schema = clientReadableSchema(graph.NewExecutableSchema(cfg).Schema())
	h := handler.New(graph.NewExecutableSchema(cfg))
	h.AddTransport(s.websocketTransport())
	h.AddTransport(transport.Options{})
	h.AddTransport(httpTransport{maxBatch: s.cfg.MaxBatch, keepAlive: s.cfg.WebsocketPingInterval})
	h.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	h.AroundOperations(s.resolver.AroundOperations)
	h.Use(observer{metrics: s.metrics}) // first: it names even the operations the limits refuse
	if s.cfg.Tracing != "" {
		h.Use(fieldTracer{})
	}
	h.Use(extension.Introspection{})
	h.Use(newAnonymousGate(s.cfg.AnonymousFields))
	h.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	h.Use(depthLimit{max: s.cfg.MaxDepth})
	h.Use(inputGuard{max: maxStringBytes})
	h.Use(extension.FixedComplexityLimit(s.cfg.MaxComplexity))
	h.Use(subscriptionLimit{max: s.cfg.MaxSubscriptionsPerConnection, metrics: &s.ws, prom: s.metrics})
	if s.cfg.Tracing == "" && !s.cfg.ExecutorOnly { // traced operations show each field: they go through the executor
		h.Use(resolvers.DirectReads{Resolver: s.resolver, Served: s.metrics.DirectRead}) // last: the innermost
	}
	h.SetErrorPresenter(s.presentError)
	h.SetRecoverFunc(recoverPanic)
	return h
}

var _ graphql.HandlerExtension = depthLimit{}

// maxStringBytes bounds any one string input; the longest the hub keeps (a
// timeline note, a referral's reason) fits well within it.
const maxStringBytes = 32 << 10

// clientReadableSchema returns schema as graphql-js 16 clients can read back
// from introspection: @deprecated without the DIRECTIVE_DEFINITION location
// gqlparser's prelude gives it (graphql-js knows no such location, so
// buildClientSchema then parse of the printed schema would fail). The
// generated schema is shared: it is copied, not changed.
func clientReadableSchema(schema *ast.Schema) *ast.Schema {
	c := *schema
	c.Directives = maps.Clone(schema.Directives)
	if d := c.Directives["deprecated"]; d != nil {
		kept := *d
		kept.Locations = slices.DeleteFunc(slices.Clone(d.Locations), func(l ast.DirectiveLocation) bool {
			return l == ast.LocationDirectiveDefinition
		})
		c.Directives["deprecated"] = &kept
	}
	return &c
}
