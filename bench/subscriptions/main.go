// Command subscriptions measures the hub under many websocket subscribers: it
// starts a hub binary on a fresh database, opens N graphql-transport-ws
// connections each subscribed to a territory's activity, publishes events
// with mutations, and reports the event-to-client latency (from the event's
// creation in the database to its arrival at each client: mean, p50, p99,
// max) and the hub's resident memory per subscriber (RSS delta / N).
//
//	go build -o /tmp/maillage ./cmd/maillage
//	go run ./bench/subscriptions -bin /tmp/maillage -n 1000 [-update]
//
// It raises its limit of open files to what its connections need (the hub
// inherits it): beyond the hard limit only with CAP_SYS_RESOURCE. Without
// it, -per-conn k opens n/k connections of k subscriptions each.
//
// The database server is MAILLAGE_TEST_DATABASE_URL (default postgres on
// 127.0.0.1:5432); the fresh database is dropped at the end.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/maillage/maillage/bench/internal/gqlpost"
	"github.com/maillage/maillage/postgres"
)

func main() {
	bin := flag.String("bin", "", "path to the maillage binary (required)")
	n := flag.Int("n", 1000, "concurrent subscribers")
	events := flag.Int("events", 50, "events to publish")
	interval := flag.Duration("interval", 100*time.Millisecond, "pause between published events")
	parallel := flag.Int("dial-parallel", 50, "connections opened at once")
	update := flag.Bool("update", false, "publish updates of one structure (one domain) instead of new structures")
	perConn := flag.Int("per-conn", 1, "subscriptions per connection (n/per-conn connections)")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "usage: subscriptions -bin <maillage binary> [-n 1000] [-events 50]")
		os.Exit(2)
	}
	*perConn = max(1, *perConn)
	conns := (*n + *perConn - 1) / *perConn
	if err := raiseOpenFiles(uint64(conns) + 64); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if err := run(*bin, *n, *perConn, *events, *interval, *parallel, *update); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(bin string, n, perConn, events int, interval time.Duration, parallel int, update bool) error {
	ctx := context.Background()
	dsn := freshDatabase()
	defer postgres.DropDatabase(ctx, dsn)
	port, err := freePort()
	if err != nil {
		return err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	env := append(os.Environ(), "DATABASE_URL="+dsn, "MAILLAGE_ADDR="+addr)
	hubCmd := exec.Command(bin, "serve")
	hubCmd.Env = env
	var hubLog bytes.Buffer
	hubCmd.Stdout, hubCmd.Stderr = &hubLog, &hubLog
	if err := hubCmd.Start(); err != nil {
		return err
	}
	defer func() { hubCmd.Process.Signal(os.Interrupt); hubCmd.Wait() }()
	base := "http://" + addr
	if err := waitReady(base); err != nil {
		return fmt.Errorf("%w\n%s", err, hubLog.String())
	}
	tokCmd := exec.Command(bin, "token", "admin")
	tokCmd.Env = env
	out, err := tokCmd.Output()
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	token := strings.TrimSpace(string(out))
	var terr struct {
		Territories struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	if err := gqlpost.Post(context.Background(), http.DefaultClient, base+"/graphql", token, `{ territories(filter: {level: LOCAL, search: "Rouen Nord"}, first: 1) { edges { node { id } } } }`, nil, &terr); err != nil {
		return err
	}
	territory := terr.Territories.Edges[0].Node.ID
	var cur struct{ EventCursor string }
	if err := gqlpost.Post(context.Background(), http.DefaultClient, base+"/graphql", token, `{ eventCursor }`, nil, &cur); err != nil {
		return err
	}

	time.Sleep(500 * time.Millisecond)
	rssBefore := rss(hubCmd.Process.Pid)

	// Open the subscribers.
	rec := &recorder{}
	conns := (n + perConn - 1) / perConn
	clients := make([]*client, conns)
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	var dialErr atomic.Value
	start := time.Now()
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			subs := min(perConn, n-i*perConn)
			c, err := dial("ws://"+addr+"/graphql", token, territory, cur.EventCursor, subs, rec)
			if err != nil {
				dialErr.Store(err)
				return
			}
			clients[i] = c
		}()
	}
	wg.Wait()
	if err, ok := dialErr.Load().(error); ok {
		return fmt.Errorf("dial: %w", err)
	}
	fmt.Printf("subscribers: %d on %d connections, connected in %s\n", n, conns, time.Since(start).Round(time.Millisecond))

	// Warm-up event: every subscriber is live once all have it.
	rec.expect(n)
	structure, err := createStructure(base, token, territory, "MSP warmup")
	if err != nil {
		return err
	}
	if err := rec.wait(2 * time.Minute); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	time.Sleep(500 * time.Millisecond)
	rssAfter := rss(hubCmd.Process.Pid)

	// Measure: each event a new structure (a new domain each time), or
	// updates of one structure (the same domain).
	rec.expect(events * n)
	cpuBefore := cpuTime(hubCmd.Process.Pid)
	pubStart := time.Now()
	for i := range events {
		name := fmt.Sprint("MSP bench ", i)
		if update {
			err = renameStructure(base, token, structure, name)
		} else {
			_, err = createStructure(base, token, territory, name)
		}
		if err != nil {
			return err
		}
		time.Sleep(interval)
	}
	if err := rec.wait(5 * time.Minute); err != nil {
		return err
	}
	elapsed := time.Since(pubStart)
	hubCPU := cpuTime(hubCmd.Process.Pid) - cpuBefore
	lat := rec.latencies()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	var sum time.Duration
	for _, l := range lat {
		sum += l
	}
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	fmt.Printf("events: %d %s published in %s, %d deliveries (expected %d), connections lost: %d\n",
		events, map[bool]string{false: "new structures", true: "updates of one structure"}[update],
		elapsed.Round(time.Millisecond), len(lat), events*n, rec.closed.Load())
	fmt.Printf("latency event->client: mean %s  p50 %s  p99 %s  max %s\n",
		(sum / time.Duration(len(lat))).Round(time.Microsecond), pct(0.50).Round(time.Microsecond),
		pct(0.99).Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))
	fmt.Printf("hub CPU: %s for %d deliveries: %.1f µs per delivery (load-independent, unlike the latency)\n",
		hubCPU.Round(time.Millisecond), len(lat), float64(hubCPU.Microseconds())/float64(max(1, len(lat))))
	fmt.Printf("hub RSS: %.1f MiB before, %.1f MiB with %d subscribers: %.1f KiB per subscriber\n",
		float64(rssBefore)/(1<<20), float64(rssAfter)/(1<<20), n, float64(rssAfter-rssBefore)/1024/float64(n))
	for _, c := range clients {
		c.conn.Close()
	}
	return nil
}

