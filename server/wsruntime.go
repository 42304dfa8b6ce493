package server

import (
	"context"
	"sync"
	"time"
)

// wsRuntime is what every websocket of a hub shares, so that a connection
// costs one goroutine (its read loop) and no more:
//   - a small pool of workers runs the jobs that write to connections (a
//     subscription's ready events, keep-alives), so that no goroutine waits
//     per subscription and a slow write holds one worker, not the bus;
//   - one ticker sends every connection its keep-alive (graphql-transport-ws
//     ping, legacy graphql-ws "ka") and cuts those that answered no ping.
type wsRuntime struct {
	pingEvery time.Duration

	mu    sync.Mutex
	wake  *sync.Cond
	queue []wsJob // jobs waiting for a worker (each queued once at a time)
	conns map[*wsConn]struct{}
	done  bool
}

// wsJob is work for a worker: it may write to a connection.
type wsJob interface{ run() }

// wsWorkers is the size of the pool: enough that a few clients whose
// writes block (up to the write timeout) do not hold the others back; the
// work itself is CPU-bound.
const wsWorkers = 32

// newWSRuntime starts the workers and the keep-alive ticker until ctx ends.
func newWSRuntime(ctx context.Context, pingEvery time.Duration) *wsRuntime {
	rt := &wsRuntime{pingEvery: pingEvery, conns: map[*wsConn]struct{}{}}
	rt.wake = sync.NewCond(&rt.mu)
	for range wsWorkers {
		go rt.work()
	}
	go rt.keepAlive(ctx)
	context.AfterFunc(ctx, func() {
		rt.mu.Lock()
		rt.done = true
		rt.mu.Unlock()
		rt.wake.Broadcast()
	})
	return rt
}

// put queues j for a worker; it never blocks (the bus calls it under its lock).
func (rt *wsRuntime) put(j wsJob) {
	rt.mu.Lock()
	rt.queue = append(rt.queue, j)
	rt.mu.Unlock()
	rt.wake.Signal()
}

func (rt *wsRuntime) work() {
	for {
		rt.mu.Lock()
		for len(rt.queue) == 0 && !rt.done {
			rt.wake.Wait()
		}
		if rt.done {
			rt.mu.Unlock()
			return
		}
		j := rt.queue[0]
		rt.queue[0] = nil
		rt.queue = rt.queue[1:]
		if len(rt.queue) == 0 {
			rt.queue = nil // let a burst's backing array go
		}
		rt.mu.Unlock()
		j.run()
	}
}

// add and remove track the connections the keep-alive visits.
func (rt *wsRuntime) add(c *wsConn) {
	rt.mu.Lock()
	rt.conns[c] = struct{}{}
	rt.mu.Unlock()
}

func (rt *wsRuntime) remove(c *wsConn) {
	rt.mu.Lock()
	delete(rt.conns, c)
	rt.mu.Unlock()
}

// keepAlive visits every connection once per interval, through the workers
// (a keep-alive is a write, which may block on a slow client).
func (rt *wsRuntime) keepAlive(ctx context.Context) {
	if rt.pingEvery <= 0 {
		return
	}
	tick := time.NewTicker(rt.pingEvery)
	defer tick.Stop()
	var conns []*wsConn
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		rt.mu.Lock()
		conns = conns[:0]
		for c := range rt.conns {
			conns = append(conns, c)
		}
		rt.mu.Unlock()
		for _, c := range conns {
			rt.put(keepAliveJob{c})
		}
		clear(conns)
	}
}

// keepAliveJob sends one connection its keep-alive.
type keepAliveJob struct{ c *wsConn }

func (j keepAliveJob) run() { j.c.keepAlive() }
