package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// testLogger sends the cluster's log lines to the test log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func fastSettings() map[string]string {
	return map[string]string{"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
}

// reachableDir is a temporary directory every user may traverse, so that
// when the tests run as root the cluster stays inside it. t.TempDir's
// directories are closed to other users and so exercise relocation.
func reachableDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pgcluster-test-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// startTest starts a cluster and destroys it when the test ends.
func startTest(t *testing.T, cfg Config) *Cluster {
	t.Helper()
	ctx := context.Background()
	t.Cleanup(func() {
		if err := Destroy(context.Background(), Config{Dir: cfg.Dir, Logger: cfg.Logger}); err != nil {
			t.Errorf("destroy: %v", err)
		}
	})
	c, err := Start(ctx, cfg)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	return c
}

func connect(t *testing.T, c *Cluster, db string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), c.ConnString(db))
	if err != nil {
		t.Fatalf("connect to %s: %v", db, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func queryString(t *testing.T, conn *pgx.Conn, sql string) string {
	t.Helper()
	var s string
	if err := conn.QueryRow(context.Background(), sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func TestStartStopRestart(t *testing.T) {
	ctx := context.Background()
	dir := reachableDir(t)
	cfg := Config{Dir: dir, Logger: testLogger(t), Settings: fastSettings()}
	c := startTest(t, cfg)

	if want := filepath.Join(dir, "pg"); c.dir != want {
		t.Errorf("cluster dir = %s, want %s", c.dir, want)
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup(DefaultSystemUser)
		if err != nil {
			t.Fatalf("system user: %v", err)
		}
		for _, p := range []string{c.dir, c.dataDir, c.socketDir, filepath.Join(c.dataDir, "PG_VERSION")} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if got := strconv.Itoa(int(fi.Sys().(*syscall.Stat_t).Uid)); got != u.Uid {
				t.Errorf("%s owned by uid %s, want %s (%s)", p, got, u.Uid, DefaultSystemUser)
			}
		}
	}
	for _, p := range []string{c.socketDir, filepath.Join(c.socketDir, socketFile)} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o700 {
			t.Errorf("%s mode %o, want 700", p, perm)
		}
	}

	conn := connect(t, c, Database)
	checks := []struct{ sql, want string }{
		{"SELECT current_user", Superuser},
		{"SELECT current_database()", Database},
		{"SHOW listen_addresses", ""},
		{"SHOW fsync", "off"},
		{"SHOW server_encoding", "UTF8"},
		{"SELECT lower('ÄÖÜ')", "äöü"},
		{"SELECT count(*)::text FROM pg_available_extensions WHERE name IN ('postgis', 'btree_gist')", "2"},
	}
	for _, ch := range checks {
		if got := queryString(t, conn, ch.sql); got != ch.want {
			t.Errorf("%s = %q, want %q", ch.sql, got, ch.want)
		}
	}
	for _, sql := range []string{
		"CREATE EXTENSION postgis",
		"CREATE EXTENSION btree_gist",
		"CREATE TABLE kept (x integer, g geometry(Point, 4326), EXCLUDE USING gist (x WITH =))",
		"INSERT INTO kept VALUES (42, ST_SetSRID(ST_MakePoint(13.4, 52.5), 4326))",
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	conn.Close(ctx)

	if err := c.Stop(ctx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if _, err := os.Stat(filepath.Join(c.dataDir, "postmaster.pid")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("postmaster.pid after stop: %v", err)
	}
	if conn, err := pgx.Connect(ctx, c.ConnString(Database)); err == nil {
		conn.Close(ctx)
		t.Error("connect after stop succeeded")
	}
	if err := c.Stop(ctx); err != nil {
		t.Errorf("second stop: %v", err)
	}

	c2, err := Start(ctx, cfg)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	if c2.adopted {
		t.Error("restart adopted a postmaster, want a fresh start")
	}
	conn2 := connect(t, c2, Database)
	if got := queryString(t, conn2, "SELECT x || ' ' || ST_AsText(g) FROM kept"); got != "42 POINT(13.4 52.5)" {
		t.Errorf("row after restart = %q", got)
	}
	conn2.Close(ctx)
	if err := c2.Stop(ctx); err != nil {
		t.Fatalf("stop after restart: %v", err)
	}
}

func TestStartRelocatesUnreachableDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("relocation only happens when running as root")
	}
	// t.TempDir's parent is mode 0700, closed to the system user.
	dir := filepath.Join(t.TempDir(), "data")
	c := startTest(t, Config{Dir: dir, Logger: testLogger(t), Settings: fastSettings()})
	if want := relocatedDir(dir); c.dir != want {
		t.Errorf("cluster dir = %s, want %s", c.dir, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "pg")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s/pg exists after relocation: %v", dir, err)
	}
	conn := connect(t, c, Database)
	if got := queryString(t, conn, "SELECT current_database()"); got != Database {
		t.Errorf("current_database() = %q", got)
	}
	conn.Close(context.Background())
	if err := c.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := Destroy(context.Background(), Config{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("relocated cluster left after Destroy: %v", err)
	}
}

// deadPID returns the id of a process that has exited.
func deadPID(t *testing.T) int {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestStartRemovesStalePIDFile(t *testing.T) {
	ctx := context.Background()
	dir := reachableDir(t)
	cfg := Config{Dir: dir, Logger: testLogger(t), Settings: fastSettings()}
	c := startTest(t, cfg)
	pidPath := filepath.Join(c.dataDir, "postmaster.pid")
	running, err := os.ReadFile(pidPath)
	if err != nil {
		t.Fatal(err)
	}
	lockPath := filepath.Join(c.socketDir, socketFile+".lock")
	lock, err := os.ReadFile(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		pid  int
	}{
		{"dead process", deadPID(t)},
		{"live process that is not postgres", os.Getpid()},
		{"torn file", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// What a crash leaves: both lock files naming the old postmaster.
			write := func(path string, content []byte) {
				_, rest, _ := strings.Cut(string(content), "\n")
				text := fmt.Sprintf("%d\n%s", tt.pid, rest)
				if tt.pid == 0 {
					text = ""
				}
				if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			write(pidPath, running)
			write(lockPath, lock)
			c, err := Start(ctx, cfg)
			if err != nil {
				t.Fatalf("start with stale postmaster.pid: %v", err)
			}
			if c.adopted {
				t.Error("adopted a stale postmaster.pid")
			}
			conn := connect(t, c, Database)
			if got := queryString(t, conn, "SELECT 'up'"); got != "up" {
				t.Errorf("query = %q", got)
			}
			conn.Close(ctx)
			if err := c.Stop(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestStartAdoptsSurvivingPostmaster(t *testing.T) {
	ctx := context.Background()
	cfg := Config{Dir: reachableDir(t), Logger: testLogger(t), Settings: fastSettings()}
	first := startTest(t, cfg)
	before, _, err := readPIDFile(first.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	// The owner of first vanishes without stopping it, as after SIGKILL.
	c, err := Start(ctx, cfg)
	if err != nil {
		t.Fatalf("start beside a running postmaster: %v", err)
	}
	if !c.adopted {
		t.Error("running postmaster not adopted")
	}
	after, _, err := readPIDFile(c.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if after.pid != before.pid {
		t.Errorf("postmaster pid %d, want the surviving %d", after.pid, before.pid)
	}
	conn := connect(t, c, Database)
	if got := queryString(t, conn, "SELECT 'up'"); got != "up" {
		t.Errorf("query = %q", got)
	}
	conn.Close(ctx)
	if err := c.Stop(ctx); err != nil {
		t.Fatalf("stop adopted cluster: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for postmasterOf(before.pid, c.dataDir) == "" {
		if time.Now().After(deadline) {
			t.Fatalf("postmaster %d still running after stop", before.pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestStartRejectsLongSocketPath(t *testing.T) {
	dir := filepath.Join(reachableDir(t), strings.Repeat("x", 100))
	_, err := Start(context.Background(), Config{Dir: dir, Logger: testLogger(t)})
	if err == nil {
		t.Fatal("start succeeded")
	}
	if !strings.Contains(err.Error(), "a Unix socket path may have at most 107") {
		t.Errorf("error = %v", err)
	}
}

func TestStartRejectsListeningSettings(t *testing.T) {
	for _, k := range []string{"listen_addresses", "port", "unix_socket_directories", "bad name"} {
		_, err := Start(context.Background(), Config{Dir: t.TempDir(), Settings: map[string]string{k: "x"}})
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("setting %q", k)) {
			t.Errorf("setting %s: error = %v", k, err)
		}
	}
}

func TestFindBinaries(t *testing.T) {
	ctx := context.Background()
	fake := func(t *testing.T, root, version string, programs ...string) string {
		dir := filepath.Join(root, version, "bin")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, p := range programs {
			script := fmt.Sprintf("#!/bin/sh\necho '%s (PostgreSQL) %s.3'\n", p, version)
			if err := os.WriteFile(filepath.Join(dir, p), []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	t.Run("highest complete version", func(t *testing.T) {
		root := t.TempDir()
		fake(t, root, "9", "initdb", "pg_ctl", "postgres")
		want := fake(t, root, "14", "initdb", "pg_ctl", "postgres")
		fake(t, root, "16", "pg_ctl", "postgres") // no initdb: client-only
		b, err := findBinaries(ctx, "", root)
		if err != nil {
			t.Fatal(err)
		}
		if b.dir != want || b.major != 14 || b.shareDir != "/usr/share/postgresql/14" {
			t.Errorf("got %+v, want dir %s major 14", b, want)
		}
	})
	t.Run("PATH first, through symlinks", func(t *testing.T) {
		root := t.TempDir()
		fake(t, root, "17", "initdb", "pg_ctl", "postgres")
		want := fake(t, t.TempDir(), "13", "initdb", "pg_ctl", "postgres")
		link := t.TempDir()
		if err := os.Symlink(filepath.Join(want, "pg_ctl"), filepath.Join(link, "pg_ctl")); err != nil {
			t.Fatal(err)
		}
		b, err := findBinaries(ctx, "/nonexistent:"+link, root)
		if err != nil {
			t.Fatal(err)
		}
		if b.dir != want || b.major != 13 {
			t.Errorf("got %+v, want dir %s major 13", b, want)
		}
	})
	t.Run("none", func(t *testing.T) {
		_, err := findBinaries(ctx, t.TempDir(), t.TempDir())
		want := "apt-get install postgresql postgresql-contrib postgresql-" + defaultMajor() + "-postgis-3"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error = %v, want it to name %q", err, want)
		}
	})
}

func TestCheckExtensions(t *testing.T) {
	tests := []struct {
		present []string
		want    string // substring of the error; "" for none
	}{
		{[]string{"postgis", "btree_gist"}, ""},
		{[]string{"btree_gist"}, "`apt-get install postgresql-15-postgis-3`"},
		{[]string{"postgis"}, "`apt-get install postgresql-contrib`"},
		{nil, "`apt-get install postgresql-15-postgis-3 postgresql-contrib`"},
	}
	for _, tt := range tests {
		share := t.TempDir()
		if err := os.Mkdir(filepath.Join(share, "extension"), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, ext := range tt.present {
			if err := os.WriteFile(filepath.Join(share, "extension", ext+".control"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		err := binaries{dir: "/usr/lib/postgresql/15/bin", major: 15, shareDir: share}.checkExtensions()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%v: %v", tt.present, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%v: error = %v, want it to contain %s", tt.present, err, tt.want)
		}
	}
}

func TestRelocatedDir(t *testing.T) {
	tests := []struct{ dir, want string }{
		{"/root/src/sozialatlas/.data", "/var/lib/sozialatlas/clusters/data-9c6076b6"},
		{"/srv/my atlas/daten", "/var/lib/sozialatlas/clusters/daten-c0d07a9c"},
	}
	for _, tt := range tests {
		if got := relocatedDir(tt.dir); got != tt.want {
			t.Errorf("relocatedDir(%s) = %s, want %s", tt.dir, got, tt.want)
		}
	}
	for in, want := range map[string]string{"my atlas": "my_atlas", "...": "data", strings.Repeat("a", 40): strings.Repeat("a", 32)} {
		if got := sanitizeName(in); got != want {
			t.Errorf("sanitizeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCanTraverse(t *testing.T) {
	other := account{name: "other", cred: &syscall.Credential{Uid: 64000, Gid: 64000, Groups: []uint32{64000, 64001}}}
	tests := []struct {
		mode fs.FileMode
		gid  int // group of the inner directory
		want bool
	}{
		{0o700, os.Getegid(), false},
		{0o711, os.Getegid(), true},
		{0o750, 64001, true},
		{0o705, 64001, false}, // the group bits, not the others bits, apply to a member
	}
	for _, tt := range tests {
		outer := reachableDir(t)
		inner := filepath.Join(outer, "inner")
		if err := os.Mkdir(inner, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(inner, tt.mode); err != nil {
			t.Fatal(err)
		}
		if tt.gid != os.Getegid() {
			if os.Geteuid() != 0 {
				continue // only root may hand a directory to another group
			}
			if err := os.Chown(inner, -1, tt.gid); err != nil {
				t.Fatal(err)
			}
		}
		got, err := canTraverse(filepath.Join(inner), other)
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("mode %o group %d: canTraverse = %v, want %v", tt.mode, tt.gid, got, tt.want)
		}
	}
}

func TestQuoting(t *testing.T) {
	if got, want := confQuote(`a'b\c`), `'a''b\\c'`; got != want {
		t.Errorf("confQuote = %s, want %s", got, want)
	}
	if got, want := connQuote(`/tmp/it's\x`), `'/tmp/it\'s\\x'`; got != want {
		t.Errorf("connQuote = %s, want %s", got, want)
	}
	c := &Cluster{socketDir: "/tmp/with space/it's", port: port}
	cfg, err := pgx.ParseConfig(c.ConnString("d b"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "/tmp/with space/it's" || cfg.Database != "d b" || cfg.User != Superuser || cfg.Port != 5432 {
		t.Errorf("parsed %s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
	}
}
