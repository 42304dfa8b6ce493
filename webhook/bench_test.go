package webhook_test

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"testing"
	"time"

	"github.com/maillage/maillage/postgres/pgtest"
)

// BenchmarkDelivery measures an event's way from its commit to a webhook's
// 2xx, per delivery: b.N notes written in a row to a team followed by five
// webhooks (five deliveries per note), each on a local HTTPS endpoint of
// its own: fan-out under the guards, claims, signed posts, log updates.
// go test -run XXX -bench Delivery -benchtime 300x ./webhook/
func BenchmarkDelivery(b *testing.B) {
	db := pgtest.Seeded(b)
	rs := make([]*receiver, 5)
	for i := range rs {
		rs[i] = newReceiver(b)
	}
	cfg := fast(rs[0])
	pool := x509.NewCertPool() // trust every receiver's certificate
	for _, r := range rs {
		pool.AddCert(r.Certificate())
	}
	cfg.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, MaxIdleConnsPerHost: 16}
	svc, _ := instance(b, db, cfg)
	nurseCtx, gp := pgtest.As(b, db, nurse), pgtest.As(b, db, gpDupont)
	dupont := teamID(b, db, "CHRONIC_POLYPATHOLOGY")
	for _, r := range rs {
		register(b, svc, nurseCtx, r, "escap:")
	}
	accepted := func() int {
		n := 0
		for _, r := range rs {
			n += len(r.accepted())
		}
		return n
	}
	b.ResetTimer()
	for range b.N {
		note(b, db, gp, dupont)
	}
	for deadline := time.Now().Add(2 * time.Minute); accepted() < 5*b.N; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d deliveries after 2 min", accepted(), 5*b.N)
		}
	}
	b.ReportMetric(float64(5*b.N)/b.Elapsed().Seconds(), "deliveries/s")
}