// raiseOpenFiles raises RLIMIT_NOFILE to at least need, soft and hard (the
// hard limit only rises for root); the hub started after inherits it.
func raiseOpenFiles(need uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if lim.Cur >= need {
		return nil
	}
	want := syscall.Rlimit{Cur: need, Max: max(need, lim.Max)}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
		if lim.Max < need {
			return fmt.Errorf("open files: %d needed, hard limit %d (%v): raising it needs CAP_SYS_RESOURCE; or open fewer connections with -per-conn", need, lim.Max, err)
		}
		return err
	}
	return nil
}

// recorder collects the clients' latencies and counts deliveries.
type recorder struct {
	mu     sync.Mutex
	lat    []time.Duration
	count  int
	need   int
	done   chan struct{}
	closed atomic.Int64
}

// expect starts a phase that ends after need deliveries.
func (r *recorder) expect(need int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lat, r.count, r.need, r.done = nil, 0, need, make(chan struct{})
}

func (r *recorder) record(at, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lat = append(r.lat, now.Sub(at))
	r.count++
	if r.count == r.need {
		close(r.done)
	}
}

func (r *recorder) wait(d time.Duration) error {
	r.mu.Lock()
	ch := r.done
	r.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-time.After(d):
		r.mu.Lock()
		defer r.mu.Unlock()
		return fmt.Errorf("%d of %d deliveries", r.count, r.need)
	}
}

