package geo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	sqlLockBatch    = `SELECT kind, source, reverted_at FROM import_batch WHERE id = $1 FOR UPDATE`
	sqlMarkReverted = `UPDATE import_batch SET reverted_at = now() WHERE id = $1`
)

// LockBatchToRevert locks import batch id in tx for a revert and checks
// that one may undo it: it exists (else ErrNotFound), is of kind, and is
// not reverted yet. refused completes the message for a batch of another
// kind ("only indicator imports can be reverted"). It returns the batch's
// source, the file it was read from. Every kind of import that can be
// reverted shares the rule, and the lock keeps two reverts of one batch
// from both going ahead.
func LockBatchToRevert(ctx context.Context, tx pgx.Tx, id int64, kind, refused string) (string, error) {
	var got, source string
	var reverted *time.Time
	switch err := tx.QueryRow(ctx, sqlLockBatch, id).Scan(&got, &source, &reverted); {
	case errors.Is(err, pgx.ErrNoRows):
		return "", fmt.Errorf("revert batch %d: no such import (see 'sozialatlas import list'): %w", id, ErrNotFound)
	case err != nil:
		return "", fmt.Errorf("revert batch %d: %w", id, err)
	}
	if got != kind {
		return source, fmt.Errorf("revert batch %d: it is an import of %s (%s); %s", id, got, source, refused)
	}
	if reverted != nil {
		return source, fmt.Errorf("revert batch %d: already reverted on %s", id, reverted.Format(time.DateTime))
	}
	return source, nil
}

// MarkReverted marks import batch id reverted now, in the revert's tx.
func MarkReverted(ctx context.Context, tx pgx.Tx, id int64) error {
	if _, err := tx.Exec(ctx, sqlMarkReverted, id); err != nil {
		return fmt.Errorf("revert batch %d: %w", id, err)
	}
	return nil
}
