package pgcluster

import (
	"context"
	"fmt"
	"os"
	"strings"
)

// baseBackup copies the running primary into the data directory as a
// streaming replica: pg_basebackup over the primary's socket, with the
// recovery settings (standby.signal, primary_conninfo) written, so that the
// copy starts as a hot standby following the primary. Replication over the
// local socket needs no setting beyond PostgreSQL's defaults (wal_level
// replica, max_wal_senders 10, initdb's trust line for local replication).
func (c *Cluster) baseBackup(ctx context.Context, primary *Cluster) error {
	// An interrupted copy leaves a data directory without PG_VERSION;
	// pg_basebackup wants it empty.
	if err := os.RemoveAll(c.dataDir); err != nil {
		return fmt.Errorf("clear unfinished data directory: %w", err)
	}
	c.log.InfoContext(ctx, "copying the primary for a streaming replica", "primary", primary.dir)
	out, err := c.command(ctx, "pg_basebackup",
		"--pgdata="+c.dataDir,
		"--host="+primary.socketDir,
		"--port="+primary.port,
		"--username="+Superuser,
		"--write-recovery-conf",
		"--checkpoint=fast",
		"--wal-method=stream",
		"--no-password",
	).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_basebackup: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return c.ensureInclude()
}

// Crash stops the cluster as a power cut or an OOM kill would: every
// process ends at once, without a checkpoint, and the next start recovers
// from the WAL. It is for fault tests; stopping a stopped cluster is not an
// error.
func (c *Cluster) Crash(ctx context.Context) error {
	return c.stop(ctx, "immediate")
}

// PID returns the postmaster's process id, 0 when the cluster is stopped.
func (c *Cluster) PID() (int, error) {
	pf, _, err := readPIDFile(c.dataDir)
	if err != nil {
		return 0, err
	}
	return pf.pid, nil
}
