// Package peak runs a command and measures its wall time and its peak
// resident memory, as the import benchmarks report them.
package peak

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Run runs bin with args and returns its wall time, its peak resident
// memory in MB and what it printed (stdout and stderr). The peak is the
// process's own VmHWM, read from /proc every 10 ms while it runs: its
// rusage would count the pages of the benchmark that forked it, which the
// child shares until it execs.
func Run(bin string, args ...string) (time.Duration, float64, string, error) {
	cmd := exec.Command(bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, "", err
	}
	done, peak := make(chan struct{}), make(chan float64)
	go func() {
		hwm := 0.0
		status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
		for {
			if b, err := os.ReadFile(status); err == nil {
				for _, line := range strings.Split(string(b), "\n") {
					var kb float64
					if _, err := fmt.Sscanf(line, "VmHWM: %f kB", &kb); err == nil {
						hwm = max(hwm, kb/1024)
					}
				}
			}
			select {
			case <-done:
				peak <- hwm
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	err := cmd.Wait()
	took := time.Since(start)
	close(done)
	hwm := <-peak
	if err != nil {
		err = fmt.Errorf("%s %s: %w", bin, strings.Join(args, " "), err)
	}
	return took, hwm, out.String(), err
}
