// Command directory measures the dashboards' typical directory read — one
// local territory, its structures (first 20, with totalCount), each
// structure's current members (first 50, with totalCount), each member's
// professional — through the hub over HTTP, against PostgreSQL's own cost of
// the same rows in the same run: the five prepared statements a dataloader
// would send, one per level.
//
// It serves the hub in this process on a database of the national directory
// (-dsn; default: a fresh database seeded with "maillage seed --national"'s
// data and dropped at the end), and reports requests per second at -c
// concurrent connections, latency percentiles at one connection, and the CPU
// time each read of the throughput run cost: in this process (the hub and the
// load generator, or the raw SQL client) and elsewhere on the machine
// (PostgreSQL, PostGraphile's Node). Each contender's answer is checked whole
// once; the timed reads then read each answer whole but only count its
// members, so that the load generator, on the same two cores as the servers,
// takes as little of them as it can. Answers are plain JSON unless -gzip:
// PostGraphile's Node server does not compress, the hub does when asked.
//
// With -postgraphile it also measures PostGraphile v5 (amber preset,
// production mode, read-only) serving the same tables, as a child process
// started from bench/directory/postgraphile (npm ci there first if its
// node_modules is missing; it brings its own Node 22), with the same read
// through PostGraphile's foreign-key relations, and prints the hub's
// throughput over PostGraphile's. Every contender must read the same number of
// members or the benchmark fails.
//
//	go run ./bench/directory -d 10s
//	go run ./bench/directory -dsn postgres://postgres@127.0.0.1:5432/national?sslmode=disable
//	go run ./bench/directory -dsn postgres://postgres@127.0.0.1:5432/national?sslmode=disable -postgraphile
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lib/pq"

	"github.com/maillage/maillage/bench/internal/machine"
	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/server"
)

// options are the benchmark's flags.
type options struct {
	dsn, pgServer  string
	c              int
	d              time.Duration
	first, members int
	postgraphile   bool
	gzip           bool
	executorOnly   bool
}

