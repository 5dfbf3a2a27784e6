package access

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Entry is one line of the audit log.
type Entry struct {
	ID int64     `json:"id"`
	At time.Time `json:"at"`
	// Actor is "token:NAME" for a request, "cli:USER" for the command line.
	Actor  string `json:"actor"`
	Action string `json:"action"`
	File   string `json:"file,omitempty"`
	Size   *int64 `json:"size,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	Batch  *int64 `json:"batch,omitempty"`
	Rows   *int64 `json:"rows,omitempty"`
	// Outcome is "ok" or "failed"; Detail says why it failed, or what
	// else there is to know.
	Outcome string `json:"outcome"`
	Detail  string `json:"detail,omitempty"`
}

// Outcomes of an entry.
const (
	OK     = "ok"
	Failed = "failed"
)

// Audit is the audit log.
type Audit struct {
	pool *pgxpool.Pool
}

// NewAudit returns the audit log on pool.
func NewAudit(pool *pgxpool.Pool) *Audit { return &Audit{pool: pool} }

const sqlRecord = `
INSERT INTO audit_log (actor, action, file, size, sha256, batch_id, rows, outcome, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING id, at`

// maxDetail bounds the detail kept: an import's error lists up to twenty
// problems, which is plenty; a pathological one must not bloat the log.
const maxDetail = 8 << 10

// Record appends e to the log (its ID and At are set by the database). It
// is written after the change it describes, in a transaction of its own:
// the importers commit their own work, and an entry for a failed import
// must stay although the import rolled back.
func (a *Audit) Record(ctx context.Context, e Entry) (Entry, error) {
	if e.Outcome != OK && e.Outcome != Failed {
		return e, fmt.Errorf("audit %s: outcome %q", e.Action, e.Outcome)
	}
	if len(e.Detail) > maxDetail {
		e.Detail = e.Detail[:maxDetail] + " …"
	}
	err := a.pool.QueryRow(ctx, sqlRecord, e.Actor, e.Action, e.File, e.Size, e.SHA256, e.Batch, e.Rows,
		e.Outcome, e.Detail).Scan(&e.ID, &e.At)
	if err != nil {
		return e, fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return e, nil
}

const sqlListAudit = `
SELECT id, at, actor, action, file, size, sha256, batch_id, rows, outcome, detail
FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2`

// List returns up to limit entries after the one with id after, oldest
// first.
func (a *Audit) List(ctx context.Context, after int64, limit int) ([]Entry, error) {
	rows, err := a.pool.Query(ctx, sqlListAudit, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Entry, error) {
		var e Entry
		err := r.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.File, &e.Size, &e.SHA256, &e.Batch, &e.Rows, &e.Outcome, &e.Detail)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	return list, nil
}
