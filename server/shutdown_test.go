package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
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

	// The request's headers and half its body are on the wire.
	body := `{"query": "{ territories(first: 1) { edges { node { name } } } }"}`
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", addr, len(body), body[:20])
	time.Sleep(200 * time.Millisecond) // let the server read them: the connection is active

	cancel() // shutdown begins, and closes the listener
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the listener is still open 5 s after shutdown began")
		}
	}
	fmt.Fprint(conn, body[20:]) // only now does the request complete

	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("in-flight request cut by shutdown: %v", err)
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
}
