package main

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/pressly/goose/v3/lock"

	"github.com/maillage/maillage/postgres"
	"github.com/maillage/maillage/postgres/pgtest"
)

// TestSIGTERMDuringStartStopsPromptly starts `maillage serve` (this test
// binary running main) while another instance holds the migration lock, so
// the start waits; SIGTERM then ends the process at once instead of after
// the wait.
func TestSIGTERMDuringStartStopsPromptly(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewURL(t)
	pool, err := postgres.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	holder, err := pool.Conn(ctx) // another instance, migrating
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if _, err := holder.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lock.DefaultLockID); err != nil {
		t.Fatal(err)
	}

	cmd := process([]string{"DATABASE_URL=" + url, "MAILLAGE_ADDR=127.0.0.1:0", "MAILLAGE_NO_SEED=1"}, "serve")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer cmd.Process.Kill()
	// Wait until it is waiting for the lock.
	for waiting := 0; waiting == 0; time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-exited:
			t.Fatalf("the hub stopped before it waited for the migration lock: %v", err)
		default:
		}
		if err := pool.GetContext(ctx, &waiting, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '%pg_try_advisory_lock%'`); err != nil {
			t.Fatal(err)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(3 * time.Second): // the lock is held for as long as the test lasts
		t.Fatal("the hub did not stop within 3 s of SIGTERM while starting")
	}
}
