package server

import (
	"context"
	"fmt"
	"strings"

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

// selectionDepth returns how deep set nests below level, following
// fragments. An introspection field ("__schema", "__type") counts as one
// level: it reads the schema, not data (the explorer's own query nests 15
// levels), and gqlparser's validation already bounds its depth.
func selectionDepth(set ast.SelectionSet, fragments ast.FragmentDefinitionList, level int) int {
	if level > 100 {
		return level
	}
	max := level
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if len(s.SelectionSet) == 0 || strings.HasPrefix(s.Name, "__") {
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

// inputGuard refuses, before any resolver runs, a string input (a variable
// or a literal argument) that holds a NUL character or is longer than max
// bytes: PostgreSQL refuses NUL in text, and no field of the hub needs more.
type inputGuard struct{ max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = inputGuard{}

func (inputGuard) ExtensionName() string                   { return "InputGuard" }
func (inputGuard) Validate(graphql.ExecutableSchema) error { return nil }

func (g inputGuard) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	for name, v := range oc.Variables {
		if path, problem := g.check(v, "$"+name); problem != "" {
			return inputError(path, problem)
		}
	}
	var bad *gqlerror.Error
	walkArguments(oc.Operation.SelectionSet, oc.Doc.Fragments, 0, func(arg *ast.Argument) {
		if bad != nil {
			return
		}
		if path, problem := g.check(literal(arg.Value), arg.Name); problem != "" {
			bad = inputError(path, problem)
		}
	})
	return bad
}

func inputError(path, problem string) *gqlerror.Error {
	return &gqlerror.Error{
		Message:    path + ": " + problem,
		Extensions: map[string]any{"code": maillage.EINVALID, "field": path},
	}
}

// check returns the path of the first string in v that is refused, and why.
func (g inputGuard) check(v any, path string) (string, string) {
	switch v := v.(type) {
	case string:
		if strings.ContainsRune(v, 0) {
			return path, "must not contain a NUL character"
		}
		if len(v) > g.max {
			return path, fmt.Sprintf("is %d bytes long, the limit is %d", len(v), g.max)
		}
	case map[string]any:
		for k, child := range v {
			if p, problem := g.check(child, path+"."+k); problem != "" {
				return p, problem
			}
		}
	case []any:
		for i, child := range v {
			if p, problem := g.check(child, fmt.Sprintf("%s[%d]", path, i)); problem != "" {
				return p, problem
			}
		}
	}
	return "", ""
}

// literal turns a literal argument value into the Go values check walks
// (variables in it are checked as variables).
func literal(v *ast.Value) any {
	if v == nil {
		return nil
	}
	switch v.Kind {
	case ast.StringValue, ast.BlockValue:
		return v.Raw
	case ast.ObjectValue:
		m := make(map[string]any, len(v.Children))
		for _, c := range v.Children {
			m[c.Name] = literal(c.Value)
		}
		return m
	case ast.ListValue:
		l := make([]any, len(v.Children))
		for i, c := range v.Children {
			l[i] = literal(c.Value)
		}
		return l
	}
	return nil
}

// walkArguments calls f on every argument of every field in set, following
// fragments (to a bounded depth: the depth limit refuses deeper ones).
func walkArguments(set ast.SelectionSet, fragments ast.FragmentDefinitionList, level int, f func(*ast.Argument)) {
	if level > 100 {
		return
	}
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			for _, a := range s.Arguments {
				f(a)
			}
			walkArguments(s.SelectionSet, fragments, level+1, f)
		case *ast.InlineFragment:
			walkArguments(s.SelectionSet, fragments, level+1, f)
		case *ast.FragmentSpread:
			if def := fragments.ForName(s.Name); def != nil {
				walkArguments(def.SelectionSet, fragments, level+1, f)
			}
		}
	}
}
