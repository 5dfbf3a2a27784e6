package indicators

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// PublishScope limits a recomputation to some indicators and periods. An
// empty list means all. The indicators are widened to everything they are
// computed with or related to (rates and means over them, combined counts,
// additive groups), so that a scoped run gives the same cells as a full one.
type PublishScope struct {
	Indicators []string
	Periods    []time.Time
}

// Publish recomputes every published cell from the observations, the
// catalogue and the areas inside the caller's transaction, and bumps the
// data version.
func (s *Store) Publish(ctx context.Context, tx pgx.Tx) error {
	return s.PublishScope(ctx, tx, PublishScope{})
}

// PublishScope is Publish limited to the cells of scope.
//
// How a cell is computed, in order:
//
//  1. An own observation wins, with its status; a source-suppressed one
//     ('.') keeps its NULL value and is suppressed 'source'.
//  2. Hierarchy levels are processed from the finest to the coarsest. A
//     count without own data is the sum over its children (status derived,
//     estimated when a summand is, provisional when one is). A mean is
//     Σ(value×weight) ÷ Σweight over them. Then counts declared as a
//     combination of others are computed where still absent, and own means
//     get their weighted sums from the weight cell of the same area.
//  3. Scheme areas sum their listed member versions the same way.
//  4. Series are carried to successor versions along area_succession for
//     periods the successor has no cell for (share-weighted, repeated along
//     chains): derived when every share is exact, else estimated.
//  5. Rates are numerator ÷ denominator × scale from the two count cells of
//     the same area and period; a zero denominator leaves no value (status
//     missing).
//  6. Disclosure control (see suppress.go).
//  7. Composite indices are computed from the published cells (see
//     computeIndices); their indicators are not otherwise touched.
//
// Which parent version a child's cell belongs to (the "same day" rule): an
// observation says nothing of its table's Gebietsstand beyond the area
// version it was attached to, which was valid on that day. A cell of child
// version C for period t is dated on t clamped into C's validity — the
// period itself when C was valid then (the default Gebietsstand), else C's
// first or last day (a table on a later or an earlier Gebietsstand). It
// counts toward the version of C's parent identity valid on that day. A
// parent version thus sums exactly the children that existed together with
// it on the day the data describe: in 2018 the Gemeinden of the old
// Wartburgkreis count toward the old version of 16063, and the new 16063
// (from 2021-07-01) gets its 2018 value only by carrying the old versions
// over, never a partial sum. Carried cells do not enter hierarchy sums for
// the same reason: they describe a day their parent version may not have
// seen.
//
// A sum is incomplete when a summand is, or when fewer children have a
// value than there are child versions valid on the data's day (the latest
// day of the summed children).
func (s *Store) PublishScope(ctx context.Context, tx pgx.Tx, scope PublishScope) error {
	p := &publisher{tx: tx}
	// Fresh statistics of the observations let the planner size the work
	// tables; afterwards those of the cells keep the readers' plans right
	// (without them every table looks one row long after a bulk import, and
	// the values of all Gemeinden took seconds instead of milliseconds).
	if _, err := tx.Exec(ctx, sqlAnalyzeObservations); err != nil {
		return fmt.Errorf("publish cells: %w", err)
	}
	if err := p.run(ctx, scope); err != nil {
		return fmt.Errorf("publish cells: %w", err)
	}
	// Composite indices are computed from the cells just published, in the
	// same transaction and under the data version run bumped.
	if _, err := s.computeIndices(ctx, tx); err != nil {
		return fmt.Errorf("publish cells: %w", err)
	}
	if _, err := tx.Exec(ctx, sqlAnalyzeCells); err != nil {
		return fmt.Errorf("publish cells: %w", err)
	}
	return nil
}

const (
	sqlAnalyzeObservations = `ANALYZE observation`
	sqlAnalyzeCells        = `ANALYZE cell, cell_extent`
)

type publisher struct {
	tx pgx.Tx
	// cat is the whole catalogue, keyed by indicator.
	cat map[string]catIndicator
	// scoped is the set of indicators being recomputed.
	scoped []string
}

type catIndicator struct {
	key, kind                      string
	minCount                       int
	combine                        map[string]float64
	numerator, denominator, weight string
	groups                         []string // keys of groups it is total or member of
}

type levelInfo struct {
	name   string
	scheme bool
}

// publishTraceKey carries a func(step string, took time.Duration) that
// benchmarks use to see where the time goes.
type publishTraceKey struct{}

