package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

// asCommand makes this test binary run main() instead of the tests: the
// tests below run maillage as a process, as a user does.
const asCommand = "MAILLAGE_TEST_AS_COMMAND"

func TestMain(m *testing.M) {
	if os.Getenv(asCommand) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// process returns maillage run with args and the environment variables env
// (on top of this process's, without DATABASE_URL or MAILLAGE_* settings).
func process(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DATABASE_URL=") && (!strings.HasPrefix(kv, "MAILLAGE_") || strings.HasPrefix(kv, "MAILLAGE_TEST_")) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, asCommand+"=1")
	for _, kv := range env {
		if kv != "" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return cmd
}

// maillage runs maillage to its end and returns its stdout, stderr and exit
// code.
func maillage(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := process(env, args...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() }) // one that should fail fast but serves
	defer stop.Stop()
	err := cmd.Wait()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

// withoutLogs drops the JSON log lines of stderr.
func withoutLogs(stderr string) string {
	var kept []string
	for _, line := range strings.SplitAfter(stderr, "\n") {
		if !strings.HasPrefix(line, "{") {
			kept = append(kept, line)
		}
	}
	return strings.Join(kept, "")
}

// missingDatabase returns the URL of a database that does not exist.
func missingDatabase(t *testing.T) string {
	url := pgtest.NewURL(t)
	if err := postgres.DropDatabase(context.Background(), url); err != nil {
		t.Fatal(err)
	}
	return url
}

// databaseExists reports whether the database of url exists.
func databaseExists(t *testing.T, dsn string) bool {
	t.Helper()
	db, err := postgres.Connect(context.Background(), pgtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	u, _ := url.Parse(dsn)
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM pg_database WHERE datname = $1`, strings.TrimPrefix(u.Path, "/")); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// The zero-configuration path: the database is created if missing, migrated
// and seeded, and a token is printed for a seeded account.
func TestSeedCreatesMigratesAndLoadsTheDemoData(t *testing.T) {
	ctx := context.Background()
	url := missingDatabase(t)
	if err := run(ctx, []string{"seed", "--database-url", url}); err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var regions []string
	db.Select(&regions, `SELECT name FROM territories WHERE level = 'REGION' ORDER BY code`)
	if strings.Join(regions, ",") != "Normandie,Nouvelle-Aquitaine,Auvergne-Rhône-Alpes" {
		t.Fatalf("regions %v", regions)
	}
	var pta int
	db.Get(&pta, `SELECT count(*) FROM structures WHERE kind = 'PTA'`)
	if pta != 2 {
		t.Fatalf("%d PTA, want the two of the Nouvelle-Aquitaine pilot", pta)
	}
	// Seeding twice leaves the data alone.
	var before, after int
	db.Get(&before, `SELECT count(*) FROM structures`)
	if err := run(ctx, []string{"seed", "--database-url", url}); err != nil {
		t.Fatal(err)
	}
	db.Get(&after, `SELECT count(*) FROM structures`)
	if after != before {
		t.Fatalf("second seed: %d structures, was %d", after, before)
	}
}

// TestHelp: "maillage help [command]" and "maillage <command> --help" print
// usage on stdout and exit 0, doing nothing else; the commands are listed in
// a fixed order.
func TestHelp(t *testing.T) {
	db := missingDatabase(t)
	env := []string{"DATABASE_URL=" + db}
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}, {"help", "help"}} {
		stdout, stderr, code := maillage(t, env, args...)
		if code != 0 || stderr != "" {
			t.Fatalf("%v: exit %d, stderr %q", args, code, stderr)
		}
		var listed []string
		_, list, _ := strings.Cut(stdout, "commands:\n")
		for _, line := range strings.Split(list, "\n") {
			if !strings.HasPrefix(line, "  ") {
				break
			}
			listed = append(listed, strings.Fields(line)[0])
		}
		if got := strings.Join(listed, " "); got != "serve migrate seed import token schema help" {
			t.Fatalf("%v lists %q", args, got)
		}
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"help", "serve"}, []string{"usage: maillage serve [flags]", "-addr string (MAILLAGE_ADDR)", "-event-retention duration (MAILLAGE_EVENT_RETENTION)", "-database-url string (DATABASE_URL)"}},
		{[]string{"serve", "--help"}, []string{"usage: maillage serve [flags]", "-no-seed (MAILLAGE_NO_SEED)"}},
		{[]string{"serve", "-addr", "127.0.0.1:1", "-h"}, []string{"usage: maillage serve [flags]"}},
		{[]string{"seed", "--help"}, []string{"usage: maillage seed [flags]", "-database-url"}},
		{[]string{"migrate", "-h"}, []string{"usage: maillage migrate up|down|status [flags]"}},
		{[]string{"token", "--help"}, []string{"usage: maillage token <login> [flags]", "-token-ttl duration (MAILLAGE_TOKEN_TTL)", "-public-url"}},
		{[]string{"help", "schema"}, []string{"usage: maillage schema\n", "_service { sdl }"}},
	} {
		stdout, stderr, code := maillage(t, env, c.args...)
		if code != 0 || stderr != "" {
			t.Fatalf("%v: exit %d, stderr %q", c.args, code, stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(stdout, w) {
				t.Errorf("%v: no %q in\n%s", c.args, w, stdout)
			}
		}
	}
	if databaseExists(t, db) {
		t.Fatal("asking for help created the database")
	}
	_, stderr, code := maillage(t, env, "help", "frobnicate")
	if code != 1 || !strings.Contains(stderr, `unknown command "frobnicate"`) {
		t.Fatalf("help on an unknown command: exit %d, %q", code, stderr)
	}
}

func TestUnknownCommandOrFlagIsAnError(t *testing.T) {
	env := []string{"DATABASE_URL=postgres://postgres@127.0.0.1:1/x?sslmode=disable"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `maillage: unknown command "frobnicate": maillage help lists them`},
		{[]string{"serve", "-frobnicate"}, "maillage: serve: flag provided but not defined: -frobnicate (maillage help serve)"},
		{[]string{"seed", "extra"}, `seed takes no argument, got "extra"`},
		{[]string{"token"}, "usage: maillage token <login>"},
	} {
		stdout, stderr, code := maillage(t, env, c.args...)
		if code != 1 || stdout != "" || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want one line with %q", c.args, code, stdout, stderr, c.want)
		}
	}
}

// freePort returns a free TCP port on 127.0.0.1.
func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeFlagsAfterTheCommand: "maillage serve -addr X" binds X, the flag
// winning over MAILLAGE_ADDR.
func TestServeFlagsAfterTheCommand(t *testing.T) {
	addr, other := freePort(t), freePort(t)
	cmd := process([]string{"MAILLAGE_ADDR=" + other}, "serve", "-addr", addr, "-database-url", pgtest.NewURL(t), "-no-seed")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("no start line: %v", err)
	}
	if !strings.Contains(line, "http://"+addr+"/graphql") {
		t.Fatalf("start line %q does not name %s", line, addr)
	}
	res, err := http.Get("http://" + addr + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz on %s: %v %v", addr, res, err)
	}
	res.Body.Close()
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
}

// TestInvalidEnvironmentValues: an invalid value in an environment variable
// is an error naming the variable, as the same value of the flag is one
// naming the flag; nothing starts.
func TestInvalidEnvironmentValues(t *testing.T) {
	db := missingDatabase(t)
	for _, c := range []struct {
		env  string
		args []string
		want string
	}{
		{"MAILLAGE_EVENT_RETENTION=7days", []string{"serve"}, `invalid value "7days" for MAILLAGE_EVENT_RETENTION`},
		{"", []string{"serve", "-event-retention", "7days"}, `invalid value "7days" for flag -event-retention`},
		{"MAILLAGE_NO_SEED=maybe", nil, `invalid value "maybe" for MAILLAGE_NO_SEED`},
		{"MAILLAGE_LOG_LEVEL=LOUD", []string{"serve"}, `invalid value "LOUD" for MAILLAGE_LOG_LEVEL`},
		{"MAILLAGE_MAX_DEPTH=deep", []string{"serve", "-max-depth", "5"}, `invalid value "deep" for MAILLAGE_MAX_DEPTH`},
		{"MAILLAGE_TOKEN_TTL=1 day", []string{"token", "admin"}, `invalid value "1 day" for MAILLAGE_TOKEN_TTL`},
	} {
		_, stderr, code := maillage(t, []string{"DATABASE_URL=" + db, c.env}, c.args...)
		if code != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s maillage %v: exit %d, stderr %q; want %q", c.env, c.args, code, stderr, c.want)
		}
	}
	if databaseExists(t, db) {
		t.Fatal("a command with an invalid setting created the database")
	}
}

// TestReadOnlyCommandsCreateNothing: migrate status and token on a missing
// database say so, naming the server, and create nothing.
func TestReadOnlyCommandsCreateNothing(t *testing.T) {
	db := missingDatabase(t)
	u, _ := url.Parse(db)
	name := strings.TrimPrefix(u.Path, "/")
	for _, args := range [][]string{{"migrate", "status"}, {"token", "admin"}} {
		stdout, stderr, code := maillage(t, []string{"DATABASE_URL=" + db}, args...)
		want := "maillage: PostgreSQL at " + u.Host + ", database " + name + `: connect to database: pq: database "` + name + `" does not exist`
		if code != 1 || stdout != "" || !strings.HasPrefix(stderr, want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want one line %q…", args, code, stderr, want)
		}
	}
	if databaseExists(t, db) {
		t.Fatal("a read-only command created the database")
	}

	// An empty database stays empty: status lists every migration pending,
	// token says what to run. (Flags may also come before the command.)
	empty := pgtest.NewURL(t)
	stdout, stderr, code := maillage(t, nil, "-database-url", empty, "migrate", "status")
	if code != 0 || !strings.Contains(stdout, "00001_directory.sql") || strings.Contains(stdout, "applied") {
		t.Errorf("migrate status on an empty database: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	_, stderr, code = maillage(t, []string{"DATABASE_URL=" + empty}, "token", "admin")
	if code != 1 || !strings.Contains(stderr, "migrations are not applied: run maillage migrate up") {
		t.Errorf("token on an empty database: exit %d, stderr %q", code, stderr)
	}
	pool, err := postgres.Connect(context.Background(), empty)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var tables []string
	if err := pool.Select(&tables, `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`); err != nil || len(tables) > 0 {
		t.Fatalf("read-only commands created tables %v (%v)", tables, err)
	}
}

// TestDatabaseErrorsNameTheServer: a failed connection is one line naming the
// host:port tried; the hint to start PostgreSQL comes only when nothing
// answered at the default local address.
func TestDatabaseErrorsNameTheServer(t *testing.T) {
	server, _ := url.Parse(pgtest.ServerURL())
	for _, c := range []struct{ dsn, at, cause string }{
		{"postgres://postgres@127.0.0.1:1/x?sslmode=disable", "127.0.0.1:1", "dial tcp 127.0.0.1:1: connect: connection refused"},
		{"postgres://nobody@" + server.Host + "/x?sslmode=disable", server.Host, `pq: role "nobody" does not exist`},
	} {
		for _, args := range [][]string{{"seed"}, {"migrate", "status"}, {"token", "admin"}, {"serve"}} {
			_, stderr, code := maillage(t, []string{"DATABASE_URL=" + c.dsn, "MAILLAGE_DATABASE_WAIT=300ms"}, args...)
			stderr = withoutLogs(stderr) // serve logs its attempts to reach PostgreSQL
			if code != 1 || !strings.HasPrefix(stderr, "maillage: PostgreSQL at "+c.at+", database x: ") || !strings.Contains(stderr, c.cause) ||
				strings.Count(stderr, "\n") != 1 || strings.Contains(stderr, "PostgreSQL (") {
				t.Errorf("%v on %s: exit %d, stderr %q; want one line naming %s with %q, no hint", args, c.dsn, code, stderr, c.at, c.cause)
			}
		}
	}
	// The default address is the one tried when DATABASE_URL is unset (and
	// no private cluster runs).
	defer func(p uint32) { embeddedPort = p }(embeddedPort)
	embeddedPort = 1
	o := newOptions()
	o.DatabaseURL = "postgres://postgres@127.0.0.1:1/maillage?sslmode=disable"
	_, err := connect(context.Background(), o, false)
	if err == nil || !strings.HasSuffix(err.Error(), " or set DATABASE_URL") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("nothing at the default address: %v; want one line with the hint", err)
	}
}

// TestTokenSaysItsIssuer: the token command prints the token on stdout, and
// on stderr the issuer it signs for (the one in the token), from
// -public-url or else -addr; flags may follow the login.
func TestTokenSaysItsIssuer(t *testing.T) {
	db := pgtest.Seeded(t)
	for _, c := range []struct {
		args   []string
		issuer string
		ttl    int64
	}{
		{[]string{"token", "admin"}, "http://127.0.0.1:8080", 12 * 3600},
		{[]string{"token", "admin", "-addr", "127.0.0.1:9000", "-token-ttl", "1m"}, "http://127.0.0.1:9000", 60},
		{[]string{"token", "-public-url", "https://hub.example/", "admin"}, "https://hub.example", 12 * 3600},
	} {
		stdout, stderr, code := maillage(t, []string{"DATABASE_URL=" + db.DSN}, c.args...)
		if code != 0 || !strings.Contains(stderr, "issuer "+c.issuer+":") {
			t.Fatalf("%v: exit %d, stderr %q; want the issuer %s", c.args, code, stderr, c.issuer)
		}
		var claims struct {
			Iss      string
			Iat, Exp int64
		}
		parts := strings.Split(strings.TrimSpace(stdout), ".")
		payload, _ := base64.RawURLEncoding.DecodeString(parts[min(1, len(parts)-1)])
		if err := json.Unmarshal(payload, &claims); err != nil || claims.Iss != c.issuer || claims.Exp-claims.Iat != c.ttl {
			t.Fatalf("%v: token claims %+v (%v), want issuer %s valid %ds", c.args, claims, err, c.issuer, c.ttl)
		}
	}
}

// TestSchemaPrintsTheSubgraphSDL: every file of schema/ is in the SDL, with
// the federation @link; no database is needed.
func TestSchemaPrintsTheSubgraphSDL(t *testing.T) {
	stdout, stderr, code := maillage(t, []string{"DATABASE_URL=postgres://postgres@127.0.0.1:1/x"}, "schema")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	files, _ := filepath.Glob("../../schema/*.graphqls")
	if len(files) == 0 {
		t.Fatal("no schema files")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stdout, string(b)) {
			t.Errorf("%s is not in the SDL", f)
		}
	}
	if !strings.Contains(stdout, "@link(") {
		t.Error("no federation @link in the SDL")
	}
}

// TestReadOnlyCommandsUseARunningPrivateCluster: with no database named and
// nothing at the default address, a command uses the private cluster that a
// "maillage serve" started, and starts none itself (here the test server
// plays the running private cluster).
func TestReadOnlyCommandsUseARunningPrivateCluster(t *testing.T) {
	server, _ := url.Parse(pgtest.ServerURL())
	port, _ := strconv.ParseUint(server.Port(), 10, 32)
	defer func(p uint32) { embeddedPort = p }(embeddedPort)

	o := newOptions()
	o.DatabaseURL = "postgres://postgres@127.0.0.1:1/maillage?sslmode=disable" // the default address, nothing there
	embeddedPort = 1
	usePrivateCluster(o)
	if o.DatabaseURL != "postgres://postgres@127.0.0.1:1/maillage?sslmode=disable" {
		t.Fatalf("no private cluster runs, yet the URL became %s", o.DatabaseURL)
	}
	embeddedPort = uint32(port)
	usePrivateCluster(o)
	if o.DatabaseURL != embeddedURL() {
		t.Fatalf("a private cluster runs: URL %s, want %s", o.DatabaseURL, embeddedURL())
	}
	named := newOptions()
	named.DatabaseURL, named.databaseSet = "postgres://postgres@127.0.0.1:1/x", true
	usePrivateCluster(named)
	if named.DatabaseURL != "postgres://postgres@127.0.0.1:1/x" {
		t.Fatalf("a named database was replaced by %s", named.DatabaseURL)
	}
}

// TestFlagsBeforeTheCommand: the order older versions took still works; a
// flag's value is never taken for the command.
func TestFlagsBeforeTheCommand(t *testing.T) {
	for _, c := range []struct{ args, want string }{
		{"-database-url u -addr a -no-seed -log-level WARN serve", "serve -database-url u -addr a -no-seed -log-level WARN"},
		{"-database-url=u token admin -token-ttl 1m", "token -database-url=u admin -token-ttl 1m"},
		{"-addr seed", "-addr seed"},
		{"-no-seed -- seed", "-no-seed -- seed"},
		{"migrate up", "migrate up"},
	} {
		if got := strings.Join(commandFirst(strings.Fields(c.args)), " "); got != c.want {
			t.Errorf("%s: %s, want %s", c.args, got, c.want)
		}
	}
}
