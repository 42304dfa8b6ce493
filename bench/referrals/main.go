// Command referrals is the load test of ESS referral requests: it starts a
// hub on a fresh seeded database (or uses a running one given by -url and
// its database by -dsn), then has GPs submit many requests concurrently over
// HTTP while the ESS's secretariat and case manager triage each one, and
// reports the throughput and the latency percentiles of each operation.
//
//	go run ./bench/referrals -n 2000 -c 16
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maillage/maillage/bench/internal/gqlpost"
	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/server"
)

func main() {
	n := flag.Int("n", 2000, "requests to submit (each is then triaged)")
	c := flag.Int("c", 16, "concurrent clients")
	hubURL := flag.String("url", "", "a running hub's base URL (default: start one on a fresh seeded database)")
	dsn := flag.String("dsn", "", "with -url: the hub's database, to sign dev tokens and find ids")
	publicURL := flag.String("public-url", "", "with -url: the hub's MAILLAGE_PUBLIC_URL (its token issuer)")
	serverURL := flag.String("pg", envOr("MAILLAGE_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		"without -url: the PostgreSQL server to create the fresh database on")
	flag.Parse()
	if err := run(*n, *c, *hubURL, *dsn, *publicURL, *serverURL); err != nil {
		log.Fatal(err)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// The seeded GPs and one patient each has a relation with (their médecin
// traitant), and the ESS's staff who triage.
var gps = []struct{ login, patient string }{
	{"10003456781", "Dupont"}, {"10003456782", "Leroy"}, {"10003456786", "Petitjean"},
}

var triagers = []string{"10003456789", "10003456790"}

func run(n, c int, hubURL, dsn, publicURL, pgServer string) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := server.Config{PublicURL: publicURL}
	if hubURL == "" {
		u, err := url.Parse(pgServer)
		if err != nil {
			return err
		}
		b := make([]byte, 6)
		rand.Read(b)
		u.Path = "/maillage_bench_" + hex.EncodeToString(b)
		dsn = u.String()
		if err := postgres.EnsureDatabase(ctx, dsn); err != nil {
			return err
		}
		defer postgres.DropDatabase(context.Background(), dsn)
	}
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if hubURL == "" {
		if _, err := postgres.Seed(ctx, db); err != nil {
			return err
		}
	}
	if hubURL == "" {
		cfg.Addr = "127.0.0.1:0"
		if cfg.PublicURL == "" {
			cfg.PublicURL = "http://127.0.0.1:8080" // the issuer's name; its tokens are verified locally
		}
		srv, err := server.New(ctx, cfg, db)
		if err != nil {
			return err
		}
		ready := make(chan string, 1)
		go srv.ListenAndServe(ctx, func(addr string) { ready <- addr })
		hubURL = "http://" + <-ready
	}
	var ess string
	if err := db.GetContext(ctx, &ess, `SELECT id FROM structures WHERE name = 'ESS Dermatologie Rouen Métropole'`); err != nil {
		return fmt.Errorf("the seeded ESS: %w", err)
	}
	tokens := map[string]string{}
	patients := map[string]string{}
	for _, login := range append(triagers, gpLogins()...) {
		if tokens[login], err = server.DevToken(ctx, cfg, db, login, time.Hour); err != nil {
			return err
		}
	}
	for _, g := range gps {
		var id string
		if err := db.GetContext(ctx, &id, `SELECT id FROM patients WHERE family_name = $1`, g.patient); err != nil {
			return err
		}
		patients[g.login] = id
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c}}
	endpoint := hubURL + "/graphql"
	run := fmt.Sprintf("%d", time.Now().UnixNano())

	var (
		mu               sync.Mutex
		submits, triages []time.Duration
		failures         atomic.Int64
		next             atomic.Int64
		wg               sync.WaitGroup
	)
	start := time.Now()
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				g := gps[i%len(gps)]
				in := map[string]any{"clientKey": fmt.Sprintf("bench-%s-%d", run, i), "essId": ess, "patientId": patients[g.login],
					"requesterKind": "TREATING_GP", "reason": "avis dermatologique", "urgency": []string{"URGENT", "PRIORITY", "ROUTINE"}[i%3],
					"modality": []string{"IN_PERSON", "TELECONSULTATION", "TELEEXPERTISE"}[i%3]}
				t0 := time.Now()
				var sub struct {
					SubmitReferral struct{ ID string } `json:"submitReferral"`
				}
				err := gqlpost.Post(ctx, client, endpoint, tokens[g.login], `mutation($in: SubmitReferralInput!) { submitReferral(input: $in) { id } }`, map[string]any{"in": in}, &sub)
				d1 := time.Since(t0)
				if err != nil {
					failures.Add(1)
					log.Printf("submit %d: %v", i, err)
					continue
				}
				t1 := time.Now()
				var tr struct {
					TransitionReferral struct{ State string } `json:"transitionReferral"`
				}
				err = gqlpost.Post(ctx, client, endpoint, tokens[triagers[i%len(triagers)]], `mutation($in: TransitionReferralInput!) { transitionReferral(input: $in) { state } }`,
					map[string]any{"in": map[string]any{"id": sub.SubmitReferral.ID, "action": "TRIAGE"}}, &tr)
				d2 := time.Since(t1)
				if err != nil || tr.TransitionReferral.State != "TRIAGED" {
					failures.Add(1)
					log.Printf("triage %d: %v %q", i, err, tr.TransitionReferral.State)
					continue
				}
				mu.Lock()
				submits, triages = append(submits, d1), append(triages, d2)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	fmt.Printf("hub %s, %d requests submitted and triaged by %d concurrent clients in %s\n", hubURL, len(submits), c, elapsed.Round(time.Millisecond))
	fmt.Printf("throughput: %.1f requests/s (submit+triage), %.1f GraphQL operations/s; failures: %d\n",
		float64(len(submits))/elapsed.Seconds(), float64(len(submits)+len(triages))/elapsed.Seconds(), failures.Load())
	report("submit", submits)
	report("triage", triages)
	if failures.Load() > 0 {
		return fmt.Errorf("%d operations failed", failures.Load())
	}
	return nil
}

func gpLogins() []string {
	var ls []string
	for _, g := range gps {
		ls = append(ls, g.login)
	}
	return ls
}

func report(name string, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	p := func(q float64) time.Duration { return ds[int(q*float64(len(ds)-1))].Round(10 * time.Microsecond) }
	fmt.Printf("%-7s latency: p50 %s  p90 %s  p99 %s  max %s\n", name, p(0.5), p(0.9), p(0.99), ds[len(ds)-1].Round(10*time.Microsecond))
}
