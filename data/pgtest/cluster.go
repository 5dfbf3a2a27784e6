package pgtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/sozialatlas/sozialatlas/data/pgcluster"
)

// EnvURL names the variable holding the libpq key/value connection string
// of the test cluster's maintenance database.
const EnvURL = "SOZIALATLAS_TEST_DATABASE_URL"

// tempPrefix starts the name of every throwaway cluster's directory, so
// that clusters of killed runs can be found and removed.
const tempPrefix = "sozialatlas-pgtest-"

// ownerFile in a throwaway cluster's directory holds the pid of the process
// that started it.
const ownerFile = "owner.pid"

// Settings trade durability for speed: a test cluster never outlives a
// crash. Parallel test packages each hold several connections.
var testSettings = map[string]string{
	"fsync":              "off",
	"synchronous_commit": "off",
	"full_page_writes":   "off",
	"max_connections":    "200",
}

// Cluster is a throwaway cluster in a fresh temporary directory.
type Cluster struct {
	// URL is the maintenance database's connection string.
	URL string
	dir string
	pg  *pgcluster.Cluster
	log *slog.Logger
}

// StartCluster starts a throwaway cluster, first removing those that
// killed runs left behind.
func StartCluster(ctx context.Context, log *slog.Logger) (*Cluster, error) {
	reapOrphans(ctx, log)
	dir, err := os.MkdirTemp("", tempPrefix)
	if err != nil {
		return nil, fmt.Errorf("test cluster: %w", err)
	}
	// Open for traversal so that, as root, the cluster's system user can
	// reach its cluster inside this directory.
	if err := os.Chmod(dir, 0o711); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("test cluster: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("test cluster: %w", err)
	}
	pg, err := pgcluster.Start(ctx, pgcluster.Config{Dir: dir, Logger: log, Settings: testSettings})
	if err != nil {
		if derr := destroy(ctx, dir, log); derr != nil {
			log.ErrorContext(ctx, "removing failed test cluster", "err", derr)
		}
		return nil, fmt.Errorf("test cluster: %w", err)
	}
	return &Cluster{URL: pg.ConnString(pgcluster.MaintenanceDatabase), dir: dir, pg: pg, log: log}, nil
}

// Close stops the cluster and deletes it.
func (c *Cluster) Close(ctx context.Context) error {
	stopErr := c.pg.Stop(ctx)
	if stopErr != nil {
		stopErr = fmt.Errorf("stop test cluster: %w", stopErr)
	}
	return errors.Join(stopErr, destroy(ctx, c.dir, c.log))
}

func destroy(ctx context.Context, dir string, log *slog.Logger) error {
	if err := pgcluster.Destroy(ctx, pgcluster.Config{Dir: dir, Logger: log}); err != nil {
		return fmt.Errorf("remove test cluster: %w", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove test cluster: %w", err)
	}
	return nil
}

// reapOrphans removes throwaway clusters whose starting process is gone
// (killed by a test timeout or SIGKILL before it could clean up).
func reapOrphans(ctx context.Context, log *slog.Logger) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), tempPrefix+"*"))
	for _, dir := range dirs {
		raw, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue // not yet written, or not ours
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
		if err != nil || pid <= 0 || !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			continue
		}
		log.InfoContext(ctx, "removing test cluster of a finished process", "dir", dir, "pid", pid)
		if err := destroy(ctx, dir, log); err != nil {
			log.WarnContext(ctx, "removing orphaned test cluster", "dir", dir, "err", err)
		}
	}
}
