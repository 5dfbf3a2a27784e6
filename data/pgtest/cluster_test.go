package pgtest

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sozialatlas/sozialatlas/data/pgcluster"
)

func TestReapOrphans(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	owner := exec.Command("true")
	if err := owner.Run(); err != nil {
		t.Fatal(err)
	}
	dead := owner.Process.Pid

	tests := []struct {
		name  string
		owner int
		start bool // run a postmaster in it, as a killed run leaves
		gone  bool
	}{
		{"killed run", dead, true, true},
		{"live owner", os.Getpid(), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, err := os.MkdirTemp("", tempPrefix)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { destroy(ctx, dir, log) })
			if err := os.Chmod(dir, 0o711); err != nil {
				t.Fatal(err)
			}
			var pid int
			if tt.start {
				if _, err := pgcluster.Start(ctx, pgcluster.Config{Dir: dir, Logger: log, Settings: testSettings}); err != nil {
					t.Fatal(err)
				}
				raw, err := os.ReadFile(filepath.Join(dir, "pg", "data", "postmaster.pid"))
				if err != nil {
					t.Fatal(err)
				}
				line, _, _ := strings.Cut(string(raw), "\n")
				if pid, err = strconv.Atoi(line); err != nil {
					t.Fatal(err)
				}
			}
			// Only now name the owner: test processes running beside this
			// one reap what looks orphaned.
			if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(tt.owner)+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}

			reapOrphans(ctx, log)

			_, err = os.Stat(dir)
			if gone := errors.Is(err, fs.ErrNotExist); gone != tt.gone {
				t.Errorf("directory removed = %v, want %v (%v)", gone, tt.gone, err)
			}
			if pid != 0 {
				// An exited process has no working directory, even as a
				// zombie not yet reaped by init.
				deadline := time.Now().Add(5 * time.Second)
				for {
					if _, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "cwd")); err != nil {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("postmaster %d of the orphaned cluster still runs", pid)
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
		})
	}
}
