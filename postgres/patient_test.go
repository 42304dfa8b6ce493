package postgres_test

import (
	"testing"
	"time"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/postgres/pgtest"
)

// Recording a patient whose INS is known reveals nothing to whoever cannot
// give the person's identity traits, and links whoever can.
func TestRecordingAKnownINS(t *testing.T) {
	db := pgtest.Seeded(t)
	var dupont, ins string
	db.Get(&dupont, `SELECT id FROM patients WHERE family_name = 'Dupont'`)
	db.Get(&ins, `SELECT ins FROM patients WHERE id = $1`, dupont)
	kine := pgtest.As(t, db, "10003456784") // no relation with Mme Dupont
	if _, err := db.FindPatientByID(kine, dupont); maillage.ErrorCode(err) != maillage.ENOTFOUND {
		t.Fatalf("before: %v, want NOT_FOUND", err)
	}
	in := maillage.PatientInput{FamilyName: "Durand", GivenNames: "Jeanne", BirthDate: time.Date(1948, 3, 12, 0, 0, 0, 0, time.UTC), Sex: maillage.SexFemale, INS: &ins}
	patients := count(t, db, `SELECT count(*) FROM patients`)

	_, err := db.CreatePatient(kine, in)
	wantCode(t, err, maillage.EINVALID, "input.ins")
	if _, err := db.FindPatientByID(kine, dupont); maillage.ErrorCode(err) != maillage.ENOTFOUND {
		t.Fatalf("after a mismatch: %v, want NOT_FOUND", err)
	}
	if n := count(t, db, `SELECT count(*) FROM audit_log WHERE object_id = $1 AND operation = 'ins_traits_mismatch'`, dupont); n != 1 {
		t.Fatalf("%d audit records of the mismatch, want 1", n)
	}

	in.FamilyName, in.GivenNames = "DUPONT", "jeanne marie" // same traits, other case, more given names
	p, err := db.CreatePatient(kine, in)
	if err != nil || p.ID != dupont {
		t.Fatalf("matching traits: %+v, %v; want the existing patient %s", p, err, dupont)
	}
	if _, err := db.FindPatientByID(kine, dupont); err != nil {
		t.Fatalf("the new recorder cannot read the patient: %v", err)
	}
	if n := count(t, db, `SELECT count(*) FROM patients`); n != patients {
		t.Fatalf("%d patients created, want none", n-patients)
	}
	if n := count(t, db, `SELECT count(*) FROM audit_log WHERE object_id = $1 AND operation = 'record_existing'`, dupont); n != 1 {
		t.Fatalf("%d audit records of the recording, want 1", n)
	}
}
