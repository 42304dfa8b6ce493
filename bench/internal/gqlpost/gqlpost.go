// Package gqlpost sends one GraphQL operation to the hub over HTTP, as the
// benchmarks' clients do: a bearer token, a JSON body, and a GraphQL error
// returned as a Go error.
package gqlpost

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Post runs query with vars at endpoint (the hub's /graphql) as the holder
// of token and decodes the response's data into data, unless data is nil.
// An HTTP response that is not GraphQL, or one with errors, is an error.
func Post(ctx context.Context, client *http.Client, endpoint, token, query string, vars map[string]any, data any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var out struct {
		Data   json.RawMessage  `json:"data"`
		Errors []map[string]any `json:"errors"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return fmt.Errorf("status %d: %w", res.StatusCode, err)
	}
	if len(out.Errors) > 0 {
		return fmt.Errorf("%v", out.Errors)
	}
	if data == nil {
		return nil
	}
	return json.Unmarshal(out.Data, data)
}
