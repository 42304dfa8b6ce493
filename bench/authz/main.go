// Command authz measures authorization on the national-scale directory
// (maillage seed --national): how fast `maillage serve` is ready and how
// much memory it holds, a decision for a caller not seen before and for a
// warm one (next to PostgreSQL's own time for the statement that loads the
// caller's grants), the memory of one cached caller, and how long a grant
// made on one instance takes to apply on another.
//
//	go build -o /tmp/maillage ./cmd/maillage
//	go run ./bench/authz -bin /tmp/maillage -dsn postgres://postgres@127.0.0.1:5432/maillage_national?sslmode=disable
//
// The database is seeded with the national directory first if it is empty.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/authz"
	"github.com/maillage/maillage/postgres"
)

func main() {
	dsn := flag.String("dsn", "postgres://postgres@127.0.0.1:5432/maillage_national?sslmode=disable", "the national directory's database (seeded if empty)")
	bin := flag.String("bin", "", "a maillage binary, to measure `maillage serve` start time and RSS (skipped if empty)")
	callers := flag.Int("callers", 2000, "callers never seen before, for the first decisions")
	warm := flag.Int("warm", 500_000, "decisions for warm callers")
	fill := flag.Int("fill", 20_000, "callers cached to measure the memory of one")
	grants := flag.Int("grants", 20, "grants made on one instance and awaited on another")
	professionals := flag.Int("professionals", postgres.NationalDirectory.Professionals, "professionals (and accounts) to seed an empty database with, to compare sizes")
	flag.Parse()
	shape := postgres.NationalDirectory
	shape.Professionals = *professionals
	if err := run(*dsn, *bin, shape, *callers, *warm, *fill, *grants); err != nil {
		log.Fatal(err)
	}
}

