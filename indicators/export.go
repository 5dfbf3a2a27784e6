package indicators

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sozialatlas/sozialatlas/geo"
)

// RawValue is a published cell with its true value, also where it is
// withheld from anonymous users: for the command line only.
type RawValue struct {
	Code        string       `json:"code"`
	Name        string       `json:"name"`
	ValidFrom   *time.Time   `json:"valid_from,omitempty"`
	ValidTo     *time.Time   `json:"valid_to,omitempty"`
	Value       *float64     `json:"value"`
	Numerator   *float64     `json:"numerator,omitempty"`
	Denominator *float64     `json:"denominator,omitempty"`
	Status      Status       `json:"status"`
	Incomplete  bool         `json:"incomplete"`
	Suppressed  *Suppression `json:"suppressed,omitempty"`
}

const sqlIndicatorExists = `SELECT EXISTS (SELECT FROM indicator WHERE key = $1)`

const sqlLevelExists = `SELECT EXISTS (SELECT FROM level WHERE name = $1)`

const sqlRawValues = `
SELECT a.code, a.name, a.valid_from, a.valid_to, c.value, c.numerator, c.denominator,
    c.status, c.incomplete, c.suppressed
FROM published_cell c
JOIN area a ON a.id = c.area_id
WHERE c.indicator = $1 AND a.level = $2 AND c.period = $3
ORDER BY a.code, a.valid_from NULLS FIRST`

// RawValues lists the cells of an indicator at a level for a period, with
// their true values, by area code (several versions of one code in the
// order of their validity).
func (s *Store) RawValues(ctx context.Context, indicator, level string, period time.Time) ([]RawValue, error) {
	for _, c := range []struct{ sql, what, name string }{{sqlIndicatorExists, "indicator", indicator}, {sqlLevelExists, "level", level}} {
		var ok bool
		if err := s.pool.QueryRow(ctx, c.sql, c.name).Scan(&ok); err != nil {
			return nil, fmt.Errorf("raw values: %w", err)
		}
		if !ok {
			return nil, fmt.Errorf("%s %q: %w", c.what, c.name, geo.ErrNotFound)
		}
	}
	rows, err := s.pool.Query(ctx, sqlRawValues, indicator, level, period)
	if err != nil {
		return nil, fmt.Errorf("raw values of %s: %w", indicator, err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (RawValue, error) {
		var v RawValue
		err := r.Scan(&v.Code, &v.Name, &v.ValidFrom, &v.ValidTo, &v.Value, &v.Numerator, &v.Denominator,
			&v.Status, &v.Incomplete, &v.Suppressed)
		return v, err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("raw values of %s: %w", indicator, err)
	}
	return list, nil
}