func (p *publisher) exec(ctx context.Context, what, sql string, args ...any) (int64, error) {
	start := time.Now()
	tag, err := p.tx.Exec(ctx, sql, args...)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	if trace, ok := ctx.Value(publishTraceKey{}).(func(string, time.Duration)); ok {
		trace(what, time.Since(start))
	}
	return tag.RowsAffected(), nil
}

func (p *publisher) run(ctx context.Context, scope PublishScope) error {
	if err := p.loadCatalogue(ctx); err != nil {
		return err
	}
	p.scoped = p.widen(scope.Indicators)
	periods := make([]time.Time, len(scope.Periods))
	for i, t := range scope.Periods {
		periods[i] = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}

	// Sums and joins over a million rows want memory; the setting is local
	// to the caller's transaction and restored before returning.
	var workMem string
	if err := p.tx.QueryRow(ctx, `SELECT current_setting('work_mem')`).Scan(&workMem); err != nil {
		return fmt.Errorf("work_mem: %w", err)
	}
	if _, err := p.exec(ctx, "work_mem", `SELECT set_config('work_mem', '256MB', true)`); err != nil {
		return err
	}
	if _, err := p.exec(ctx, "drop work tables", sqlDropWork); err != nil {
		return err
	}
	if _, err := p.exec(ctx, "create work tables", sqlCreateWork); err != nil {
		return err
	}
	if _, err := p.exec(ctx, "scope indicators", sqlScopeIndicators, p.scoped); err != nil {
		return err
	}
	if _, err := p.exec(ctx, "scope periods", sqlScopePeriods, periods); err != nil {
		return err
	}
	if err := p.views(ctx, periods); err != nil {
		return err
	}
	if _, err := p.exec(ctx, "combinations", sqlScopeCombine); err != nil {
		return err
	}
	if _, err := p.exec(ctx, "areas", sqlWorkAreas); err != nil {
		return err
	}
	if _, err := p.exec(ctx, "analyze", `ANALYZE pub_ind, pub_area, pub_up, pub_combine`); err != nil {
		return err
	}
	if _, err := p.exec(ctx, "own non-counts", sqlOwnNonCounts); err != nil {
		return err
	}
	if _, err := p.exec(ctx, "own sums", sqlOwnSums); err != nil {
		return err
	}
	if _, err := p.exec(ctx, "analyze", sqlAnalyzeWork); err != nil {
		return err
	}

	levels, err := p.levels(ctx)
	if err != nil {
		return err
	}
	var haveCombine, haveMean, haveRate bool
	for _, k := range p.scoped {
		ind := p.cat[k]
		haveCombine = haveCombine || len(ind.combine) > 0
		haveMean = haveMean || ind.kind == string(Mean)
		haveRate = haveRate || ind.kind == string(Rate)
	}
	for _, l := range levels {
		if l.scheme {
			if _, err := p.exec(ctx, "scheme sums "+l.name, sqlSchemeSums, l.name); err != nil {
				return err
			}
		} else if _, err := p.exec(ctx, "sums "+l.name, sqlLevelSums, l.name); err != nil {
			return err
		}
		// pub_w grows level by level; later statements look cells up in it.
		if _, err := p.exec(ctx, "analyze", `ANALYZE pub_w`); err != nil {
			return err
		}
		if haveCombine {
			// A combination may use another one: repeat until none is added.
			for range len(p.cat) {
				n, err := p.exec(ctx, "combine "+l.name, sqlCombine, l.name)
				if err != nil {
					return err
				}
				if n == 0 {
					break
				}
			}
		}
		if haveMean {
			if _, err := p.exec(ctx, "mean weights "+l.name, sqlMeanWeights, l.name); err != nil {
				return err
			}
		}
	}
	var haveSuccession bool
	if err := p.tx.QueryRow(ctx, sqlHaveSuccession).Scan(&haveSuccession); err != nil {
		return fmt.Errorf("successions: %w", err)
	}
	if haveSuccession {
		// Each round carries one step further along chains of successions.
		for {
			n, err := p.exec(ctx, "carry over", sqlCarry)
			if err != nil {
				return err
			}
			if n == 0 {
				break
			}
		}
	}
	if _, err := p.exec(ctx, "primary suppression of counts", sqlPrimaryCounts); err != nil {
		return err
	}
	if haveRate {
		if _, err := p.exec(ctx, "rates", sqlRates); err != nil {
			return err
		}
		if _, err := p.exec(ctx, "own rates", sqlOwnRateParts); err != nil {
			return err
		}
	}
	if haveRate || haveMean {
		if _, err := p.exec(ctx, "primary suppression of rates and means", sqlPrimaryRatios); err != nil {
			return err
		}
	}
	if _, err := p.exec(ctx, "analyze", sqlAnalyzeWork); err != nil {
		return err
	}
	secondary, err := p.suppressSecondary(ctx)
	if err != nil {
		return err
	}
	if secondary > 0 {
		if _, err := p.exec(ctx, "secondary suppression", sqlSecondaryWork); err != nil {
			return err
		}
		if haveRate || haveMean {
			if _, err := p.exec(ctx, "secondary suppression of rates and means", sqlSecondaryRatios); err != nil {
				return err
			}
		}
	}

	if _, err := p.exec(ctx, "new cells view", sqlNewCells); err != nil {
		return err
	}
	var haveCells bool
	if err := p.tx.QueryRow(ctx, sqlHaveCells).Scan(&haveCells); err != nil {
		return fmt.Errorf("published cells: %w", err)
	}
	if !haveCells {
		if _, err := p.exec(ctx, "write cells", sqlWriteCells); err != nil {
			return err
		}
	} else {
		if _, err := p.exec(ctx, "delete changed cells", sqlDeleteCells); err != nil {
			return err
		}
		if _, err := p.exec(ctx, "write changed cells", sqlWriteCellsOnConflict); err != nil {
			return err
		}
	}
	if _, err := p.exec(ctx, "extent", sqlExtent); err != nil {
		return err
	}
	if _, err := p.exec(ctx, "drop work tables", sqlDropWork); err != nil {
		return err
	}
	if _, err := p.exec(ctx, "data version", sqlBumpVersion); err != nil {
		return err
	}
	if _, err := p.exec(ctx, "work_mem", `SELECT set_config('work_mem', $1, true)`, workMem); err != nil {
		return err
	}
	return nil
}

