package server_test

import (
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
	"github.com/maillage/maillage/server"
)

// faultProxy is a TCP proxy between a hub and PostgreSQL that makes the
// database unreachable the two ways networks do: drop (every connection cut,
// new ones refused, as when PostgreSQL is down) and black hole (connections
// accepted and held, not one byte forwarded either way, as when a network
// path silently loses packets). restore ends either.
type faultProxy struct {
	t      testing.TB
	target string

	mu    sync.Mutex
	addr  string
	ln    net.Listener // nil while dropping
	held  bool         // black hole
	links map[*link]struct{}
}

// link is one proxied connection; held, it forwards nothing.
type link struct {
	client, server net.Conn // server nil when accepted in a black hole
	held           atomic.Bool
	once           sync.Once
}

func (l *link) close() {
	l.once.Do(func() {
		l.client.Close()
		if l.server != nil {
			l.server.Close()
		}
	})
}

// newFaultProxy forwards a local port to target (host:port) until t ends.
func newFaultProxy(t testing.TB, target string) *faultProxy {
	p := &faultProxy{t: t, target: target, links: map[*link]struct{}{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr, p.ln = ln.Addr().String(), ln
	go p.accept(ln)
	t.Cleanup(func() { p.restore(); p.mu.Lock(); p.ln.Close(); p.mu.Unlock(); p.cutAll() })
	return p
}

func (p *faultProxy) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go p.serve(c)
	}
}

func (p *faultProxy) serve(c net.Conn) {
	l := &link{client: c}
	p.mu.Lock()
	held := p.held
	p.links[l] = struct{}{}
	p.mu.Unlock()
	if held {
		l.held.Store(true)
		go p.pump(l, nil, c)
		return
	}
	s, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		p.forget(l)
		return
	}
	l.server = s
	go p.pump(l, s, c)
	go p.pump(l, c, s)
}

// pump copies src to dst while the link is not held; a held link reads and
// discards, so the peer's writes succeed and its reads wait.
func (p *faultProxy) pump(l *link, dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && dst != nil && !l.held.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	p.forget(l)
}

func (p *faultProxy) forget(l *link) {
	l.close()
	p.mu.Lock()
	delete(p.links, l)
	p.mu.Unlock()
}

// cutAll closes every connection.
func (p *faultProxy) cutAll() {
	p.mu.Lock()
	links := make([]*link, 0, len(p.links))
	for l := range p.links {
		links = append(links, l)
	}
	p.mu.Unlock()
	for _, l := range links {
		p.forget(l)
	}
}

// drop cuts every connection and refuses new ones.
func (p *faultProxy) drop() {
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	p.mu.Unlock()
	p.cutAll()
}

// blackHole holds every connection, open and new, forwarding nothing.
func (p *faultProxy) blackHole() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.held = true
	for l := range p.links {
		l.held.Store(true)
	}
}

// restore forwards again. Connections held in the black hole are closed, as
// a healed network resets them: their streams lost bytes.
func (p *faultProxy) restore() {
	p.mu.Lock()
	p.held = false
	var held []*link
	for l := range p.links {
		if l.held.Load() {
			held = append(held, l)
		}
	}
	if p.ln == nil {
		var err error
		for range 50 { // the port is ours again within moments
			if p.ln, err = net.Listen("tcp", p.addr); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			p.mu.Unlock()
			p.t.Errorf("proxy listen again on %s: %v", p.addr, err)
			return
		}
		go p.accept(p.ln)
	}
	p.mu.Unlock()
	for _, l := range held {
		p.forget(l)
	}
}

// proxiedHub starts a hub with cfg whose every connection to its seeded
// database goes through a fault proxy; direct is the same database reached
// without the proxy, for the test's own checks.
func proxiedHub(t *testing.T, cfg server.Config) (h *hub, p *faultProxy, direct *postgres.DB) {
	t.Helper()
	direct = pgtest.Seeded(t)
	u, err := url.Parse(direct.DSN)
	if err != nil {
		t.Fatal(err)
	}
	p = newFaultProxy(t, u.Host)
	u.Host = p.addr
	return newHub(t, pgtest.Open(t, u.String()), cfg), p, direct
}
