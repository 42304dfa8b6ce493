//go:build !linux

package postgres

import (
	"syscall"
	"time"
)

// setUserTimeout is a no-op where TCP_USER_TIMEOUT does not exist: keepalives
// alone find a silent PostgreSQL there.
func setUserTimeout(time.Duration) func(network, address string, c syscall.RawConn) error {
	return nil
}
