package pgcluster

import (
	"context"
	"testing"
	"time"
)

func TestStreamingReplica(t *testing.T) {
	ctx := context.Background()
	primary := startTest(t, Config{Dir: reachableDir(t), Logger: testLogger(t), Settings: fastSettings()})
	replica := startTest(t, Config{Dir: reachableDir(t), Logger: testLogger(t), Settings: fastSettings(), ReplicaOf: primary})

	if got := queryString(t, connect(t, replica, Database), "SELECT pg_is_in_recovery()::text"); got != "true" {
		t.Fatalf("replica: pg_is_in_recovery() = %s, want true", got)
	}
	if got := queryString(t, connect(t, primary, Database), "SELECT pg_is_in_recovery()::text"); got != "false" {
		t.Fatalf("primary: pg_is_in_recovery() = %s, want false", got)
	}
	pc := connect(t, primary, Database)
	if _, err := pc.Exec(ctx, "CREATE TABLE replicated AS SELECT 'written on the primary'::text AS v"); err != nil {
		t.Fatal(err)
	}
	rc := connect(t, replica, Database)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var v string
		err := rc.QueryRow(ctx, "SELECT v FROM replicated").Scan(&v)
		if err == nil {
			if v != "written on the primary" {
				t.Fatalf("replica reads %q", v)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the primary's table did not reach the replica within 10 s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := rc.Exec(ctx, "CREATE TABLE on_replica (x int)"); err == nil {
		t.Error("the replica took a write")
	}
}

func TestCrashAndRestart(t *testing.T) {
	ctx := context.Background()
	// Commits are synchronous here: with synchronous_commit off a crash
	// loses the last commits, by design.
	cfg := Config{Dir: reachableDir(t), Logger: testLogger(t), Settings: map[string]string{"fsync": "off"}}
	c := startTest(t, cfg)
	conn := connect(t, c, Database)
	if _, err := conn.Exec(ctx, "CREATE TABLE survives AS SELECT 42 AS v"); err != nil {
		t.Fatal(err)
	}
	if err := c.Crash(ctx); err != nil {
		t.Fatal(err)
	}
	if pid, err := c.PID(); err != nil || pid != 0 {
		t.Fatalf("after the crash: postmaster pid %d (%v), want none", pid, err)
	}
	if err := conn.Ping(ctx); err == nil {
		t.Fatal("a connection survived the crash")
	}
	c, err := Start(ctx, cfg)
	if err != nil {
		t.Fatalf("start after crash: %v", err)
	}
	if got := queryString(t, connect(t, c, Database), "SELECT v::text FROM survives"); got != "42" {
		t.Errorf("after recovery: %s, want 42", got)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}
