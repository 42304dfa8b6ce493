package postgres_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/migrations"
	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

// Recording a patient whose INS is known shows nothing and grants nothing
// to whoever may not already write the record, even with the right identity
// (an ESS's secretariat saw it for a request); the treating GP gets the
// record back.
func TestRecordingAKnownINS(t *testing.T) {
	db := pgtest.Seeded(t)
	var dupont, ins string
	db.Get(&dupont, `SELECT id FROM patients WHERE family_name = 'Dupont'`)
	db.Get(&ins, `SELECT ins FROM patients WHERE id = $1`, dupont)
	in := maillage.PatientInput{FamilyName: "DUPONT", GivenNames: "jeanne marie", BirthDate: time.Date(1948, 3, 12, 0, 0, 0, 0, time.UTC), Sex: maillage.SexFemale, INS: &ins}
	patients := count(t, db, `SELECT count(*) FROM patients`)
	kine := pgtest.As(t, db, "10003456784") // no relation with Mme Dupont
	for _, traits := range []string{"Durand", "DUPONT"} {
		in.FamilyName = traits
		_, err := db.Patients.CreatePatient(kine, in)
		wantCode(t, err, maillage.EINVALID, "input.ins")
		if _, err := db.Patients.FindPatientByID(kine, dupont); maillage.ErrorCode(err) != maillage.ENOTFOUND {
			t.Fatalf("after recording %s: %v, want NOT_FOUND", traits, err)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM audit_log WHERE object_id = $1 AND operation = 'record_known_ins_refused'`, dupont); n != 2 {
		t.Fatalf("%d audit records of the refusals, want 2", n)
	}
	p, err := db.Patients.CreatePatient(pgtest.As(t, db, "10003456781"), in) // her treating GP
	if err != nil || p.ID != dupont {
		t.Fatalf("the treating GP records her again: %+v, %v; want the existing patient %s", p, err, dupont)
	}
	if n := count(t, db, `SELECT count(*) FROM patients`); n != patients {
		t.Fatalf("%d patients created, want none", n-patients)
	}
}

// An audit record says under what the caller acted: a relation with the
// object, or the role held on the object's domain, in that domain.
func TestAuditNamesTheRoleOrRelation(t *testing.T) {
	db := pgtest.Seeded(t)
	var ref, essDomain string
	db.Get(&ref, `SELECT id FROM referrals ORDER BY submitted_at LIMIT 1`)
	db.Get(&essDomain, `SELECT t.path || '/@' || s.id FROM structures s JOIN territories t ON t.id = s.territory_id WHERE s.name = 'ESS Dermatologie Rouen Métropole'`)
	secretariat := pgtest.As(t, db, "10003456789")
	if rs, err := db.Referrals.ReferralsByIDs(secretariat, []string{ref}); err != nil || rs[0] == nil {
		t.Fatalf("the secretariat reads the request: %v %v", rs, err)
	}
	var audit struct{ Role, Domain string }
	db.QueryRowx(`SELECT role, domain FROM audit_log WHERE object_id = $1 AND operation = 'read' ORDER BY id DESC LIMIT 1`, ref).StructScan(&audit)
	if audit.Role != "ess_secretariat@"+essDomain || audit.Domain != essDomain {
		t.Fatalf("audit %+v, want the ESS secretariat role in the ESS's domain %s", audit, essDomain)
	}
	var dupont string
	db.Get(&dupont, `SELECT id FROM patients WHERE family_name = 'Dupont'`)
	if _, err := db.Patients.FindPatientByID(pgtest.As(t, db, "10003456781"), dupont); err != nil {
		t.Fatal(err)
	}
	var role string
	db.Get(&role, `SELECT role FROM audit_log WHERE object_id = $1 AND operation = 'read' ORDER BY id DESC LIMIT 1`, dupont)
	if !strings.Contains(role, "rel:treating_gp") || !strings.Contains(role, "rel:recorder") || strings.Contains(role, "@") {
		t.Fatalf("patient read audited as %q, want her relations (treating GP, recorder…), not a role", role)
	}
}

// A referral transition is audited under the ESS role it was made as.
func TestTransitionAuditNamesTheESSRole(t *testing.T) {
	db := pgtest.Seeded(t)
	var ref, essDomain string
	db.Get(&ref, `SELECT id FROM referrals WHERE state = 'SUBMITTED' ORDER BY submitted_at LIMIT 1`)
	db.Get(&essDomain, `SELECT t.path || '/@' || s.id FROM structures s JOIN territories t ON t.id = s.territory_id WHERE s.name = 'ESS Dermatologie Rouen Métropole'`)
	if _, err := db.Referrals.TransitionReferral(pgtest.As(t, db, "10003456789"), ref, maillage.ReferralTransitionInput{Action: maillage.ActionTriage}); err != nil {
		t.Fatal(err)
	}
	var role string
	db.Get(&role, `SELECT role FROM audit_log WHERE object_id = $1 AND operation = 'triage'`, ref)
	if role != "ess_secretariat@"+essDomain {
		t.Fatalf("triage audited as %q, want the secretariat's role on the ESS", role)
	}
}

// The same Corsican INS typed in two cases is one INS: the second recording
// is the known-INS case (refused to a stranger, the record back to its
// recorder), it is stored upper-case, and the table refuses any other form.
func TestCorsicanINSInTwoCasesIsOneINS(t *testing.T) {
	db := pgtest.Seeded(t)
	upper, lower := "185052A00412356", "185052a00412356"
	gp := pgtest.As(t, db, "10003456782")
	in := maillage.PatientInput{FamilyName: "Santoni", GivenNames: "Marie", BirthDate: time.Date(1985, 5, 1, 0, 0, 0, 0, time.UTC), Sex: maillage.SexFemale, INS: &lower}
	p, err := db.Patients.CreatePatient(gp, in)
	if err != nil {
		t.Fatal(err)
	}
	if p.INS == nil || *p.INS != upper {
		t.Fatalf("stored INS %v, want the canonical %s", p.INS, upper)
	}
	in.INS = &upper
	_, err = db.Patients.CreatePatient(pgtest.As(t, db, "10003456784"), in)
	wantCode(t, err, maillage.EINVALID, "input.ins")
	again, err := db.Patients.CreatePatient(gp, in)
	if err != nil || again.ID != p.ID {
		t.Fatalf("recording it again in the other case: %+v, %v; want the patient %s", again, err, p.ID)
	}
	if n := count(t, db, `SELECT count(*) FROM patients WHERE upper(ins) = $1`, upper); n != 1 {
		t.Fatalf("%d patients with that INS, want 1", n)
	}
	if _, err := db.Exec(`INSERT INTO patients (family_name, given_names, birth_date, sex, ins, created_by)
		SELECT 'Santoni', 'Marie', '1985-05-01', 'F', '185052b00412348', id FROM accounts WHERE login = 'admin'`); err == nil {
		t.Fatal("the table took an INS in lower case")
	}
}

// The migration to the canonical INS upper-cases what was typed in lower
// case and, for an INS recorded twice in two cases, keeps it on the first
// patient and lists the second for identity vigilance.
func TestINSMigrationNormalisesExistingRows(t *testing.T) {
	ctx := t.Context()
	db, err := postgres.Connect(ctx, pgtest.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, db.DB, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provider.UpTo(ctx, 62); err != nil {
		t.Fatal(err)
	}
	db.MustExec(`INSERT INTO accounts (id, login, display_name) VALUES ('acc_t', 't', 'T')`)
	db.MustExec(`INSERT INTO patients (id, family_name, given_names, birth_date, sex, ins, created_by, created_at) VALUES
		('pat_1', 'Santoni', 'Marie', '1985-05-01', 'F', '185052A00412356', 'acc_t', now() - interval '2 days'),
		('pat_2', 'Santoni', 'Marie', '1985-05-01', 'F', '185052a00412356', 'acc_t', now() - interval '1 day'),
		('pat_3', 'Casta', 'Paul', '1985-05-01', 'M', '185052b00412348', 'acc_t', now())`)
	if _, err := provider.UpTo(ctx, 63); err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		ID  string  `db:"id"`
		INS *string `db:"ins"`
	}
	db.Select(&rows, `SELECT id, ins FROM patients ORDER BY id`)
	if len(rows) != 3 || *rows[0].INS != "185052A00412356" || rows[1].INS != nil || *rows[2].INS != "185052B00412348" {
		t.Fatalf("after the migration: %+v", rows)
	}
	var n int
	db.Get(&n, `SELECT count(*) FROM patients_ins_duplicates WHERE patient_id = 'pat_2' AND kept_patient_id = 'pat_1' AND ins = '185052a00412356'`)
	if n != 1 {
		t.Fatalf("the duplicate is not listed for identity vigilance")
	}
}
