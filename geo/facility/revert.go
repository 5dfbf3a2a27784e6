package facility

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sozialatlas/sozialatlas/geo"
)

// RevertReport tells what reverting a facility import did.
type RevertReport struct {
	Batch    int64  `json:"batch"`
	Source   string `json:"source"`
	Removed  int64  `json:"removed"`
	Reopened int64  `json:"reopened"`
}

func (r RevertReport) String() string {
	return fmt.Sprintf("batch %d (%s) reverted: %d facilities removed, %d earlier versions reopened",
		r.Batch, r.Source, r.Removed, r.Reopened)
}

const sqlLockBatch = `SELECT kind, source, reverted_at FROM import_batch WHERE id = $1 FOR UPDATE`

const sqlBatchKind = `SELECT kind FROM import_batch WHERE id = $1`

const sqlDeleteBatch = `DELETE FROM facility WHERE batch_id = $1`

// Versions the batch ended are open again, as before it.
const sqlReopen = `UPDATE facility SET valid_to = NULL, closed_by = NULL WHERE closed_by = $1`

const sqlMarkReverted = `UPDATE import_batch SET reverted_at = now() WHERE id = $1`

// IsFacilityBatch reports whether batch id is a facility import, so that a
// generic 'import revert' can hand it here.
func (s *Store) IsFacilityBatch(ctx context.Context, id int64) (bool, error) {
	var kind string
	err := s.pool.QueryRow(ctx, sqlBatchKind, id).Scan(&kind)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("batch %d: %w", id, err)
	}
	return kind == "facilities", nil
}

// Revert undoes a facility import in one transaction: its facilities are
// deleted, the versions it closed reopened, and the batch marked reverted.
func (s *Store) Revert(ctx context.Context, id int64) (RevertReport, error) {
	rep := RevertReport{Batch: id}
	tx, err := geo.BeginWrite(ctx, s.pool)
	if err != nil {
		return rep, fmt.Errorf("revert batch %d: %w", id, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after commit

	var kind string
	var reverted *time.Time
	switch err := tx.QueryRow(ctx, sqlLockBatch, id).Scan(&kind, &rep.Source, &reverted); {
	case errors.Is(err, pgx.ErrNoRows):
		return rep, fmt.Errorf("revert batch %d: no such import: %w", id, geo.ErrNotFound)
	case err != nil:
		return rep, fmt.Errorf("revert batch %d: %w", id, err)
	}
	if kind != "facilities" {
		return rep, fmt.Errorf("revert batch %d: it is an import of %s (%s), not of facilities", id, kind, rep.Source)
	}
	if reverted != nil {
		return rep, fmt.Errorf("revert batch %d: already reverted on %s", id, reverted.Format(time.DateTime))
	}
	tag, err := tx.Exec(ctx, sqlDeleteBatch, id)
	if err != nil {
		return rep, fmt.Errorf("revert batch %d: delete facilities: %w", id, err)
	}
	rep.Removed = tag.RowsAffected()
	if tag, err = tx.Exec(ctx, sqlReopen, id); err != nil {
		return rep, fmt.Errorf("revert batch %d: reopen versions: %w", id, err)
	}
	rep.Reopened = tag.RowsAffected()
	if _, err := tx.Exec(ctx, sqlMarkReverted, id); err != nil {
		return rep, fmt.Errorf("revert batch %d: %w", id, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return rep, fmt.Errorf("revert batch %d: commit: %w", id, err)
	}
	return rep, nil
}
