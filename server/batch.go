package server

import (
	"fmt"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// doBatch runs a batch (a JSON array of operations, as Apollo Client's
// BatchHttpLink sends) one operation after the other, in order, and answers
// the array of their responses: 200 when the batch ran, whatever each
// operation's outcome, each of which is in its own response. A batch is
// answered in JSON only, and holds at most maxBatch operations (400 beyond).
func (t httpTransport) doBatch(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, ops []*graphql.RawParams, media string, start time.Time) {
	ctx := r.Context()
	refuse := func(message string) {
		writeResponse(w, http.StatusBadRequest, errorsOnly(exec.DispatchError(ctx, gqlerror.List{requestError(message)})))
	}
	switch {
	case media == "":
		refuse("a batch is answered in JSON: Accept must allow " + mediaGraphQLResponse + " or " + mediaJSON)
		return
	case len(ops) == 0:
		refuse("the batch is empty")
		return
	case len(ops) > t.maxBatch:
		refuse(fmt.Sprintf("a batch holds at most %d operations, this one %d", t.maxBatch, len(ops)))
		return
	}
	read := graphql.TraceTiming{Start: start, End: graphql.Now()}
	results := make([]any, len(ops))
	for i, params := range ops {
		if params == nil {
			params = &graphql.RawParams{}
		}
		if err := checkParams(params); err != nil {
			results[i] = errorsOnly(exec.DispatchError(ctx, gqlerror.List{requestError(fmt.Sprintf("operation %d: %v", i, err))}))
			continue
		}
		params.Headers, params.ReadTime = r.Header, read
		_, results[i] = execute(ctx, exec, params, r.Method, media)
	}
	writeResponse(w, http.StatusOK, results)
}