func main() {
	var o options
	flag.StringVar(&o.dsn, "dsn", "", "a database holding the national directory (default: seed a fresh one, dropped at the end)")
	flag.StringVar(&o.pgServer, "pg", envOr("MAILLAGE_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		"without -dsn: the PostgreSQL server to create the fresh database on")
	flag.IntVar(&o.c, "c", 16, "concurrent connections of the throughput runs")
	flag.DurationVar(&o.d, "d", 10*time.Second, "duration of each measured run (after a warm-up of a fifth of it)")
	flag.IntVar(&o.first, "first", 20, "structures per page")
	flag.IntVar(&o.members, "members", 50, "members per structure page (first:)")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the whole run (hub, client and raw SQL) to this file")
	flag.BoolVar(&o.postgraphile, "postgraphile", false, "also measure PostGraphile v5 on the same tables (needs npm; see bench/directory/postgraphile)")
	flag.BoolVar(&o.gzip, "gzip", false, "ask the GraphQL servers for gzip-compressed answers, as Go's client does by default "+
		"(the hub compresses them; PostGraphile's Node server does not, so by default both send the same plain JSON)")
	flag.BoolVar(&o.executorOnly, "executor-only", false, "serve the hub's read through gqlgen's executor, without direct reads (server.Config.ExecutorOnly)")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(o); err != nil {
		log.Print(err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// query is the read, as a dashboard sends it.
const query = `query($t: ID!, $first: Int!, $members: Int!) { territory(id: $t) { name
	structures(first: $first) { totalCount edges { node { id name
		members(first: $members) { totalCount edges { node { role professional { rpps lastName profession } } } } } } } } }`

// postgraphileQuery is the same read in the schema PostGraphile's amber preset
// makes of the hub's tables, aliased to the hub's shape: the structures of a
// local territory are those whose territory_id is it, not archived, by name;
// a structure's members its memberships not ended, by start (the hub's order).
const postgraphileQuery = `query($t: String!, $first: Int!, $members: Int!) { territory: territoryByRowId(rowId: $t) { name
	structures: structuresByTerritoryId(first: $first, orderBy: [NAME_ASC], condition: {archivedAt: null}) { totalCount edges { node { id name
		members: membershipsByStructureId(first: $members, orderBy: [STARTED_AT_ASC], condition: {endedAt: null}) { totalCount edges { node { role
			professional: professionalByProfessionalId { rpps lastName profession } } } } } } } } }`

func run(o options) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dsn, c, d := o.dsn, o.c, o.d
	if dsn == "" {
		var err error
		if dsn, err = freshNational(ctx, o.pgServer); err != nil {
			return err
		}
		defer postgres.DropDatabase(context.Background(), dsn)
	}
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	var territory string
	// The local territory whose structure count is closest to a page of 15
	// (the issue's: 15 structures, about 300 members).
	const pick = `SELECT t.id FROM territories t JOIN structures s ON s.territory_id = t.id
		WHERE t.level = 'LOCAL' AND s.archived_at IS NULL GROUP BY t.id ORDER BY abs(count(*) - 15), t.id LIMIT 1`
	if err := db.GetContext(ctx, &territory, pick); err != nil {
		return fmt.Errorf("pick a local territory (is the national directory seeded?): %w", err)
	}
	srv, err := server.New(ctx, server.Config{Addr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), ExecutorOnly: o.executorOnly}, db)
	if err != nil {
		return err
	}
	addr := make(chan string, 1)
	go srv.ListenAndServe(ctx, func(a string) { addr <- a })
	vars := map[string]any{"t": territory, "first": o.first, "members": o.members}
	hub := newGraphQLClient("http://"+<-addr+"/graphql", query, vars, c, o.gzip)
	raw, err := newRawSQL(ctx, dsn, c, o.first, o.members)
	if err != nil {
		return err
	}
	defer raw.Close()

	// The contenders, in the order they are measured; each reads the rows
	// once first, and all must read as many members.
	type contender struct {
		name string
		read func(context.Context) (int, error) // checks the whole answer
		load func(context.Context) (int, error) // the timed read
	}
	contenders := []contender{{"hub (HTTP)", hub.read, hub.load}}
	if o.postgraphile {
		endpoint, stop, err := startPostGraphile(ctx, dsn)
		if err != nil {
			return fmt.Errorf("PostGraphile: %w", err)
		}
		defer stop()
		pgl := newGraphQLClient(endpoint, postgraphileQuery, vars, c, o.gzip)
		contenders = append(contenders, contender{"PostGraphile", pgl.read, pgl.load})
	}
	rawRead := func(ctx context.Context) (int, error) { return raw.read(ctx, territory) }
	contenders = append(contenders, contender{"raw SQL", rawRead, rawRead})
	rows := make([]int, len(contenders))
	for i, k := range contenders {
		if rows[i], err = k.read(ctx); err != nil {
			return fmt.Errorf("%s: %w", k.name, err)
		}
		if rows[i] != rows[0] {
			return fmt.Errorf("%s read %d members, %s %d: not the same rows", contenders[0].name, rows[0], k.name, rows[i])
		}
	}
	fmt.Printf("territory %s: %d members per read; %d-connection runs of %s; gzip %t; executor only %t; load average %s, %d CPUs\n",
		territory, rows[0], c, d, o.gzip, o.executorOnly, machine.LoadAverage(), runtime.NumCPU())
	fmt.Printf("%-12s %12s %10s %10s %10s %22s   %s\n", "", fmt.Sprintf("req/s @%d", c), "p50 @1", "p90 @1", "p99 @1",
		"CPU/read here, else", "load average (1, 5, 15 min) after")
	tput, p50 := map[string]float64{}, map[string]time.Duration{}
	for _, k := range contenders {
		read := func(ctx context.Context) error {
			n, err := k.load(ctx)
			if err == nil && n != rows[0] {
				err = fmt.Errorf("read %d members, not %d", n, rows[0])
			}
			return err
		}
		before := machine.CPUNow()
		perSecond, _, err := measure(ctx, read, c, d)
		if err != nil {
			return fmt.Errorf("%s: %w", k.name, err)
		}
		// The warm-up (a fifth of d) spent CPU too: count its reads at the
		// measured rate.
		here, elsewhere := machine.CPUNow().Per(before, perSecond*(d+d/5).Seconds())
		_, lat, err := measure(ctx, read, 1, d)
		if err != nil {
			return fmt.Errorf("%s: %w", k.name, err)
		}
		tput[k.name], p50[k.name] = perSecond, pct(lat, 0.5)
		fmt.Printf("%-12s %12.0f %10s %10s %10s %10s %10s   %s\n", k.name, perSecond, pct(lat, 0.5), pct(lat, 0.9), pct(lat, 0.99),
			here.Round(10*time.Microsecond), elsewhere.Round(10*time.Microsecond), machine.LoadAverage())
	}
	fmt.Printf("hub p50 / raw SQL p50 at 1 connection: %.2f\n", float64(p50["hub (HTTP)"])/float64(p50["raw SQL"]))
	if o.postgraphile {
		fmt.Printf("hub req/s / PostGraphile req/s at %d connections: %.2f\n", c, tput["hub (HTTP)"]/tput["PostGraphile"])
	}
	return nil
}

// startPostGraphile runs bench/directory/postgraphile/server.mjs on dsn with
// the Node it installs (npm ci first if its node_modules is missing), waits
// until it has built its schema and returns its endpoint, and a stop that
// ends it.
func startPostGraphile(ctx context.Context, dsn string) (string, func(), error) {
	_, self, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(self), "postgraphile")
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); os.IsNotExist(err) {
		fmt.Println("installing PostGraphile (npm ci in " + dir + ")…")
		npm := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
		npm.Dir, npm.Stdout, npm.Stderr = dir, os.Stderr, os.Stderr
		if err := npm.Run(); err != nil {
			return "", nil, fmt.Errorf("npm ci in %s: %w", dir, err)
		}
	}
	cmd := exec.Command(filepath.Join(dir, "node_modules", ".bin", "node"), "server.mjs")
	cmd.Dir, cmd.Stderr = dir, os.Stderr
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dsn)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}
	// The server prints its endpoint once its schema is built.
	endpoint := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		endpoint <- strings.TrimSpace(line)
		io.Copy(io.Discard, out)
	}()
	select {
	case e := <-endpoint:
		if !strings.HasPrefix(e, "http://") {
			stop()
			return "", nil, fmt.Errorf("server.mjs ended without an endpoint (its errors are above)")
		}
		return e, stop, nil
	case <-time.After(2 * time.Minute):
		stop()
		return "", nil, fmt.Errorf("server.mjs gave no endpoint within 2 minutes")
	}
}

