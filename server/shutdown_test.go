package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/maillage/maillage/postgres/pgtest"
	"github.com/maillage/maillage/server"
)

// A request in flight when shutdown begins is finished, not cut.
func TestShutdownFinishesInFlightRequests(t *testing.T) {
	db := pgtest.Seeded(t)
	s, err := server.New(context.Background(), server.Config{Addr: "127.0.0.1:0"}, db)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServe(ctx, func(addr string) { addrc <- addr }) }()
	addr := <-addrc

	body, w := io.Pipe()
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/graphql", body)
	req.Header.Set("Content-Type", "application/json")
	resc := make(chan *http.Response, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("in-flight request: %v", err)
		}
		resc <- res
	}()
	io.WriteString(w, `{"query": "{ territories(first: 1) `) // the request is in flight
	time.Sleep(100 * time.Millisecond)
	cancel() // shutdown begins
	time.Sleep(100 * time.Millisecond)
	io.WriteString(w, `{ edges { node { name } } } }"}`)
	w.Close()

	res := <-resc
	if res == nil {
		t.FailNow()
	}
	var r struct {
		Data struct {
			Territories struct {
				Edges []struct{ Node struct{ Name string } }
			}
		}
	}
	json.NewDecoder(res.Body).Decode(&r)
	res.Body.Close()
	if res.StatusCode != 200 || len(r.Data.Territories.Edges) != 1 || r.Data.Territories.Edges[0].Node.Name != "France" {
		t.Fatalf("in-flight request got %d %+v", res.StatusCode, r)
	}
	if err := <-done; err != nil {
		t.Fatalf("ListenAndServe after shutdown: %v", err)
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Fatal("the server still accepts connections after shutdown")
	}
}
