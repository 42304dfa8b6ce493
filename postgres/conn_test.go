package postgres_test

import (
	"context"
	"io"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

// forwardLater makes addr forward to PostgreSQL after delay (nothing listens
// there before), until t ends.
func forwardLater(t *testing.T, addr string, delay time.Duration) {
	target, err := url.Parse(pgtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(delay, func() {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Errorf("listen on %s: %v", addr, err)
			return
		}
		t.Cleanup(func() { ln.Close() })
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target.Host)
			if err != nil {
				c.Close()
				continue
			}
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	})
}

// freeAddr is a local address where nothing listens.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// An instance started before PostgreSQL waits for it, and gives up after
// the time it was given.
func TestWaitForServer(t *testing.T) {
	u, _ := url.Parse(pgtest.ServerURL())
	ctx := context.Background()

	u.Host = freeAddr(t)
	if err := postgres.WaitForServer(ctx, u.String(), 700*time.Millisecond); err == nil {
		t.Fatalf("nothing at %s, yet the wait succeeded", u.Host)
	}

	u.Host = freeAddr(t)
	forwardLater(t, u.Host, time.Second)
	if err := postgres.WaitForServer(ctx, u.String(), time.Minute); err != nil {
		t.Fatalf("PostgreSQL answered after a second, but: %v", err)
	}
}
