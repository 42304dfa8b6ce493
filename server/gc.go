package server

import (
	"os"
	"runtime/debug"
)

// DefaultGCPercent is the garbage collector's target (GOGC) the hub runs
// with when the GOGC environment variable sets none. A request allocates
// megabytes that die with it (a dashboard's page of 300 members: about 3 MB)
// while the heap that lives on is small, so at Go's default of 100 the
// collector runs every few requests; at 400 it runs a quarter as often, for a
// heap of at most five times the live one.
const DefaultGCPercent = 400

// TuneGC sets the process's garbage collector target to DefaultGCPercent,
// unless GOGC is set. It is process-wide: main calls it ("maillage serve"
// does), a library never should.
func TuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(DefaultGCPercent)
	}
}
