// Package machine holds what every benchmark program reports or needs of
// the machine it runs on: its load average, where CPU time went, and
// scratch databases.
package machine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/maillage/maillage/postgres"
)

// LoadAverage is the machine's load average over 1, 5 and 15 minutes
// (Linux), for reading a figure measured on a shared machine: "?" where it
// cannot be read.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

// FreshDatabase creates a migrated database with a random name, starting
// with prefix, on the PostgreSQL server of the URL server, and returns its
// URL and a drop that removes it.
func FreshDatabase(ctx context.Context, server, prefix string) (string, func(), error) {
	u, err := url.Parse(server)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 6)
	rand.Read(b)
	u.Path = "/" + prefix + hex.EncodeToString(b)
	dsn := u.String()
	if err := postgres.EnsureDatabase(ctx, dsn); err != nil {
		return "", nil, err
	}
	drop := func() {
		if err := postgres.DropDatabase(context.Background(), dsn); err != nil {
			log.Print(err)
		}
	}
	db, err := postgres.Open(ctx, dsn) // migrates
	if err != nil {
		drop()
		return "", nil, err
	}
	db.Close()
	return dsn, drop, nil
}

// CPU is CPU time spent so far: by this process, and by the whole machine
// (every core's busy time, Linux), so that a run's difference says where a
// figure's CPU went: here, or in PostgreSQL and the other processes.
type CPU struct{ Self, Machine time.Duration }

// CPUNow reads the CPU time spent so far; zero where it cannot be read.
func CPUNow() CPU {
	var c CPU
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		c.Self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return c
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal …
	if len(f) < 9 || f[0] != "cpu" {
		return c
	}
	var ticks int64
	for i, v := range f[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		ticks += n
	}
	c.Machine = time.Duration(ticks) * time.Second / 100 // USER_HZ
	return c
}

// Per is the CPU spent between from and c, here and elsewhere, per one of
// n operations.
func (c CPU) Per(from CPU, n float64) (here, elsewhere time.Duration) {
	self, all := c.Self-from.Self, c.Machine-from.Machine
	if n <= 0 {
		return 0, 0
	}
	return time.Duration(float64(self) / n), time.Duration(float64(max(all-self, 0)) / n)
}
