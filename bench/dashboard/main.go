// Command dashboard measures the queries the dashboards (/dashboard/) send
// when a page opens, through the hub over HTTP, on the national-scale
// dataset: the ESS page (referralStats over twelve months), the CPTS
// coordinator's page (escapStats, escapIncentives, the territory's
// directory) and the ARS agent's page (the region's and each department's
// territoryReferralStats and escapStats). It compares each with
// PostgreSQL's own cost of reading the same rows in the same run (one plain
// aggregate over them).
//
// -dsn is a database seeded with "maillage seed -national"; the national
// seed has no activity, so the first run adds it (activity.sql: 100,000
// patients, 300,000 requests with their history over twelve months, 60,000
// ESCAP teams over two years) and later runs reuse it.
//
//	go run ./bench/dashboard -dsn 'postgres://postgres@127.0.0.1:5432/national?sslmode=disable' -n 40
package main

import (
	"context"
	_ "embed"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/maillage/maillage/bench/internal/gqlpost"
	"github.com/maillage/maillage/bench/internal/machine"
	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/server"
)

//go:embed activity.sql
var activitySQL string

func main() {
	dsn := flag.String("dsn", "", "a database seeded with \"maillage seed -national\" (required)")
	n := flag.Int("n", 40, "times each page's queries are sent (one at a time)")
	patients := flag.Int("patients", 100000, "patients to generate if the database has no activity yet")
	referrals := flag.Int("referrals", 300000, "referral requests to generate")
	escaps := flag.Int("escaps", 60000, "ESCAP teams to generate")
	flag.Parse()
	if *dsn == "" {
		log.Fatal("-dsn: a database seeded with \"maillage seed -national\"")
	}
	if err := run(*dsn, *n, *patients, *referrals, *escaps); err != nil {
		log.Fatal(err)
	}
}

// The pages' queries, as the web pages send them (fragments inlined).
const (
	referralFigures = `total answeredSameDay sameDayShare toTriage { count medianSeconds p90Seconds } toAnswer { count medianSeconds p90Seconds }
		queue { open medianSeconds oldestSeconds }
		periods { start total answeredSameDay byState { key count } byRequesterKind { key count } byModality { key count }
			toTriage { count medianSeconds p90Seconds } toAnswer { count medianSeconds p90Seconds } }`
	escapFigures = `entries { period situation count } exits { period situation reason count } activeTeams { territory { id name } count }`

	essPage = `query($essId: ID!, $from: Time!, $to: Time!) { structure(id: $essId) { id name territory { name } }
		referralStats(essId: $essId, from: $from, to: $to, period: MONTH) { ` + referralFigures + ` } }`
	coordinatorPage = `query($territoryId: ID!, $fromDay: String!, $toDay: String!, $year: Int!) { territory(id: $territoryId) { id name path }
		escapStats(territoryId: $territoryId, from: $fromDay, to: $toDay) { ` + escapFigures + ` }
		escapIncentives(territoryId: $territoryId, year: $year) { professional { id firstName lastName profession }
			teams countedTeams overCap toolInUse teamsEuros toolEuros totalEuros } }`
	directoryPage = `query($territoryId: ID!) { structures(filter: { within: $territoryId }, first: 40) { totalCount edges { node {
		id kind name mssante commune territory { id name }
		members(first: 15) { totalCount edges { node { id role professional { id firstName lastName profession mssante } } } }
		links { id kind from { id name } to { id name } } } } } }`
	regionPage = `query($territoryId: ID!, $from: Time!, $to: Time!, $fromDay: String!, $toDay: String!) {
		territory(id: $territoryId) { id name children(first: 30) { edges { node { id name code } } } }
		territoryReferralStats(territoryId: $territoryId, from: $from, to: $to, period: MONTH) { ` + referralFigures + ` }
		escapStats(territoryId: $territoryId, from: $fromDay, to: $toDay) { ` + escapFigures + ` } }`
	departmentPage = `query($territoryId: ID!, $from: Time!, $to: Time!, $fromDay: String!, $toDay: String!) {
		territoryReferralStats(territoryId: $territoryId, from: $from, to: $to, period: MONTH) { ` + referralFigures + ` }
		escapStats(territoryId: $territoryId, from: $fromDay, to: $toDay) { ` + escapFigures + ` } }`
)

