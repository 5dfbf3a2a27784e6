package pgcluster

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
)

// ClientProgram finds a PostgreSQL client program such as pg_dump or
// pg_restore fit for a server of the given major version: a client reads
// archives and servers up to its own version only, and Debian installs
// one per version side by side under /usr/lib/postgresql/N/bin while the
// one on PATH is a wrapper or the newest. The server's own version is
// preferred, then the program on PATH, then any newer installed version.
func ClientProgram(ctx context.Context, name string, serverMajor int) (string, error) {
	return clientProgram(ctx, name, serverMajor, debianLibRoot)
}

func clientProgram(ctx context.Context, name string, serverMajor int, libRoot string) (string, error) {
	same := filepath.Join(libRoot, strconv.Itoa(serverMajor), "bin", name)
	if isExecutable(same) {
		return same, nil
	}
	if p, err := exec.LookPath(name); err == nil {
		if v, err := majorVersion(ctx, p); err == nil && v >= serverMajor {
			return p, nil
		}
	}
	if dir := highestVersionDir(libRoot); dir != "" {
		p := filepath.Join(dir, name)
		if v, err := majorVersion(ctx, p); err == nil && v >= serverMajor {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s for PostgreSQL %d or newer not found (not under %s/*/bin nor on PATH): install it with `apt-get install postgresql-client-%d`",
		name, serverMajor, libRoot, serverMajor)
}
