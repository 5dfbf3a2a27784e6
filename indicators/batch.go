package indicators

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sozialatlas/sozialatlas/geo"
)

// Batch is one import: of areas, an area scheme, or indicator observations.
type Batch struct {
	ID         int64      `json:"id"`
	Kind       string     `json:"kind"`
	Source     string     `json:"source"`
	ImportedAt time.Time  `json:"imported_at"`
	RevertedAt *time.Time `json:"reverted_at,omitempty"`
	// Observations and Areas the batch holds now (none once reverted).
	Observations int64 `json:"observations"`
	Areas        int64 `json:"areas"`
	// Report is what the import reported, as it recorded it.
	Report json.RawMessage `json:"report"`
}

const sqlListBatches = `
SELECT b.id, b.kind, b.source, b.imported_at, b.reverted_at,
    (SELECT count(*) FROM observation o WHERE o.batch_id = b.id),
    (SELECT count(*) FROM area a WHERE a.batch_id = b.id),
    b.report
FROM import_batch b
ORDER BY b.id`

// ListBatches lists every import, oldest first.
func (s *Store) ListBatches(ctx context.Context) ([]Batch, error) {
	rows, err := s.pool.Query(ctx, sqlListBatches)
	if err != nil {
		return nil, fmt.Errorf("list imports: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Batch, error) {
		var b Batch
		err := r.Scan(&b.ID, &b.Kind, &b.Source, &b.ImportedAt, &b.RevertedAt, &b.Observations, &b.Areas, &b.Report)
		return b, err
	})
	if err != nil {
		return nil, fmt.Errorf("list imports: %w", err)
	}
	return list, nil
}

// RevertReport tells what reverting a batch removed.
type RevertReport struct {
	Batch        int64  `json:"batch"`
	Source       string `json:"source"`
	Observations int64  `json:"observations"`
	Areas        int64  `json:"areas"`
}

func (r RevertReport) String() string {
	s := fmt.Sprintf("batch %d (%s) reverted: %d observations removed", r.Batch, r.Source, r.Observations)
	if r.Areas > 0 {
		s += fmt.Sprintf(", %d areas it created removed", r.Areas)
	}
	return s
}

const sqlBatchScope = `
SELECT coalesce(array_agg(DISTINCT indicator), '{}'), coalesce(array_agg(DISTINCT period), '{}')
FROM observation_extent WHERE batch_id = $1`

// Areas a batch created that observations of other batches refer to.
const sqlAreasInUse = `
SELECT DISTINCT o.batch_id
FROM area a JOIN observation o ON o.area_id = a.id
WHERE a.batch_id = $1 AND o.batch_id <> $1
ORDER BY o.batch_id`

// Without an index on batch_id (see migration 00006) the delete scans
// observation once; reverts are rare, imports are not.
const sqlDeleteBatchObservations = `
WITH gone AS (DELETE FROM observation_extent WHERE batch_id = $1)
DELETE FROM observation WHERE batch_id = $1`

const sqlDeleteBatchAreas = `DELETE FROM area WHERE batch_id = $1`

// RevertBatch undoes an indicator import: its observations and the areas it
// created are deleted, the batch is marked reverted, and the cells are
// published again, all in one transaction. Area imports cannot be reverted.
func (s *Store) RevertBatch(ctx context.Context, id int64) (RevertReport, error) {
	rep := RevertReport{Batch: id}
	tx, err := geo.BeginWrite(ctx, s.pool)
	if err != nil {
		return rep, fmt.Errorf("revert batch %d: %w", id, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after commit

	if rep.Source, err = geo.LockBatchToRevert(ctx, tx, id, "indicators", "only indicator imports can be reverted"); err != nil {
		return rep, err
	}

	var scope PublishScope
	if err := tx.QueryRow(ctx, sqlBatchScope, id).Scan(&scope.Indicators, &scope.Periods); err != nil {
		return rep, fmt.Errorf("revert batch %d: %w", id, err)
	}
	rows, err := tx.Query(ctx, sqlAreasInUse, id)
	if err != nil {
		return rep, fmt.Errorf("revert batch %d: %w", id, err)
	}
	users, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return rep, fmt.Errorf("revert batch %d: %w", id, err)
	}
	if len(users) > 0 {
		ids := make([]string, len(users))
		for i, u := range users {
			ids[i] = fmt.Sprint(u)
		}
		return rep, fmt.Errorf("revert batch %d: areas it created hold observations of batch %s; revert those first", id, strings.Join(ids, ", "))
	}

	tag, err := tx.Exec(ctx, sqlDeleteBatchObservations, id)
	if err != nil {
		return rep, fmt.Errorf("revert batch %d: delete observations: %w", id, err)
	}
	rep.Observations = tag.RowsAffected()
	tag, err = tx.Exec(ctx, sqlDeleteBatchAreas, id)
	if err != nil {
		return rep, fmt.Errorf("revert batch %d: delete the areas it created: %w", id, err)
	}
	rep.Areas = tag.RowsAffected()
	if err := geo.MarkReverted(ctx, tx, id); err != nil {
		return rep, err
	}
	// Cells of deleted areas went with them; the rest of the scope is
	// recomputed. Created areas change sums of every indicator, so they
	// widen the scope to all.
	if rep.Areas > 0 {
		scope = PublishScope{}
	}
	if len(scope.Indicators) > 0 || rep.Areas > 0 {
		if err := s.PublishScope(ctx, tx, scope); err != nil {
			return rep, fmt.Errorf("revert batch %d: %w", id, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return rep, fmt.Errorf("revert batch %d: commit: %w", id, err)
	}
	return rep, nil
}