const sqlLoadIndicators = `
SELECT i.key, i.kind, i.min_count, coalesce(i.combine::text, ''), coalesce(i.numerator, ''),
       coalesce(i.denominator, ''), coalesce(i.weight, ''),
       coalesce((SELECT array_agg(g.key ORDER BY g.key) FROM indicator_group g
                 WHERE g.total = i.key
                    OR g.key IN (SELECT m.group_key FROM indicator_group_member m WHERE m.indicator = i.key)),
                '{}')
FROM indicator i
WHERE i.composite_index IS NULL
ORDER BY i.key`

func (p *publisher) loadCatalogue(ctx context.Context) error {
	rows, err := p.tx.Query(ctx, sqlLoadIndicators)
	if err != nil {
		return fmt.Errorf("read catalogue: %w", err)
	}
	defer rows.Close()
	p.cat = map[string]catIndicator{}
	for rows.Next() {
		var ind catIndicator
		var combine string
		if err := rows.Scan(&ind.key, &ind.kind, &ind.minCount, &combine, &ind.numerator, &ind.denominator, &ind.weight, &ind.groups); err != nil {
			return fmt.Errorf("read catalogue: %w", err)
		}
		if combine != "" {
			if err := json.Unmarshal([]byte(combine), &ind.combine); err != nil {
				return fmt.Errorf("indicator %s: combine: %w", ind.key, err)
			}
		}
		p.cat[ind.key] = ind
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read catalogue: %w", err)
	}
	return nil
}

// widen returns the indicators whose cells may change when those of keys
// do: everything connected to them by a rate, a mean, a combination or an
// additive group, in either direction. Empty keys mean the whole catalogue.
func (p *publisher) widen(keys []string) []string {
	all := make([]string, 0, len(p.cat))
	for k := range p.cat {
		all = append(all, k)
	}
	sort.Strings(all)
	if len(keys) == 0 {
		return all
	}
	// Undirected links between indicators; a connected component is
	// recomputed as a whole.
	links := map[string][]string{}
	link := func(a, b string) {
		if a == "" || b == "" {
			return
		}
		links[a] = append(links[a], b)
		links[b] = append(links[b], a)
	}
	byGroup := map[string][]string{}
	for _, k := range all {
		ind := p.cat[k]
		link(k, ind.numerator)
		link(k, ind.denominator)
		link(k, ind.weight)
		for c := range ind.combine {
			link(k, c)
		}
		for _, g := range ind.groups {
			byGroup[g] = append(byGroup[g], k)
		}
	}
	for _, members := range byGroup {
		for _, m := range members[1:] {
			link(members[0], m)
		}
	}
	seen := map[string]bool{}
	queue := append([]string(nil), keys...)
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		if seen[k] {
			continue
		}
		seen[k] = true
		queue = append(queue, links[k]...)
	}
	out := make([]string, 0, len(seen))
	for _, k := range all {
		if seen[k] {
			out = append(out, k)
		}
	}
	return out
}

