package server

import (
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/maillage/maillage/graph"
)

// graphqlHandler builds the gqlgen handler: transports, caches, limits and
// error presentation. Limits act before any resolver runs.
func (s *Server) graphqlHandler() *handler.Server {
	h := handler.New(graph.NewExecutableSchema(graph.Config{Resolvers: s.resolver}))
	h.AddTransport(s.websocketTransport())
	h.AddTransport(transport.Options{})
	h.AddTransport(transport.GET{})
	h.AddTransport(transport.POST{})
	h.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	h.Use(extension.Introspection{})
	h.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	h.Use(depthLimit{max: s.cfg.MaxDepth})
	h.Use(extension.FixedComplexityLimit(s.cfg.MaxComplexity))
	h.Use(subscriptionLimit{max: s.cfg.MaxSubscriptionsPerConnection, metrics: &s.metrics})
	h.SetErrorPresenter(presentError)
	h.SetRecoverFunc(recoverPanic)
	return h
}

var _ graphql.HandlerExtension = depthLimit{}
