// Package indicators holds the indicator catalogue, the observations
// imported from statistical tables, and the published cells computed from
// them at every level: sums from below, rates from summed numerators and
// denominators, series carried across boundary changes, and disclosure
// control.
package indicators

import (
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sozialatlas/sozialatlas/geo"
)

// Kind says how an indicator aggregates.
type Kind string

const (
	// Count is additive: a parent's count is the sum of its children's.
	Count Kind = "count"
	// Rate is numerator / denominator × scale of two counts, recomputed
	// from the summed counts at every level, never averaged.
	Rate Kind = "rate"
	// Mean is weighted by a count.
	Mean Kind = "mean"
	// Value is not aggregatable: it exists only where imported.
	Value Kind = "value"
)

// Polarity says whether a higher value is better, worse or neither.
type Polarity string

const (
	HigherBetter Polarity = "higher_better"
	HigherWorse  Polarity = "higher_worse"
	Neutral      Polarity = "neutral"
)

// Status of an observation or cell.
type Status string

const (
	Measured    Status = "measured"
	Derived     Status = "derived"
	Estimated   Status = "estimated"
	Provisional Status = "provisional"
	// Suppressed at the source: the table says '.' (kept secret).
	Suppressed Status = "suppressed"
	// Missing: the table has no value ('x', '/', '…', a placeholder).
	Missing Status = "missing"
)

// Suppression says why a cell is withheld from anonymous users.
type Suppression string

const (
	// Primary: the count itself, or a rate's or mean's denominator, is
	// below the indicator's minimum.
	Primary Suppression = "primary"
	// Secondary: withheld so that a primary cell cannot be recovered by
	// subtraction (parent minus published children, total minus bands).
	Secondary Suppression = "secondary"
	// Source: the source table kept it secret.
	Source Suppression = "source"
)

// Store reads and writes indicators in PostGIS.
type Store struct {
	pool    *pgxpool.Pool
	areas   *geo.Store
	spatial *neighbourCache
}

// NewStore returns a store on the pool; areas is the area store it joins.
func NewStore(pool *pgxpool.Pool, areas *geo.Store) *Store {
	return &Store{pool: pool, areas: areas, spatial: &neighbourCache{}}
}

// Pool returns the store's connection pool.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }
