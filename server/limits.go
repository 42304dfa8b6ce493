package server

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/maillage/maillage"
)

// depthLimit refuses, before any resolver runs, an operation whose selection
// sets nest deeper than max (fragments are followed; introspection counts).
type depthLimit struct{ max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (d depthLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if depth := selectionDepth(oc.Operation.SelectionSet, oc.Doc.Fragments, 0); depth > d.max {
		return &gqlerror.Error{
			Message:    fmt.Sprintf("query is %d levels deep, the limit is %d", depth, d.max),
			Extensions: map[string]any{"code": maillage.EINVALID},
		}
	}
	return nil
}

// selectionDepth returns the depth of set; visited guards fragment cycles
// (which validation refuses anyway) by a depth cap.
func selectionDepth(set ast.SelectionSet, fragments ast.FragmentDefinitionList, level int) int {
	if level > 100 {
		return level
	}
	max := level
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if len(s.SelectionSet) == 0 {
				d = level + 1
			} else {
				d = selectionDepth(s.SelectionSet, fragments, level+1)
			}
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, fragments, level)
		case *ast.FragmentSpread:
			if f := fragments.ForName(s.Name); f != nil {
				d = selectionDepth(f.SelectionSet, fragments, level)
			}
		}
		if d > max {
			max = d
		}
	}
	return max
}
