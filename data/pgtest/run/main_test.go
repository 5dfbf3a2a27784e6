package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
)

// TestHelperConnect is not a test of its own: TestRunPassesCluster runs the
// test binary through the runner with it, as the command that uses the
// cluster.
func TestHelperConnect(t *testing.T) {
	if os.Getenv("PGTEST_RUN_HELPER") != "1" {
		t.Skip("runs only as the runner's command")
	}
	ctx := context.Background()
	url := os.Getenv(pgtest.EnvURL)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to %q: %v", url, err)
	}
	defer conn.Close(ctx)
	var who string
	if err := conn.QueryRow(ctx, "SELECT current_user || '@' || current_database()").Scan(&who); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("CONNECTED " + who + "\nHOST " + conn.Config().Host + "\n")
}

func TestRunPassesCluster(t *testing.T) {
	t.Setenv("PGTEST_RUN_HELPER", "1")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--", os.Args[0], "-test.run=^TestHelperConnect$", "-test.count=1"},
		strings.NewReader(""), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit status %d\nstdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
	}
	out := stdout.String()
	if !strings.Contains(out, "CONNECTED sozialatlas@postgres\n") {
		t.Errorf("command output lacks the connection:\n%s", out)
	}
	_, host, ok := strings.Cut(out, "HOST ")
	if !ok {
		t.Fatalf("command output lacks the socket directory:\n%s", out)
	}
	host, _, _ = strings.Cut(host, "\n")
	// The socket lives in <temp>/pg/run; the whole temporary directory goes.
	tmp := filepath.Dir(filepath.Dir(host))
	if !strings.HasPrefix(filepath.Base(tmp), "sozialatlas-pgtest-") {
		t.Fatalf("socket directory %s is not in a test cluster directory", host)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("cluster directory %s left behind: %v", tmp, err)
	}
}

func TestRunExitStatus(t *testing.T) {
	tests := []struct {
		args []string
		want int
	}{
		{[]string{"--", "bash", "-c", "exit 3"}, 3},
		{[]string{"bash", "-c", "kill -TERM $$"}, 128 + 15},
		{[]string{"--"}, 2},
	}
	for _, tt := range tests {
		var stderr bytes.Buffer
		if got := run(context.Background(), tt.args, strings.NewReader(""), &bytes.Buffer{}, &stderr); got != tt.want {
			t.Errorf("run %q = %d, want %d\nstderr:\n%s", tt.args, got, tt.want, &stderr)
		}
	}
}
