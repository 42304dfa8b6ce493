package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

// importFile imports a fixture of testdata and returns its report and rejects.
func importFile(t *testing.T, ctx context.Context, db *postgres.DB, name string) (*postgres.RPPSImport, string, error) {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rejects bytes.Buffer
	rep, err := postgres.ImportRPPS(ctx, db, f, postgres.ImportOptions{Rejects: &rejects})
	return rep, rejects.String(), err
}

// directoryRows is every professional and membership as text, to compare.
func directoryRows(t *testing.T, db *postgres.DB) string {
	t.Helper()
	var rows []string
	const q = `SELECT concat_ws('|', id, rpps, first_name, last_name, profession, specialty, updated_at, archived_at) FROM professionals
		UNION ALL SELECT concat_ws('|', id, ended_at) FROM memberships ORDER BY 1`
	if err := db.Select(&rows, q); err != nil {
		t.Fatal(err)
	}
	return strings.Join(rows, "\n")
}

func TestImportRPPS(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)

	rep, rejects, err := importFile(t, ctx, db, "rpps_1.txt")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Read != 7 || rep.Professionals != 4 || rep.Inserted != 4 || rep.Updated != 0 || rep.Archived != 0 || rep.Rejected != 2 {
		t.Errorf("first import: %s", rep)
	}
	wantRejects := "line 6: Identifiant PP: RPPS must be exactly 11 digits, got \"1234\"\nline 7: Nom d'exercice: must not be empty\n"
	if rejects != wantRejects {
		t.Errorf("rejects:\n%s\nwant:\n%s", rejects, wantRejects)
	}
	var spec string
	if err := db.Get(&spec, `SELECT concat_ws('/', first_name, last_name, profession, specialty) FROM professionals WHERE rpps = '10000000001'`); err != nil ||
		spec != "Claire/MARTIN/Médecin/Médecine générale" {
		t.Errorf("10000000001 is %q (%v)", spec, err)
	}
	if n := count(t, db, `SELECT count(*) FROM events WHERE type = 'PROFESSIONAL_CREATED'`); n != 4 {
		t.Errorf("%d creation events, want 4", n)
	}

	// The same file again changes nothing and announces nothing.
	before, events := directoryRows(t, db), count(t, db, `SELECT count(*) FROM events`)
	rep, _, err = importFile(t, ctx, db, "rpps_1.txt")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Inserted+rep.Updated+rep.Archived != 0 || rep.Professionals != 4 {
		t.Errorf("re-import: %s", rep)
	}
	if after := directoryRows(t, db); after != before {
		t.Errorf("re-import changed the directory:\n%s\nwas:\n%s", after, before)
	}
	if n := count(t, db, `SELECT count(*) FROM events`); n != events {
		t.Errorf("re-import appended %d events", n-events)
	}

	// A membership of the professional about to disappear from the file.
	var structure string
	if err := db.Get(&structure, `INSERT INTO territories (code, name, level, path) VALUES ('fr', 'France', 'NATION', 'fr') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(&structure, `INSERT INTO structures (kind, name, territory_id) VALUES ('MSP', 'MSP test', $1) RETURNING id`, structure); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO memberships (professional_id, structure_id, role) SELECT id, $1, 'MEMBER' FROM professionals WHERE rpps = '10000000003'`, structure); err != nil {
		t.Fatal(err)
	}

	// Interrupted: the context is cancelled once the file is read.
	before, events = directoryRows(t, db), count(t, db, `SELECT count(*) FROM events`)
	cctx, cancel := context.WithCancel(ctx)
	f, err := os.Open("testdata/rpps_2.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := postgres.ImportRPPS(cctx, db, &cancelAtEOF{r: f, cancel: cancel}, postgres.ImportOptions{}); err == nil {
		t.Fatal("cancelled import: no error")
	}
	if after := directoryRows(t, db); after != before {
		t.Errorf("cancelled import changed the directory:\n%s\nwas:\n%s", after, before)
	}
	if n := count(t, db, `SELECT count(*) FROM events`); n != events {
		t.Errorf("cancelled import appended %d events", n-events)
	}

	// A new file: one renamed, one gone, one new.
	rep, rejects, err = importFile(t, ctx, db, "rpps_2.txt")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Read != 7 || rep.Professionals != 4 || rep.Inserted != 1 || rep.Updated != 1 || rep.Archived != 1 || rep.Rejected != 2 {
		t.Errorf("second file: %s", rep)
	}
	if want := "line 4: Libellé profession: must not be empty\nline 8: not UTF-8 text\n"; rejects != want {
		t.Errorf("rejects: %q", rejects)
	}
	if n := count(t, db, `SELECT count(*) FROM professionals WHERE rpps = '10000000002' AND last_name = 'DUBOIS-MOREL'`); n != 1 {
		t.Error("10000000002 not renamed")
	}
	if n := count(t, db, `SELECT count(*) FROM professionals WHERE rpps = '10000000003' AND archived_at IS NOT NULL`); n != 1 {
		t.Error("10000000003 not archived")
	}
	if n := count(t, db, `SELECT count(*) FROM memberships m JOIN professionals p ON p.id = m.professional_id
		WHERE p.rpps = '10000000003' AND m.ended_at IS NULL`); n != 0 {
		t.Error("the archived professional's membership did not end")
	}
	if n := count(t, db, `SELECT count(*) FROM professionals`); n != 5 {
		t.Errorf("%d professionals, want 5 (archived, never deleted)", n)
	}
	for typ, want := range map[string]int{"PROFESSIONAL_CREATED": 5, "PROFESSIONAL_UPDATED": 1, "PROFESSIONAL_ARCHIVED": 1} {
		if n := count(t, db, `SELECT count(*) FROM events WHERE type = $1`, typ); n != want {
			t.Errorf("%d %s events, want %d", n, typ, want)
		}
	}

	// The first file again: the archived professional comes back.
	rep, _, err = importFile(t, ctx, db, "rpps_1.txt")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Inserted != 0 || rep.Updated != 2 || rep.Archived != 1 {
		t.Errorf("first file again: %s", rep)
	}
	if n := count(t, db, `SELECT count(*) FROM professionals WHERE rpps = '10000000003' AND archived_at IS NULL`); n != 1 {
		t.Error("10000000003 not restored")
	}
}

