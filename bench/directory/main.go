// Command directory measures the dashboards' typical directory read — one
// local territory, its structures (first 20, with totalCount), each
// structure's members, each member's professional — through the hub over
// HTTP, against PostgreSQL's own cost of the same rows in the same run: the
// five prepared statements a dataloader would send, one per level.
//
// It serves the hub in this process on a database of the national directory
// (-dsn; default: a fresh database seeded with "maillage seed --national"'s
// data and dropped at the end), and reports requests per second at -c
// concurrent connections and latency percentiles at one connection.
//
//	go run ./bench/directory -d 10s
//	go run ./bench/directory -dsn postgres://postgres@127.0.0.1:5432/national?sslmode=disable
package main

import (
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
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"

	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/server"
)

func main() {
	dsn := flag.String("dsn", "", "a database holding the national directory (default: seed a fresh one, dropped at the end)")
	pgServer := flag.String("pg", envOr("MAILLAGE_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		"without -dsn: the PostgreSQL server to create the fresh database on")
	c := flag.Int("c", 16, "concurrent connections of the throughput runs")
	d := flag.Duration("d", 10*time.Second, "duration of each measured run (after a warm-up of a fifth of it)")
	first := flag.Int("first", 20, "structures per page")
	members := flag.Int("members", 50, "members per structure page (first:)")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the whole run (hub, client and raw SQL) to this file")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(*dsn, *pgServer, *c, *d, *first, *members); err != nil {
		log.Print(err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// loadAverage is the machine's load average (Linux), for reading a figure
// measured on a shared machine: "?" where it cannot be read.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
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

func run(dsn, pgServer string, c int, d time.Duration, first, members int) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if dsn == "" {
		var err error
		if dsn, err = freshNational(ctx, pgServer); err != nil {
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
	srv, err := server.New(ctx, server.Config{Addr: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, db)
	if err != nil {
		return err
	}
	addr := make(chan string, 1)
	go srv.ListenAndServe(ctx, func(a string) { addr <- a })
	hub := &hubClient{endpoint: "http://" + <-addr + "/graphql", client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c}},
		vars: map[string]any{"t": territory, "first": first, "members": members}}
	raw, err := newRawSQL(ctx, dsn, c, first, members)
	if err != nil {
		return err
	}
	defer raw.Close()

	hubRows, err := hub.read(ctx)
	if err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	rawRows, err := raw.read(ctx, territory)
	if err != nil {
		return fmt.Errorf("raw SQL: %w", err)
	}
	if hubRows != rawRows {
		return fmt.Errorf("the hub read %d members, the raw SQL %d: not the same rows", hubRows, rawRows)
	}
	fmt.Printf("territory %s: %d members per read; %d-connection runs of %s; load average %s, %d CPUs\n",
		territory, hubRows, c, d, loadAverage(), runtime.NumCPU())
	read := map[string]func(context.Context) error{
		"hub (HTTP)": func(ctx context.Context) error { _, err := hub.read(ctx); return err },
		"raw SQL":    func(ctx context.Context) error { _, err := raw.read(ctx, territory); return err },
	}
	fmt.Printf("%-11s %12s %10s %10s %10s   %s\n", "", fmt.Sprintf("req/s @%d", c), "p50 @1", "p90 @1", "p99 @1", "load average (1, 5, 15 min) after")
	var p50 = map[string]time.Duration{}
	for _, name := range []string{"hub (HTTP)", "raw SQL"} {
		tput, _, err := measure(ctx, read[name], c, d)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		_, lat, err := measure(ctx, read[name], 1, d)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		p50[name] = pct(lat, 0.5)
		fmt.Printf("%-11s %12.0f %10s %10s %10s   %s\n", name, tput, pct(lat, 0.5), pct(lat, 0.9), pct(lat, 0.99), loadAverage())
	}
	fmt.Printf("hub p50 / raw SQL p50 at 1 connection: %.2f\n", float64(p50["hub (HTTP)"])/float64(p50["raw SQL"]))
	return nil
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

// hubClient posts the query to the hub, anonymously (the directory is public).
type hubClient struct {
	endpoint string
	client   *http.Client
	vars     map[string]any
}

// read runs the query and returns how many members it read.
func (h *hubClient) read(ctx context.Context) (int, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": h.vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := h.client.Do(req)
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
