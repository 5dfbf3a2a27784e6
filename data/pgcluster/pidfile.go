package pgcluster

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// pidFile is the part of postmaster.pid that matters here. Its lines are, in
// order: PID, data directory, start time, port, first socket directory,
// listen address, shared memory key, status (PostgreSQL's pidfile.h).
type pidFile struct {
	pid       int
	port      string
	socketDir string
}

func readPIDFile(dataDir string) (pidFile, bool, error) {
	path := filepath.Join(dataDir, "postmaster.pid")
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return pidFile{}, false, nil
	}
	if err != nil {
		return pidFile{}, false, fmt.Errorf("read %s: %w", path, err)
	}
	lines := strings.Split(string(raw), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil || pid <= 0 {
		// An empty or torn file is what a crash during startup leaves.
		return pidFile{pid: 0}, true, nil
	}
	p := pidFile{pid: pid}
	if len(lines) > 4 {
		p.port = strings.TrimSpace(lines[3])
		p.socketDir = strings.TrimSpace(lines[4])
	}
	return p, true, nil
}

// postmasterOf reports why the pid in postmaster.pid is not a live postgres
// serving dataDir, or "" if it is one.
func postmasterOf(pid int, dataDir string) string {
	if pid <= 0 {
		return "the file holds no process id"
	}
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return fmt.Sprintf("process %d is not running", pid)
	}
	proc := filepath.Join("/proc", strconv.Itoa(pid))
	cmdline, err := os.ReadFile(filepath.Join(proc, "cmdline"))
	if err != nil {
		return fmt.Sprintf("process %d cannot be inspected: %v", pid, err)
	}
	argv0, _, _ := bytes.Cut(cmdline, []byte{0})
	name := filepath.Base(string(argv0))
	if name != "postgres" && name != "postmaster" && !bytes.HasPrefix(argv0, []byte("postgres:")) {
		return fmt.Sprintf("process %d is %q, not postgres", pid, name)
	}
	// The postmaster changes into its data directory at startup, so its
	// working directory tells which cluster it serves.
	cwd, err := os.Readlink(filepath.Join(proc, "cwd"))
	if err != nil {
		return fmt.Sprintf("process %d's working directory cannot be read: %v", pid, err)
	}
	want, err := filepath.EvalSymlinks(dataDir)
	if err != nil {
		want = dataDir
	}
	if cwd != want {
		return fmt.Sprintf("process %d is a postgres serving %s", pid, cwd)
	}
	return ""
}
