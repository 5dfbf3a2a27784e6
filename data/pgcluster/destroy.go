package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Destroy deletes the cluster belonging to cfg.Dir, wherever Start put it,
// after an immediate shutdown of its postmaster if one still runs. It is for
// throwaway clusters: every database in it is lost.
func Destroy(ctx context.Context, cfg Config) error {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	absDir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return fmt.Errorf("destroy cluster: data directory %s: %w", cfg.Dir, err)
	}
	for _, dir := range []string{filepath.Join(absDir, "pg"), relocatedDir(absDir)} {
		if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := killPostmaster(ctx, filepath.Join(dir, "data")); err != nil {
			return fmt.Errorf("destroy cluster in %s: %w", dir, err)
		}
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("destroy cluster: %w", err)
		}
		log.InfoContext(ctx, "destroyed PostgreSQL cluster", "cluster", dir)
	}
	return nil
}

// killPostmaster asks a postmaster still serving dataDir for an immediate
// shutdown (SIGQUIT) and waits until it is gone.
func killPostmaster(ctx context.Context, dataDir string) error {
	pf, exists, err := readPIDFile(dataDir)
	if err != nil || !exists || postmasterOf(pf.pid, dataDir) != "" {
		return err
	}
	if err := syscall.Kill(pf.pid, syscall.SIGQUIT); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal postmaster %d: %w", pf.pid, err)
	}
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for postmasterOf(pf.pid, dataDir) == "" {
		select {
		case <-ctx.Done():
			return fmt.Errorf("postmaster %d does not exit: %w", pf.pid, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}
