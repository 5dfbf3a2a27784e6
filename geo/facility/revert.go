package facility

import (
	"context"
	"errors"
	"fmt"

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

const sqlBatchKind = `SELECT kind FROM import_batch WHERE id = $1`

const sqlDeleteBatch = `DELETE FROM facility WHERE batch_id = $1`

// Versions the batch ended are open again, as before it.
const sqlReopen = `UPDATE facility SET valid_to = NULL, closed_by = NULL WHERE closed_by = $1`

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

	if rep.Source, err = geo.LockBatchToRevert(ctx, tx, id, "facilities", "this reverts facility imports"); err != nil {
		return rep, err
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
	if err := geo.MarkReverted(ctx, tx, id); err != nil {
		return rep, err
	}
	if err := tx.Commit(ctx); err != nil {
		return rep, fmt.Errorf("revert batch %d: commit: %w", id, err)
	}
	return rep, nil
}
