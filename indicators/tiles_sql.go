package indicators

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// TileCellsSQL is a subquery of the published cells for map outputs (vector
// tiles) that read cells in SQL of their own: columns indicator, area_id,
// period, value, status and suppressed. It applies the withholding rule of
// the HTTP outputs (sqlShownValue, sqlShownStatus): a withheld cell's value
// is NULL and its status 'suppressed', suppressed gives the reason. The
// value is rounded to the indicator's decimals as every other output shows
// it (float8; for 0 decimals a whole number). Callers filter it by
// indicator, period and area_id, which PostgreSQL pushes into both
// branches of published_cell as index probes.
const TileCellsSQL = `(SELECT c.indicator, c.area_id, c.period,
	round((` + sqlShownValue + `)::numeric, i.decimals)::float8 AS value,
	` + sqlShownStatus + ` AS status, c.suppressed
FROM published_cell c
JOIN indicator i ON i.key = c.indicator)`

// LatestPeriods returns, for each of keys, the period whose published cells
// a map of the level shows on the boundaries valid on day: period when
// given and the indicator has cells in it at such areas, else (period nil)
// the latest period with such cells — the rule of /indicators/{key}/values
// and of the OGC API Features join. An indicator without such cells is
// absent from the map.
func (s *Store) LatestPeriods(ctx context.Context, level string, keys []string, period *time.Time, day time.Time) (map[string]time.Time, error) {
	args := pgx.NamedArgs{"level": level, "keys": keys, "period": period, "id": int64(0),
		"today": false, "from": day, "to": day}
	rows, err := s.pool.Query(ctx, sqlJoinPeriods, pgx.QueryExecModeExec, args)
	if err != nil {
		return nil, fmt.Errorf("periods of %v at %s: %w", keys, level, err)
	}
	var key string
	var p *time.Time
	out := make(map[string]time.Time, len(keys))
	if _, err := pgx.ForEachRow(rows, []any{&key, &p}, func() error {
		if p != nil {
			out[key] = *p
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("periods of %v at %s: %w", keys, level, err)
	}
	return out, nil
}