// freshNational creates a database on pgServer and seeds the national
// directory into it.
func freshNational(ctx context.Context, pgServer string) (string, error) {
	u, err := url.Parse(pgServer)
	if err != nil {
		return "", err
	}
	b := make([]byte, 6)
	rand.Read(b)
	u.Path = "/maillage_bench_" + hex.EncodeToString(b)
	dsn := u.String()
	if err := postgres.EnsureDatabase(ctx, dsn); err != nil {
		return "", err
	}
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		return "", err
	}
	defer db.Close()
	fmt.Println("seeding the national directory…")
	r, err := postgres.SeedNational(ctx, db)
	if err != nil {
		postgres.DropDatabase(context.Background(), dsn)
		return "", err
	}
	fmt.Printf("seeded %d structures, %d professionals, %d memberships in %s\n", r.Structures, r.Professionals, r.Memberships, r.Took.Round(time.Second))
	return dsn, nil
}

// measure runs read on c connections for d after a warm-up of d/5, and
// returns the reads per second and each read's latency.
func measure(ctx context.Context, read func(context.Context) error, c int, d time.Duration) (float64, []time.Duration, error) {
	var (
		mu        sync.Mutex
		latencies []time.Duration
		failed    atomic.Value
		wg        sync.WaitGroup
	)
	warm := time.Now().Add(d / 5)
	stop := warm.Add(d)
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for {
				t0 := time.Now()
				if t0.After(stop) {
					break
				}
				if err := read(ctx); err != nil {
					failed.Store(err)
					return
				}
				if t0.After(warm) {
					mine = append(mine, time.Since(t0))
				}
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		return 0, nil, err
	}
	slices.Sort(latencies)
	return float64(len(latencies)) / d.Seconds(), latencies, nil
}

func pct(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return ds[int(q*float64(len(ds)-1))].Round(10 * time.Microsecond)
}

// graphqlClient posts one query to a GraphQL endpoint, anonymously (the
// directory is public), on up to c kept-alive connections.
type graphqlClient struct {
	endpoint string
	client   *http.Client
	body     []byte
	buffers  sync.Pool // of *bytes.Buffer, for load
}

func newGraphQLClient(endpoint, query string, vars map[string]any, c int, gzip bool) *graphqlClient {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	transport := &http.Transport{MaxIdleConnsPerHost: c, DisableCompression: !gzip}
	return &graphqlClient{endpoint: endpoint, client: &http.Client{Transport: transport}, body: body}
}

// post sends the query.
func (g *graphqlClient) post(ctx context.Context) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.endpoint, bytes.NewReader(g.body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return g.client.Do(req)
}

