// Package geo is the area store: levels of the administrative hierarchy and
// area schemes, versioned area boundaries, their import and the spatial
// queries over them.
package geo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNotFound is returned (wrapped) when a level or area does not exist.
var ErrNotFound = errors.New("not found")

// Level is a rung of the area hierarchy (Rank set, lower is coarser) or an
// area scheme (MemberLevel set): a grouping of areas of one level.
type Level struct {
	Name        string `json:"name"`
	Title       string `json:"title"`
	Rank        *int   `json:"rank,omitempty"`
	MemberLevel string `json:"member_level,omitempty"`
}

// IsScheme reports whether the level is an area scheme.
func (l Level) IsScheme() bool { return l.MemberLevel != "" }

// Area is one version of an area, without its geometry.
type Area struct {
	ID          int64      `json:"id"`
	Level       string     `json:"level"`
	Code        string     `json:"code"`
	Name        string     `json:"name"`
	ParentLevel string     `json:"parent_level,omitempty"`
	ParentCode  string     `json:"parent,omitempty"`
	ValidFrom   *time.Time `json:"valid_from,omitempty"`
	ValidTo     *time.Time `json:"valid_to,omitempty"`
	AreaKm2     *float64   `json:"area_km2,omitempty"`
	HasGeometry bool       `json:"has_geometry"`
}

// Store reads and writes areas in PostGIS.
type Store struct {
	pool    *pgxpool.Pool
	changed ChangeHook
}

// ChangeHook runs inside every transaction that changes areas, before it
// commits, so that what depends on areas (published indicator cells) is
// brought up to date in the same transaction or not at all.
type ChangeHook func(ctx context.Context, tx pgx.Tx) error

// OnChange sets the hook; it is meant to be called once while wiring.
func (s *Store) OnChange(h ChangeHook) { s.changed = h }

// sqlAnalyzeAreas refreshes the planner's statistics after an import: a
// bulk load leaves them describing the table before it.
const sqlAnalyzeAreas = `ANALYZE area, area_succession`

// finishImport records the import's report on its batch and commits.
func (s *Store) finishImport(ctx context.Context, tx pgx.Tx, batch int64, report any, what string) error {
	if _, err := tx.Exec(ctx, sqlFinishBatch, batch, report); err != nil {
		return fmt.Errorf("%s: record report: %w", what, err)
	}
	return s.commit(ctx, tx, what)
}

// commit runs the change hook and commits.
func (s *Store) commit(ctx context.Context, tx pgx.Tx, what string) error {
	if _, err := tx.Exec(ctx, sqlAnalyzeAreas); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if s.changed != nil {
		if err := s.changed(ctx, tx); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("%s: commit: %w", what, err)
	}
	return nil
}

// NewStore returns a store on the given pool.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Pool returns the store's connection pool.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

const sqlLevels = `
SELECT name, title, rank, coalesce(member_level, '')
FROM level
ORDER BY rank NULLS LAST, name`

// Levels lists all levels, hierarchy first (coarse to fine), then schemes.
func (s *Store) Levels(ctx context.Context) ([]Level, error) {
	rows, err := s.pool.Query(ctx, sqlLevels)
	if err != nil {
		return nil, fmt.Errorf("list levels: %w", err)
	}
	levels, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Level, error) {
		var l Level
		err := r.Scan(&l.Name, &l.Title, &l.Rank, &l.MemberLevel)
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("list levels: %w", err)
	}
	return levels, nil
}

// Level returns one level by name.
func (s *Store) Level(ctx context.Context, name string) (Level, error) {
	levels, err := s.Levels(ctx)
	if err != nil {
		return Level{}, err
	}
	for _, l := range levels {
		if l.Name == name {
			return l, nil
		}
	}
	return Level{}, fmt.Errorf("level %q: %w", name, ErrNotFound)
}

const sqlImported = `
SELECT EXISTS (SELECT FROM import_batch WHERE kind = $1 AND source = $2 AND coalesce(report->>'level', '') = $3)`

// Imported reports whether a file of that name has been imported into the
// level (by kind: "areas" or "scheme").
func (s *Store) Imported(ctx context.Context, kind, file, level string) (bool, error) {
	var ok bool
	if err := s.pool.QueryRow(ctx, sqlImported, kind, file, level).Scan(&ok); err != nil {
		return false, fmt.Errorf("look up imports: %w", err)
	}
	return ok, nil
}

const sqlAddLevel = `INSERT INTO level (name, title, rank) VALUES ($1, $2, $3)`

// AddLevel adds a level to the hierarchy.
func (s *Store) AddLevel(ctx context.Context, l Level) error {
	if _, err := s.pool.Exec(ctx, sqlAddLevel, l.Name, l.Title, l.Rank); err != nil {
		return fmt.Errorf("add level %q: %w", l.Name, err)
	}
	return nil
}

// writeLock is the transaction-level advisory lock every writing
// transaction takes first: imports, reverts and catalogue loads each
// republish the indicator cells as a whole, and two of them interleaved
// would publish a mix of both.
const sqlLockWrites = `SELECT pg_advisory_xact_lock(5161730076)`

// BeginWrite starts a transaction that changes the atlas's data, waiting
// until no other one runs; the lock ends with the transaction.
func BeginWrite(ctx context.Context, pool *pgxpool.Pool) (pgx.Tx, error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, sqlLockWrites); err != nil {
		_ = tx.Rollback(ctx)
		return nil, fmt.Errorf("wait for other writers: %w", err)
	}
	return tx, nil
}