const sqlRevertedBatches = `SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM import_batch WHERE reverted_at IS NOT NULL`

// views creates pub_obs, pub_own and pub_cells with the scope written
// into them as literals.
func (p *publisher) views(ctx context.Context, periods []time.Time) error {
	var reverted []int64
	if err := p.tx.QueryRow(ctx, sqlRevertedBatches).Scan(&reverted); err != nil {
		return fmt.Errorf("reverted batches: %w", err)
	}
	var common []string
	if len(reverted) > 0 {
		ids := make([]string, len(reverted))
		for i, id := range reverted {
			ids[i] = strconv.FormatInt(id, 10)
		}
		common = append(common, "o.batch_id NOT IN ("+strings.Join(ids, ", ")+")")
	}
	if len(periods) > 0 {
		days := make([]string, len(periods))
		for i, t := range periods {
			days[i] = "'" + t.Format(time.DateOnly) + "'::date"
		}
		common = append(common, "o.period IN ("+strings.Join(days, ", ")+")")
	}

	obs := common
	if len(p.scoped) < len(p.cat) {
		obs = append([]string{"o.indicator IN (" + sqlTextList(p.scoped) + ")"}, common...)
	}
	// Counts by minimum count, for the primary suppression of own cells.
	var counts []string
	byMin := map[int][]string{}
	for _, k := range p.scoped {
		if ind := p.cat[k]; ind.kind == string(Count) {
			counts = append(counts, k)
			byMin[ind.minCount] = append(byMin[ind.minCount], k)
		}
	}
	own := append([]string{"false"}, common...)
	if len(counts) > 0 {
		own[0] = "o.indicator IN (" + sqlTextList(counts) + ")"
	}
	mins := make([]int, 0, len(byMin))
	for m := range byMin {
		mins = append(mins, m)
	}
	sort.Ints(mins)
	minCount := "0"
	if len(mins) == 1 {
		minCount = strconv.Itoa(mins[0])
	} else if len(mins) > 1 {
		var b strings.Builder
		b.WriteString("CASE")
		for _, m := range mins {
			fmt.Fprintf(&b, " WHEN o.indicator IN (%s) THEN %d", sqlTextList(byMin[m]), m)
		}
		b.WriteString(" END")
		minCount = b.String()
	}
	where := func(conds []string) string {
		if len(conds) == 0 {
			return "true"
		}
		return strings.Join(conds, "\n  AND ")
	}
	for _, v := range []struct{ what, sql string }{
		{"observations view", fmt.Sprintf(sqlObsView, where(obs))},
		{"own cells view", fmt.Sprintf(sqlOwnView, minCount, where(own))},
		{"cells view", sqlCellsView},
	} {
		if _, err := p.exec(ctx, v.what, v.sql); err != nil {
			return err
		}
	}
	return nil
}

// sqlTextList quotes keys as SQL string literals.
func sqlTextList(keys []string) string {
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = "'" + strings.ReplaceAll(k, "'", "''") + "'"
	}
	return strings.Join(q, ", ")
}

// sqlLevels orders the levels that have areas: the hierarchy from the
// finest rank up, then the schemes.
const sqlLevels = `
SELECT l.name, l.rank IS NULL
FROM level l
WHERE EXISTS (SELECT 1 FROM pub_area a WHERE a.level = l.name)
ORDER BY l.rank IS NULL, l.rank DESC, l.name`

func (p *publisher) levels(ctx context.Context) ([]levelInfo, error) {
	rows, err := p.tx.Query(ctx, sqlLevels)
	if err != nil {
		return nil, fmt.Errorf("levels: %w", err)
	}
	levels, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (levelInfo, error) {
		var l levelInfo
		err := r.Scan(&l.name, &l.scheme)
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("levels: %w", err)
	}
	return levels, nil
}
