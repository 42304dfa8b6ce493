package postgres

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/authz"
)

// ImportOptions says what an import of a national extract does besides
// reading it.
type ImportOptions struct {
	// Rejects receives the lines that cannot be imported, one
	// "line N: reason" each; nil drops them (they are still counted).
	Rejects io.Writer
	// Progress, if not nil, is called with the lines read so far every batch.
	Progress func(lines int)
	// Departments, if not empty, keeps only the lines of these departments
	// ("76", "2A", "971"): the directory becomes that region's, and what is
	// outside them is treated as absent from the file.
	Departments []string
}

// keeps reports whether a line of department dept passes the filter.
func (o ImportOptions) keeps(dept string) bool {
	return len(o.Departments) == 0 || slices.Contains(o.Departments, strings.ToUpper(strings.TrimSpace(dept)))
}

// check refuses a department that is not one of the official geographic
// code's 101 (a typo would otherwise leave its lines out, and the import
// archive what it had loaded from them).
func (o ImportOptions) check() error {
	for _, d := range o.Departments {
		if _, _, ok := regionOfDepartment(d); !ok {
			return maillage.Errorf(maillage.EINVALID, "department: %q is not a department code (such as 76, 2A or 971)", d)
		}
	}
	return nil
}

// nothingToLoad is the refusal of an import whose file has no line to
// load, which would otherwise undo what earlier imports loaded (undo says
// how); it says where the lines went.
func nothingToLoad(read, outside, rejected int, undo string) error {
	return maillage.Errorf(maillage.EINVALID, "nothing to load (%d lines read, %d outside the departments, %d rejected): refusing to %s",
		read, outside, rejected, undo)
}

// importMaxLine is the longest line an extract may have (a line is about
// 600 bytes).
const importMaxLine = 1 << 20

// importBatch is how many lines go by between progress calls and context
// checks.
const importBatch = 5000

// extractLines reads an extract one line at a time, a record a line (no
// extract has a line break inside a field), in bounded memory. It numbers
// the lines, skips the empty ones and rejects those no PostgreSQL text can
// hold; what a line means is its format's (pipeExtract, the FINESS reader).
type extractLines struct {
	sc     *bufio.Scanner
	line   int // the number of the current line, the first being 1
	read   int // data lines read, the first line and the empty ones excluded
	reject func(line int, reason string) error
}

// newExtractLines reads r, whose lines reject refuses.
func newExtractLines(r io.Reader, reject func(int, string) error) *extractLines {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), importMaxLine)
	return &extractLines{sc: sc, reject: reject}
}

// first reads the first line (a header, or the FINESS "finess;etalab;…"
// line); ok is false when the file is empty.
func (l *extractLines) first() (text string, ok bool, err error) {
	if !l.sc.Scan() {
		if err := l.sc.Err(); err != nil {
			return "", false, fmt.Errorf("line 1: %w", err)
		}
		return "", false, nil
	}
	l.line = 1
	return strings.TrimSuffix(l.sc.Text(), "\r"), true, nil
}

// stage COPYs the data lines after the first into a staging table (its
// COPY … FROM STDIN statement q), calling opt.Progress and checking ctx every
// importBatch lines. A line holding a NUL byte is rejected; row reads each
// other one (without its line end): its values, or a reason to reject it,
// or neither to leave it out (row counts those).
func (l *extractLines) stage(ctx context.Context, tx *sqlx.Tx, q string, opt ImportOptions, row func(text string) (values []any, reason string)) error {
	stmt, err := tx.PrepareContext(ctx, q)
	if err != nil {
		return fmt.Errorf("copy staging: %w", err)
	}
	defer stmt.Close()
	for l.sc.Scan() {
		l.line++
		text := strings.TrimSuffix(l.sc.Text(), "\r")
		if text == "" {
			continue
		}
		l.read++
		if l.read%importBatch == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if opt.Progress != nil {
				opt.Progress(l.read)
			}
		}
		var values []any
		reason := "not text: holds a NUL byte"
		if strings.IndexByte(text, 0) < 0 {
			values, reason = row(text)
		}
		if reason != "" {
			if err := l.reject(l.line, reason); err != nil {
				return err
			}
			continue
		}
		if values == nil {
			continue
		}
		if _, err := stmt.ExecContext(ctx, values...); err != nil {
			return fmt.Errorf("copy staging: %w", err)
		}
	}
	if err := l.sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", l.line+1, err)
	}
	if _, err := stmt.ExecContext(ctx); err != nil { // flush
		return fmt.Errorf("copy staging: %w", err)
	}
	if opt.Progress != nil {
		opt.Progress(l.read)
	}
	return ctx.Err()
}

// pipeExtract reads a national extract of the Annuaire Santé: UTF-8, one
// header line, fields between '|' without quoting (a line may end with a
// trailing '|'). Columns are found by their header name, never by position.
type pipeExtract struct {
	*extractLines
	col map[string]int
	rec []string // the fields of the current line
}

