package indicators

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sozialatlas/sozialatlas/indicators/cluster"
)

// sqlTypesPeriod is the latest period in which every one of the
// indicators has cells at the level.
const sqlTypesPeriod = `
SELECT period FROM cell_extent
WHERE level = @level AND indicator = ANY(@keys)
GROUP BY period
HAVING count(DISTINCT indicator) = cardinality(@keys::text[])
ORDER BY period DESC
LIMIT 1`

// typeArea is an area of the level: its published values of the chosen
// indicators, or why it takes no part.
type typeArea struct {
	code, name string
	values     []float64
	// left out: the indicators without a published value, and the
	// status label of each (withheld or none)
	without []typeGap
}

type typeGap struct {
	Indicator string `json:"indicator"`
	Reason    string `json:"reason"`
}

// typeRows reads the published values of inds for every area of the level
// valid on day in period, by code. The values are the published figures
// as every other output shows them (rounded to each indicator's decimals),
// read by the withholding rule of sqlValues, so a withheld value is no
// value here either. found is false when some indicator has no cell at the
// level in the period: missing is its key.
func (o *outputs) typeRows(ctx context.Context, inds []Indicator, level string, period time.Time, day time.Time) (
	areas []typeArea, missing string, err error) {
	for j, ind := range inds {
		table := o.valueRows()
		_, found, err := o.levelCells(ctx, ind, level, &period, day, false, table)
		if err != nil {
			o.putValueRows(table)
			return nil, "", fmt.Errorf("values of %s: %w", ind.Key, err)
		}
		if !found {
			o.putValueRows(table)
			return nil, ind.Key, nil
		}
		table.sort()
		if j == 0 {
			areas = make([]typeArea, len(table.recs))
		} else if len(table.recs) != len(areas) {
			o.putValueRows(table)
			return nil, "", fmt.Errorf("values of %s: %d areas, of %s %d", ind.Key, len(table.recs), inds[0].Key, len(areas))
		}
		for i := range table.recs {
			r := &table.recs[i]
			a := &areas[i]
			code := string(table.span(r.code))
			if j == 0 {
				a.code, a.name = code, string(table.span(r.name))
				a.values = make([]float64, len(inds))
			} else if code != a.code {
				o.putValueRows(table)
				return nil, "", fmt.Errorf("values of %s: area %d is %s, of %s %s", ind.Key, i, code, inds[0].Key, a.code)
			}
			shown := table.span(r.shown[0])
			if shown == nil {
				status := (*string)(nil)
				if r.status != noWord {
					s := words[r.status]
					status = &s
				}
				a.without = append(a.without, typeGap{Indicator: ind.Key, Reason: statusLabel(status)})
				continue
			}
			v, err := strconv.ParseFloat(string(shown), 64)
			if err != nil {
				o.putValueRows(table)
				return nil, "", fmt.Errorf("published value %q of %s: %w", shown, ind.Key, err)
			}
			a.values[j] = v
		}
		o.putValueRows(table)
	}
	return areas, "", nil
}

// typesPeriod is the latest period with cells of every indicator at the
// level; ok is false when there is none.
func (o *outputs) typesPeriod(ctx context.Context, keys []string, level string) (time.Time, bool, error) {
	var p time.Time
	err := o.store.pool.QueryRow(ctx, sqlTypesPeriod, pgx.QueryExecModeExec,
		pgx.NamedArgs{"level": level, "keys": keys}).Scan(&p)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("common period of %v at %s: %w", keys, level, err)
	}
	return p, true, nil
}

// typeMatrix is the rows of the areas with every value published.
func typeMatrix(areas []typeArea, p int) (d cluster.Data, typed []int) {
	d = cluster.Data{P: p}
	for i := range areas {
		if len(areas[i].without) > 0 {
			continue
		}
		d.X = append(d.X, areas[i].values...)
		typed = append(typed, i)
	}
	d.N = len(typed)
	return d, typed
}
