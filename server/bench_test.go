package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/maillage/maillage"
	"github.com/maillage/maillage/authz"
	"github.com/maillage/maillage/postgres"
)

// BenchmarkStructuresRequest is a typical directory request — a page of 50
// structures with their territory and members — through the whole handler
// (authentication, GraphQL, dataloaders, SQL), reporting the authorization
// decisions and SQL statements it takes, and the time those decisions cost
// (timed around each decision's own Can/Scope call on the same caller), so
// its share of the request is decision-ns/op ÷ ns/op.
func BenchmarkStructuresRequest(b *testing.B) {
	h := seededHub(b)
	admin := pgtestAs(b, h, "admin")
	for i := range 40 { // 60+ structures, so the page is full
		in := maillage.StructureInput{Kind: maillage.KindMSP, Name: fmt.Sprintf("MSP bench %02d", i), TerritoryID: h.id(`SELECT id FROM territories WHERE path = $1`, "fr/28/76/cpts-rouen-nord")}
		if _, err := h.db.Directory.CreateStructure(admin, in); err != nil {
			b.Fatal(err)
		}
	}
	const query = `{ structures(first: 50) { totalCount edges { node { id name kind territory { name path } members { edges { node { role professional { lastName } } } } } } } }`
	body, _ := json.Marshal(map[string]any{"query": query})
	for _, who := range []string{"", "10003456781"} {
		name := "anonymous"
		if who != "" {
			name = "CPTS coordinator"
		}
		b.Run(name, func(b *testing.B) {
			token := h.token(who)
			handler := h.srv.Handler()
			var decisions, statements int64
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				rec := httptest.NewRecorder()
				d0, s0 := authz.Decisions(), postgres.Statements()
				handler.ServeHTTP(rec, req)
				decisions += authz.Decisions() - d0
				statements += postgres.Statements() - s0
				if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
					b.Fatalf("%d %s", rec.Code, rec.Body.String())
				}
			}
			n := float64(b.N)
			b.ReportMetric(float64(decisions)/n, "decisions/op")
			b.ReportMetric(float64(statements)/n, "statements/op")
			// The decisions' own cost: the same Scope call, timed alone.
			ctx := maillage.WithIdentity(b.Context(), identityOf(b, h, who))
			const rounds = 20000
			start := time.Now()
			for range rounds {
				h.db.Authz.Scope(ctx, authz.ActRead, authz.KindDirectory)
			}
			per := float64(time.Since(start).Nanoseconds()) / rounds
			b.ReportMetric(per*float64(decisions)/n, "decision-ns/op")
		})
	}
}

// pgtestAs returns a context acting as login.
func pgtestAs(b *testing.B, h *hub, login string) context.Context {
	return maillage.WithIdentity(b.Context(), identityOf(b, h, login))
}

// identityOf returns the identity of login (anonymous for "").
func identityOf(b *testing.B, h *hub, login string) maillage.Identity {
	if login == "" {
		return maillage.Identity{}
	}
	acc, err := h.db.Accounts.FindAccountByLogin(b.Context(), login)
	if err != nil {
		b.Fatal(err)
	}
	return acc.Identity()
}