func run(dsn, bin string, shape postgres.NationalShape, nCallers, nWarm, nFill, nGrants int) error {
	ctx := context.Background()
	if err := postgres.EnsureDatabase(ctx, dsn); err != nil {
		return err
	}
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if r, err := postgres.SeedNationalShape(ctx, db, shape); err != nil {
		return err
	} else if r != nil {
		fmt.Printf("seeded the national directory in %s\n", r.Took.Round(time.Millisecond))
	}
	var accounts, grants int
	db.Get(&accounts, `SELECT count(*) FROM accounts`)
	db.Get(&grants, `SELECT count(*) FROM authz_grants`)
	fmt.Printf("directory: %d accounts, %d grants (authz_grants)\n", accounts, grants)
	if bin != "" {
		if err := measureServe(bin, dsn); err != nil {
			return err
		}
	}
	store := postgres.NewAuthzStore(db.DB)
	start := time.Now()
	a, err := authz.New(ctx, store, authz.WithCacheSize(nFill+nCallers))
	if err != nil {
		return err
	}
	fmt.Printf("authz.New (policies only): %s\n", time.Since(start).Round(time.Microsecond))

	var ids []string
	if err := db.Select(&ids, `SELECT id FROM accounts WHERE professional_id IS NOT NULL ORDER BY md5(id) LIMIT $1`, nCallers+nFill); err != nil {
		return err
	}
	if len(ids) < nCallers+nFill {
		return fmt.Errorf("only %d professional accounts", len(ids))
	}
	var domains []string
	if err := db.Select(&domains, `SELECT t.path || '/@' || s.id FROM structures s JOIN territories t ON t.id = s.territory_id ORDER BY md5(s.id) LIMIT 1000`); err != nil {
		return err
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	object := func() authz.Object {
		return authz.Object{Kind: authz.KindDirectory, Domain: domains[rnd.IntN(len(domains))]}
	}
	as := func(id string) context.Context {
		return maillage.WithIdentity(ctx, maillage.Identity{AccountID: id, Login: id})
	}

	// First decisions, each for a caller never seen before, interleaved
	// with PostgreSQL's own time for the statement that loads a caller's
	// grants (for other callers, also never read before).
	sqlTimes := make([]time.Duration, 0, nCallers)
	first := make([]time.Duration, 0, nCallers)
	for i, id := range ids[:nCallers] {
		t := time.Now()
		if _, err := store.AccountGrants(ctx, ids[len(ids)-1-i]); err != nil {
			return err
		}
		sqlTimes = append(sqlTimes, time.Since(t))
		c, obj := as(id), object()
		t = time.Now()
		a.Allowed(c, authz.ActWrite, obj)
		first = append(first, time.Since(t))
	}
	report("grants statement alone (PostgreSQL, other callers, same run)", sqlTimes)
	report("first decision, caller not seen before", first)

	// Warm decisions, write (grants and roles) and read (public) mixed.
	ctxs := make([]context.Context, nCallers)
	for i, id := range ids[:nCallers] {
		ctxs[i] = as(id)
	}
	warmTimes := make([]time.Duration, 0, nWarm)
	allowed := 0
	for i := 0; i < nWarm; i++ {
		c, obj := ctxs[rnd.IntN(len(ctxs))], object()
		act := authz.ActWrite
		if i%4 == 0 {
			act = authz.ActRead
		}
		t := time.Now()
		ok := a.Allowed(c, act, obj)
		warmTimes = append(warmTimes, time.Since(t))
		if ok {
			allowed++
		}
	}
	report(fmt.Sprintf("warm decision (%d%% allowed)", 100*allowed/nWarm), warmTimes)
	scopeTimes := make([]time.Duration, 0, 100_000)
	for i := 0; i < 100_000; i++ {
		c := ctxs[rnd.IntN(len(ctxs))]
		t := time.Now()
		a.Scope(c, authz.ActWrite, authz.KindDirectory)
		scopeTimes = append(scopeTimes, time.Since(t))
	}
	report("warm Scope (directory write)", scopeTimes)

	// Memory of one cached caller.
	before := heap()
	for _, id := range ids[nCallers:] {
		a.Allowed(as(id), authz.ActWrite, object())
	}
	after := heap()
	fmt.Printf("memory per cached caller: %d bytes (%d callers cached, heap %+.1f MiB)\n",
		(int64(after)-int64(before))/int64(nFill), a.CachedCallers(), float64(int64(after)-int64(before))/(1<<20))
	runtime.KeepAlive(a)

	return measureGrantPropagation(ctx, db, dsn, ids[:nGrants], domains)
}

// measureGrantPropagation changes warm callers' grants through the hub's
// own services on one connection pool — grantRole, and a membership that
// confers a role (structure administrator) — as another instance would,
// and times the change itself and how long after its commit the decision
// of a second authorizer, kept up to date by its listener, follows.
func measureGrantPropagation(ctx context.Context, db *postgres.DB, dsn string, ids, domains []string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a, err := authz.New(ctx, postgres.NewAuthzStore(db.DB))
	if err != nil {
		return err
	}
	if err := postgres.ListenAuthz(ctx, dsn, a); err != nil {
		return err
	}
	var admin string
	if err := db.Get(&admin, `SELECT id FROM accounts WHERE login = 'admin'`); err != nil {
		return err
	}
	asAdmin := maillage.WithIdentity(ctx, maillage.Identity{AccountID: admin, Login: "admin"})
	var grantTimes, memberTimes, applied []time.Duration
	for i, id := range ids {
		c := maillage.WithIdentity(ctx, maillage.Identity{AccountID: id, Login: id})
		domain := domains[i%len(domains)]
		obj := authz.Object{Kind: authz.KindDirectory, Domain: domain}
		if a.Allowed(c, authz.ActWrite, obj) {
			continue // already allowed there: nothing to see
		}
		var login, professional string
		if err := db.QueryRowContext(ctx, `SELECT login, professional_id FROM accounts WHERE id = $1`, id).Scan(&login, &professional); err != nil {
			return err
		}
		t := time.Now()
		var undo func() error
		if i%2 == 0 {
			g, err := db.Policies.GrantRole(asAdmin, maillage.RoleGrantInput{Login: login, Role: "ars_agent", Domain: domain})
			if err != nil {
				return err
			}
			grantTimes = append(grantTimes, time.Since(t))
			undo = func() error { _, err := db.Policies.RevokeRole(asAdmin, g.ID); return err }
		} else {
			_, structure, _ := strings.Cut(domain, "/@")
			m, err := db.Directory.AddMembership(asAdmin, maillage.MembershipInput{ProfessionalID: professional, StructureID: structure, Role: maillage.MemberRoleAdministrator})
			if err != nil {
				return err
			}
			memberTimes = append(memberTimes, time.Since(t))
			undo = func() error { _, err := db.Directory.EndMembership(asAdmin, m.ID); return err }
		}
		committed := time.Now()
		for !a.Allowed(c, authz.ActWrite, obj) {
			if time.Since(committed) > 5*time.Second {
				return fmt.Errorf("a change for %s did not apply within 5 s", id)
			}
			time.Sleep(100 * time.Microsecond)
		}
		applied = append(applied, time.Since(committed))
		if err := undo(); err != nil {
			return err
		}
	}
	report("grantRole (the whole mutation, committed)", grantTimes)
	report("addMembership ADMINISTRATOR (the whole mutation, committed)", memberTimes)
	report("committed → in force on another instance", applied)
	return nil
}

// measureServe starts `maillage serve` on the database and reports the time
// until /readyz answers 200, and its RSS then.
func measureServe(bin, dsn string) error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "serve", "-database-url", dsn, "-addr", addr, "-no-seed", "-log-level", "WARN")
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	for {
		res, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Since(start) > time.Minute {
			return fmt.Errorf("maillage serve not ready after a minute")
		}
		time.Sleep(5 * time.Millisecond)
	}
	ready := time.Since(start)
	rss, hwm := procStatus(cmd.Process.Pid, "VmRSS:"), procStatus(cmd.Process.Pid, "VmHWM:")
	fmt.Printf("maillage serve: ready (/readyz 200) in %s, RSS %s (peak %s)\n", ready.Round(time.Millisecond), rss, hwm)
	return nil
}

// procStatus returns a field of /proc/<pid>/status ("123456 kB").
func procStatus(pid int, field string) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return fmt.Sprintf("%.1f MB", float64(kb)/1024)
		}
	}
	return "?"
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// report prints the percentiles of a series of durations.
func report(what string, d []time.Duration) {
	if len(d) == 0 {
		fmt.Printf("%s: no sample\n", what)
		return
	}
	slices.Sort(d)
	p := func(q float64) time.Duration { return d[min(len(d)-1, int(q*float64(len(d))))] }
	fmt.Printf("%s: n=%d p50=%s p90=%s p99=%s max=%s\n", what, len(d), p(0.50), p(0.90), p(0.99), d[len(d)-1])
}