func TestImportRPPSRefuses(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	const header = "Identifiant PP|Nom d'exercice|Prénom d'exercice|Libellé profession|Libellé savoir-faire|Numéro SIRET site|Numéro FINESS site|Code commune (coord. structure)|\n"
	for _, c := range []struct{ name, file, departments, want string }{
		{"no RPPS header", "Nom|Prénom|\nMARTIN|Claire|\n", "", `no column "Identifiant PP" in the header`},
		{"empty", "", "", "not an RPPS activity extract: the file is empty"},
		{"no valid line", header + "12|X|Y|Z||||76540|\n", "",
			"nothing to load (1 lines read, 0 outside the departments, 1 rejected): refusing to archive every imported professional"},
		{"no line in the departments", header + "10000000001|X|Y|Z||||76540|\n", "27",
			"nothing to load (1 lines read, 1 outside the departments, 0 rejected)"},
		{"not a department", header + "10000000001|X|Y|Z||||76540|\n", "76,7", `department: "7" is not a department code`},
	} {
		var depts []string
		if c.departments != "" {
			depts = strings.Split(c.departments, ",")
		}
		_, err := postgres.ImportRPPS(ctx, db, strings.NewReader(c.file), postgres.ImportOptions{Departments: depts})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM professionals`); n != 0 {
		t.Errorf("refused imports left %d professionals", n)
	}
	// The other imports refuse an unknown department before reading.
	if _, err := postgres.ImportFINESS(ctx, db, strings.NewReader(""), postgres.ImportOptions{Departments: []string{"2a"}}); err == nil ||
		!strings.Contains(err.Error(), `department: "2a" is not a department code`) {
		t.Errorf("finess, department 2a: %v", err)
	}
	if _, err := postgres.ImportMSSante(ctx, db, strings.NewReader(""), postgres.ImportOptions{Departments: []string{"99"}}); err == nil ||
		!strings.Contains(err.Error(), `department: "99" is not a department code`) {
		t.Errorf("mssante, department 99: %v", err)
	}
}

// cancelAtEOF reads r and cancels a context when r is exhausted.
type cancelAtEOF struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c *cancelAtEOF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		c.cancel()
	}
	return n, err
}

// slowAtEOF waits before telling the end of its file, as a download that
// stalls: the import's COPY is open meanwhile.
type slowAtEOF struct {
	r     io.Reader
	pause time.Duration
}

func (s *slowAtEOF) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err == io.EOF {
		time.Sleep(s.pause)
	}
	return n, err
}

// An import streams a file for as long as it takes: the connections'
// statement timeout (a request's backstop) does not cut it, for any of
// the three extracts.
func TestImportSlowStream(t *testing.T) {
	db := pgtest.Open(t, pgtest.NewURL(t)+"&statement_timeout=300ms")
	ctx := context.Background()
	var rpps, mssante bytes.Buffer
	pgtest.WriteRPPSActivities(&rpps, genActivityPros(3))
	pgtest.WriteMSSante(&mssante, []pgtest.MSSanteMailbox{{Type: "PER", Address: "nom0@medecin.mssante.fr", RPPS: "20000000000"}})
	finess := extract(t, pgtest.GenFINESS(0, 5))
	for _, imp := range []struct {
		name string
		run  func(io.Reader) (fmt.Stringer, error)
		file io.Reader
	}{
		{"finess", func(r io.Reader) (fmt.Stringer, error) {
			return postgres.ImportFINESS(ctx, db, r, postgres.ImportOptions{})
		}, bytes.NewReader(finess)},
		{"rpps", func(r io.Reader) (fmt.Stringer, error) {
			return postgres.ImportRPPS(ctx, db, r, postgres.ImportOptions{})
		}, &rpps},
		{"mssante", func(r io.Reader) (fmt.Stringer, error) {
			return postgres.ImportMSSante(ctx, db, r, postgres.ImportOptions{})
		}, &mssante},
	} {
		if rep, err := imp.run(&slowAtEOF{r: imp.file, pause: 700 * time.Millisecond}); err != nil {
			t.Errorf("%s, a file read in more than the statement timeout: %v", imp.name, err)
		} else if !strings.Contains(rep.String(), "1 assigned") && imp.name == "mssante" {
			t.Errorf("mssante: %s", rep)
		}
	}
}

// gatedReader holds its first read until open is closed.
type gatedReader struct {
	r    io.Reader
	open chan struct{}
}

func (g *gatedReader) Read(p []byte) (int, error) {
	<-g.open
	return g.r.Read(p)
}

// Two imports at once (a nightly run overlapping a manual one): the second
// waits for the first, then applies its file to what the first left, where
// it would fail on the first one's new professionals or archive them.
func TestImportOneAtATime(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	var first, second bytes.Buffer
	pgtest.WriteRPPSActivities(&first, genActivityPros(20))
	pgtest.WriteRPPSActivities(&second, genActivityPros(20))
	gate := &gatedReader{r: &first, open: make(chan struct{})}
	type result struct {
		rep *postgres.RPPSImport
		err error
	}
	a, b := make(chan result, 1), make(chan result, 1)
	go func() {
		rep, err := postgres.ImportRPPS(ctx, db, gate, postgres.ImportOptions{})
		a <- result{rep, err}
	}()
	// The advisory locks of this test's database, granted or awaited.
	locks := func(granted bool) int {
		return count(t, db, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted = $1
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, granted)
	}
	for deadline := time.Now().Add(5 * time.Second); locks(true) == 0; {
		if time.Now().After(deadline) {
			close(gate.open)
			t.Fatal("the first import took no import lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	go func() {
		rep, err := postgres.ImportRPPS(ctx, db, &second, postgres.ImportOptions{})
		b <- result{rep, err}
	}()
	for deadline := time.Now().Add(5 * time.Second); locks(false) == 0; {
		if time.Now().After(deadline) {
			close(gate.open)
			t.Fatal("the second import did not wait for the first")
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(gate.open)
	ra, rb := <-a, <-b
	if ra.err != nil || rb.err != nil {
		t.Fatalf("first: %v; second: %v", ra.err, rb.err)
	}
	if ra.rep.Inserted != 20 || rb.rep.Inserted+rb.rep.Updated+rb.rep.Archived+rb.rep.Joined+rb.rep.Left != 0 {
		t.Errorf("first: %s; second (the same file after it): %s", ra.rep, rb.rep)
	}
}