// The same rows read by PostgreSQL with one plain aggregate each: the
// requests of the ESSs in the range by month, the teams of the territory.
const (
	rawReferrals = `SELECT date_trunc('month', submitted_at), state, count(*) FROM referrals
		WHERE ess_id = ANY($1) AND submitted_at >= $2 AND submitted_at < $3 GROUP BY 1, 2`
	rawESCAPs = `SELECT to_char(e.activated_at, 'YYYY-MM'), e.situation, count(*) FROM escaps e JOIN territories t ON t.id = e.territory_id
		WHERE within(t.path, $1) AND (e.activated_at >= $2 OR e.exited_at >= $2) GROUP BY 1, 2`
)

type probe struct {
	name  string
	query string
	vars  map[string]any
	raw   func(ctx context.Context) error
}

func run(dsn string, n, patients, referrals, escaps int) error {
	ctx := context.Background()
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	var have int
	if err := db.GetContext(ctx, &have, `SELECT count(*) FROM referrals WHERE client_key LIKE 'bench-%'`); err != nil {
		return err
	}
	if have == 0 {
		fmt.Println("generating the national activity…")
		t0 := time.Now()
		q := strings.NewReplacer("$1", strconv.Itoa(patients), "$2", strconv.Itoa(referrals), "$3", strconv.Itoa(escaps)).Replace(activitySQL)
		conn, err := db.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		// Autovacuum would set the visibility map in its own time; the
		// measure should not depend on when it passed.
		for _, stmt := range []string{"SET statement_timeout = 0", q, "VACUUM ANALYZE patients, referrals, referral_history, escaps, escap_members, escap_consents"} {
			if _, err := conn.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("activity: %w", err)
			}
		}
		fmt.Printf("generated in %s\n", time.Since(t0).Round(time.Second))
	}
	var counts struct {
		Referrals int `db:"referrals"`
		History   int `db:"history"`
		ESCAPs    int `db:"escaps"`
		Members   int `db:"members"`
	}
	if err := db.GetContext(ctx, &counts, `SELECT (SELECT count(*) FROM referrals) AS referrals, (SELECT count(*) FROM referral_history) AS history,
		(SELECT count(*) FROM escaps) AS escaps, (SELECT count(*) FROM escap_members) AS members`); err != nil {
		return err
	}

	// The region with the most departments, its agent, its busiest ESS and
	// the local territory with the most teams.
	var region struct {
		ID   string `db:"id"`
		Code string `db:"code"`
		Path string `db:"path"`
		Name string `db:"name"`
	}
	if err := db.GetContext(ctx, &region, `SELECT r.id, r.code, r.path, r.name FROM territories r JOIN territories d ON d.parent_id = r.id
		WHERE r.level = 'REGION' GROUP BY r.id ORDER BY count(*) DESC, r.id LIMIT 1`); err != nil {
		return fmt.Errorf("region (is the national directory seeded?): %w", err)
	}
	var ess, local string
	if err := db.GetContext(ctx, &ess, `SELECT r.ess_id FROM referrals r JOIN structures s ON s.id = r.ess_id JOIN territories t ON t.id = s.territory_id
		WHERE within(t.path, $1) GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`, region.Path); err != nil {
		return fmt.Errorf("busiest ESS: %w", err)
	}
	if err := db.GetContext(ctx, &local, `SELECT e.territory_id FROM escaps e JOIN territories t ON t.id = e.territory_id
		WHERE within(t.path, $1) GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`, region.Path); err != nil {
		return fmt.Errorf("busiest local territory: %w", err)
	}
	var localPath string
	var departments []struct {
		ID   string `db:"id"`
		Path string `db:"path"`
	}
	if err := db.GetContext(ctx, &localPath, `SELECT path FROM territories WHERE id = $1`, local); err != nil {
		return err
	}
	if err := db.SelectContext(ctx, &departments, `SELECT id, path FROM territories WHERE parent_id = $1 ORDER BY id`, region.ID); err != nil {
		return err
	}

	cfg := server.Config{Addr: "127.0.0.1:0", PublicURL: "http://127.0.0.1:8080", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	srv, err := server.New(ctx, cfg, db)
	if err != nil {
		return err
	}
	addr := make(chan string, 1)
	go srv.ListenAndServe(ctx, func(a string) { addr <- a })
	endpoint := "http://" + <-addr + "/graphql"
	token, err := server.DevToken(ctx, cfg, db, "ars-"+region.Code, time.Hour)
	if err != nil {
		return err
	}

	// Twelve calendar months ending with the current one, in Paris.
	paris, _ := time.LoadLocation("Europe/Paris")
	now := time.Now().In(paris)
	to := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, paris)
	from := to.AddDate(0, -12, 0)
	window := map[string]any{"from": from.Format(time.RFC3339), "to": to.Format(time.RFC3339), "fromDay": from.Format("2006-01-02"), "toDay": to.Format("2006-01-02")}
	with := func(extra map[string]any) map[string]any {
		m := map[string]any{}
		for k, v := range window {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	essIDs := func(path string) pq.StringArray {
		var ids pq.StringArray
		db.SelectContext(ctx, &ids, `SELECT s.id FROM structures s JOIN territories t ON t.id = s.territory_id WHERE s.kind = 'ESS' AND within(t.path, $1)`, path)
		return ids
	}
	rawFor := func(ess pq.StringArray, path string) func(context.Context) error {
		return func(ctx context.Context) error {
			if _, err := db.ExecContext(ctx, rawReferrals, ess, from, to); err != nil {
				return err
			}
			if path == "" {
				return nil
			}
			_, err := db.ExecContext(ctx, rawESCAPs, path, from)
			return err
		}
	}
	probes := []probe{
		{"ESS: referralStats", essPage, with(map[string]any{"essId": ess}), rawFor(pq.StringArray{ess}, "")},
		{"CPTS: escapStats+incentives", coordinatorPage, with(map[string]any{"territoryId": local, "year": now.Year()}), rawFor(nil, localPath)},
		{"CPTS: directory", directoryPage, map[string]any{"territoryId": local}, nil},
		{"ARS: region", regionPage, with(map[string]any{"territoryId": region.ID}), rawFor(essIDs(region.Path), region.Path)},
	}
	for _, d := range departments {
		probes = append(probes, probe{"ARS: a department", departmentPage, with(map[string]any{"territoryId": d.ID}), rawFor(essIDs(d.Path), d.Path)})
	}
	client := &http.Client{}
	for _, p := range probes { // warm-up, and every query must answer
		if err := gqlpost.Post(ctx, client, endpoint, token, p.query, p.vars, nil); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
	}
	hub, raw := map[string][]time.Duration{}, map[string][]time.Duration{}
	var names []string
	for range n {
		for _, p := range probes {
			if !slices.Contains(names, p.name) {
				names = append(names, p.name)
			}
			t0 := time.Now()
			if err := gqlpost.Post(ctx, client, endpoint, token, p.query, p.vars, nil); err != nil {
				return fmt.Errorf("%s: %w", p.name, err)
			}
			hub[p.name] = append(hub[p.name], time.Since(t0))
			if p.raw != nil {
				t0 = time.Now()
				if err := p.raw(ctx); err != nil {
					return fmt.Errorf("%s raw SQL: %w", p.name, err)
				}
				raw[p.name] = append(raw[p.name], time.Since(t0))
			}
		}
	}
	fmt.Printf("%d requests, %d history rows, %d ESCAP teams, %d members; region %s (%d departments); %d rounds; load average %s\n",
		counts.Referrals, counts.History, counts.ESCAPs, counts.Members, region.Name, len(departments), n, machine.LoadAverage())
	fmt.Printf("%-28s %6s %10s %10s %10s   %s\n", "query (hub over HTTP)", "n", "p50", "p95", "max", "raw SQL of the same rows p50 / p95")
	var all []time.Duration
	for _, name := range names {
		ds := hub[name]
		all = append(all, ds...)
		slices.Sort(ds)
		rawText := "—"
		if r := raw[name]; len(r) > 0 {
			slices.Sort(r)
			rawText = fmt.Sprintf("%s / %s", pct(r, 0.5), pct(r, 0.95))
		}
		fmt.Printf("%-28s %6d %10s %10s %10s   %s\n", name, len(ds), pct(ds, 0.5), pct(ds, 0.95), ds[len(ds)-1].Round(10*time.Microsecond), rawText)
	}
	slices.Sort(all)
	fmt.Printf("%-28s %6d %10s %10s %10s   load average after: %s\n", "every dashboard query", len(all), pct(all, 0.5), pct(all, 0.95), all[len(all)-1].Round(10*time.Microsecond), machine.LoadAverage())
	return nil
}

func pct(ds []time.Duration, q float64) time.Duration {
	return ds[int(q*float64(len(ds)-1))].Round(10 * time.Microsecond)
}