// newPipeExtract reads the header of r and checks that it names every
// column of required (what is refused names the extract, kind).
func newPipeExtract(r io.Reader, kind string, reject func(int, string) error, required ...string) (*pipeExtract, error) {
	lines := newExtractLines(r, reject)
	header, ok, err := lines.first()
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if !ok {
		return nil, maillage.Errorf(maillage.EINVALID, "not %s: the file is empty", kind)
	}
	col := map[string]int{}
	for i, h := range strings.Split(header, "|") {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for _, name := range required {
		if _, ok := col[name]; !ok {
			return nil, maillage.Errorf(maillage.EINVALID, "not %s: no column %q in the header", kind, name)
		}
	}
	return &pipeExtract{extractLines: lines, col: col}, nil
}

// get returns the trimmed field of the current line under the header name.
func (x *pipeExtract) get(name string) string {
	if i, ok := x.col[name]; ok && i < len(x.rec) {
		return strings.TrimSpace(x.rec[i])
	}
	return ""
}

// stage stages the data lines as extractLines.stage does, rejecting those
// that are not UTF-8 text; row reads the current line (get).
func (x *pipeExtract) stage(ctx context.Context, tx *sqlx.Tx, q string, opt ImportOptions, row func() (values []any, reason string)) error {
	return x.extractLines.stage(ctx, tx, q, opt, func(text string) ([]any, string) {
		if !utf8.ValidString(text) {
			return nil, "not UTF-8 text"
		}
		x.rec = strings.Split(text, "|")
		return row()
	})
}

// rejectWriter returns the reject function of an import: it counts the
// line into *n and writes "line N: reason" to w, if any.
func rejectWriter(w io.Writer, n *int) func(int, string) error {
	return func(line int, reason string) error {
		*n++
		if w == nil {
			return nil
		}
		if _, err := fmt.Fprintf(w, "line %d: %s\n", line, reason); err != nil {
			return fmt.Errorf("rejects file: %w", err)
		}
		return nil
	}
}

// reasonOf is the message of a validation error, for a reject line.
func reasonOf(err error) string {
	var e *maillage.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// importStep is one set-based change of an import: change is a statement
// (an INSERT or UPDATE … RETURNING, or a SELECT of what earlier statements
// changed) that returns, for each object changed, its id, its authorization
// domain and the payload of its event. runImportSteps gives each changed object its event and its
// audit record, as a mutation would.
type importStep struct {
	name      string
	change    string
	n         *int
	event     string // the type of the events the step appends
	operation string // the audit operation ("import_create", …)
}

// runImportSteps runs steps in order in tx. The audit records are written
// under role (the import, such as "system:import_rpps"), for the caller in
// ctx if any and the request id of ctx; the object kind is the directory's.
func runImportSteps(ctx context.Context, tx *sqlx.Tx, role string, steps []importStep) error {
	caller := maillage.IdentityFrom(ctx)
	var account *string
	if !caller.Anonymous() {
		account = &caller.AccountID
	}
	for _, s := range steps {
		q := `WITH chg AS (` + s.change + `),
			ev AS (INSERT INTO events (topic, type, subject_id, domain, payload) SELECT $1, $2, id, domain, payload FROM chg),
			au AS (INSERT INTO audit_log (account_id, role, domain, object_kind, object_id, operation, request_id)
				SELECT $3, $4, domain, $5, id, $6, $7 FROM chg)
			SELECT count(*) FROM chg`
		if err := tx.GetContext(ctx, s.n, q, maillage.TopicDirectory, s.event, account, role,
			authz.KindDirectory, s.operation, maillage.RequestID(ctx)); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}

// importTx runs fn in one transaction set for bulk work:
//   - without the connections' statement timeout: an import's set-based
//     statements over a national file run longer than a request's backstop
//     allows; ctx still cancels them;
//   - with plans made for each execution (plan_cache_mode): the per-row
//     triggers (the MSSanté register's) otherwise keep the plan cached when
//     their table was small, and scan it whole for each of the tens of
//     thousands of rows an import writes into it;
//   - one import at a time (a transaction lock): a second one started
//     meanwhile, a nightly run overlapping a manual one, waits and then
//     applies its file to what the first left, where it would fail on the
//     first one's new rows.
func importTx(ctx context.Context, db *DB, fn func(tx *sqlx.Tx) error) error {
	return db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SET LOCAL statement_timeout = 0; SET LOCAL plan_cache_mode = force_custom_plan`); err != nil {
			return fmt.Errorf("bulk settings: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('maillage_import'))`); err != nil {
			return fmt.Errorf("wait for another import: %w", err)
		}
		return fn(tx)
	})
}

// importContext gives ctx a request id naming the import run, unless it has
// one: the audit records of one import share it.
func importContext(ctx context.Context, kind string) context.Context {
	if maillage.RequestID(ctx) != "" {
		return ctx
	}
	return maillage.WithRequestID(ctx, fmt.Sprintf("import-%s-%s", kind, time.Now().UTC().Format("20060102T150405.000Z")))
}

// notifyEvents wakes the listeners once for all the events of an import:
// they read every event after the last they saw.
func notifyEvents(ctx context.Context, tx *sqlx.Tx) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, (SELECT max(id) FROM events)::text)`, EventsChannel); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

// structureDomainSQL is the authorization domain of structure s (joined
// with its territory t), as maillage.StructureDomain computes it.
const structureDomainSQL = `t.path || '/@' || s.id`