// load is the timed read: it reads the whole answer but does not parse it,
// since a load generator sharing the machine's two cores with the servers
// must take as little of them as it can. It refuses an answer that is not a
// 200 or carries errors, and counts the members by their "role" key (once
// per member in both queries); read checked the answer's shape once.
func (g *graphqlClient) load(ctx context.Context) (int, error) {
	res, err := g.post(ctx)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	buf, _ := g.buffers.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	defer g.buffers.Put(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(res.Body); err != nil {
		return 0, err
	}
	if b := buf.Bytes(); res.StatusCode != http.StatusOK || bytes.Contains(b, []byte(`"errors"`)) {
		return 0, fmt.Errorf("status %d: %.300s", res.StatusCode, b)
	}
	return bytes.Count(buf.Bytes(), []byte(`"role":`)), nil
}

// read runs the query and returns how many members it read: the answer has
// the shape of the hub's query (territory.structures.edges.node.members.edges).
func (g *graphqlClient) read(ctx context.Context) (int, error) {
	res, err := g.post(ctx)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	var out struct {
		Data struct {
			Territory struct {
				Structures struct {
					Edges []struct {
						Node struct {
							Members struct {
								Edges []json.RawMessage `json:"edges"`
							} `json:"members"`
						} `json:"node"`
					} `json:"edges"`
				} `json:"structures"`
			} `json:"territory"`
		} `json:"data"`
		Errors []map[string]any `json:"errors"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return 0, fmt.Errorf("status %d: %w", res.StatusCode, err)
	}
	if len(out.Errors) > 0 {
		return 0, fmt.Errorf("%v", out.Errors)
	}
	n := 0
	for _, e := range out.Data.Territory.Structures.Edges {
		n += len(e.Node.Members.Edges)
	}
	return n, nil
}

// rawSQL reads the same rows with five prepared statements on lib/pq, one
// per level, as a dataloader sends them: the territory, its page of
// structures, their count, the members of the page, their professionals.
type rawSQL struct {
	db                                                  *sql.DB
	territory, structures, count, members, professional *sql.Stmt
	first, perStructure                                 int
}

func newRawSQL(ctx context.Context, dsn string, c, first, members int) (*rawSQL, error) {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(c)
	db.SetMaxIdleConns(c)
	r := &rawSQL{db: db, first: first, perStructure: members}
	for _, s := range []struct {
		stmt **sql.Stmt
		q    string
	}{
		{&r.territory, `SELECT id, name, path FROM territories WHERE id = $1`},
		{&r.structures, `SELECT s.id, s.name FROM structures s JOIN territories t ON t.id = s.territory_id
			WHERE (t.path = $1 OR (t.path ~>=~ ($1 || '/') AND t.path ~<~ ($1 || '0'))) AND s.archived_at IS NULL
			ORDER BY s.name, s.id LIMIT $2`},
		{&r.count, `SELECT count(*) FROM structures s JOIN territories t ON t.id = s.territory_id
			WHERE (t.path = $1 OR (t.path ~>=~ ($1 || '/') AND t.path ~<~ ($1 || '0'))) AND s.archived_at IS NULL`},
		{&r.members, `SELECT k.id, x.id, x.role, x.professional_id FROM unnest($1::text[]) k(id)
			CROSS JOIN LATERAL (SELECT m.id, m.role, m.professional_id, m.started_at FROM memberships m
				WHERE m.structure_id = k.id AND m.ended_at IS NULL ORDER BY m.started_at, m.id LIMIT $2) x`},
		{&r.professional, `SELECT id, rpps, last_name, profession FROM professionals WHERE id = ANY($1)`},
	} {
		if *s.stmt, err = db.PrepareContext(ctx, s.q); err != nil {
			db.Close()
			return nil, err
		}
	}
	return r, nil
}

func (r *rawSQL) Close() error { return r.db.Close() }

// read reads the rows of the query and returns how many members it read.
func (r *rawSQL) read(ctx context.Context, territory string) (int, error) {
	var id, name, path string
	if err := r.territory.QueryRowContext(ctx, territory).Scan(&id, &name, &path); err != nil {
		return 0, err
	}
	structures, err := column(ctx, r.structures, 0, path, r.first)
	if err != nil {
		return 0, err
	}
	var total int
	if err := r.count.QueryRowContext(ctx, path).Scan(&total); err != nil {
		return 0, err
	}
	pros, err := column(ctx, r.members, 3, pq.StringArray(structures), r.perStructure)
	if err != nil {
		return 0, err
	}
	if _, err := column(ctx, r.professional, 0, pq.StringArray(pros)); err != nil {
		return 0, err
	}
	return len(pros), nil
}

// column runs a prepared query and returns its column i as text, reading
// every column of every row.
func column(ctx context.Context, st *sql.Stmt, i int, args ...any) ([]string, error) {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for j := range vals {
			ptrs[j] = &vals[j]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, vals[i].String)
	}
	return out, rows.Err()
}