func (r *recorder) latencies() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.lat...)
}

// client is one subscriber.
type client struct{ conn *websocket.Conn }

func dial(u, token, territory, after string, subs int, rec *recorder) (*client, error) {
	d := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: 30 * time.Second}
	conn, _, err := d.Dial(u, nil)
	if err != nil {
		return nil, err
	}
	send := func(v any) error { return conn.WriteJSON(v) }
	if err := send(map[string]any{"type": "connection_init", "payload": map[string]string{"Authorization": "Bearer " + token}}); err != nil {
		return nil, err
	}
	var m struct {
		Type    string          `json:"type"`
		Payload json.RawMessage `json:"payload"`
	}
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	if err := conn.ReadJSON(&m); err != nil || m.Type != "connection_ack" {
		return nil, fmt.Errorf("init: %s %v", m.Type, err)
	}
	conn.SetReadDeadline(time.Time{})
	for i := range subs {
		if err := send(map[string]any{"type": "subscribe", "id": strconv.Itoa(i + 1), "payload": map[string]any{
			"query":     `subscription($t: ID!, $a: String) { territoryActivity(territoryId: $t, after: $a) { cursor subjectId at } }`,
			"variables": map[string]any{"t": territory, "a": after},
		}}); err != nil {
			return nil, err
		}
	}
	go func() {
		var wmu sync.Mutex
		for {
			var m struct {
				Type    string `json:"type"`
				Payload struct {
					Data struct {
						TerritoryActivity struct {
							SubjectID string
							At        time.Time
						}
					}
				} `json:"payload"`
			}
			if err := conn.ReadJSON(&m); err != nil {
				rec.closed.Add(1)
				return
			}
			now := time.Now()
			switch m.Type {
			case "ping":
				wmu.Lock()
				conn.WriteJSON(map[string]string{"type": "pong"})
				wmu.Unlock()
			case "next":
				a := m.Payload.Data.TerritoryActivity
				rec.record(a.At, now)
			}
		}
	}()
	return &client{conn: conn}, nil
}

// createStructure creates an MSP in the territory; returns its id.
func createStructure(base, token, territory, name string) (string, error) {
	var out struct{ CreateStructure struct{ ID string } }
	err := gqlpost.Post(context.Background(), http.DefaultClient, base+"/graphql", token, `mutation($t: ID!, $n: String!) { createStructure(input: {kind: MSP, name: $n, territoryId: $t}) { id } }`,
		map[string]any{"t": territory, "n": name}, &out)
	return out.CreateStructure.ID, err
}

// renameStructure updates a structure's name.
func renameStructure(base, token, id, name string) error {
	var out any
	return gqlpost.Post(context.Background(), http.DefaultClient, base+"/graphql", token, `mutation($id: ID!, $n: String!) { updateStructure(id: $id, input: {name: $n}) { id } }`,
		map[string]any{"id": id, "n": name}, &out)
}

// rss returns the resident set size of a process, in bytes.
func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// cpuTime returns the CPU time (user and system) a process has used.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name (in parentheses, which may hold spaces).
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // clock ticks (USER_HZ)
}

func waitReady(base string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("hub not ready")
}

func freshDatabase() string {
	server := os.Getenv("MAILLAGE_TEST_DATABASE_URL")
	if server == "" {
		server = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	u, _ := url.Parse(server)
	b := make([]byte, 6)
	rand.Read(b)
	u.Path = "/maillage_bench_" + hex.EncodeToString(b)
	return u.String()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
