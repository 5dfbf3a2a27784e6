package indicators

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
)

// Secondary suppression (statistische Geheimhaltung).
//
// Published counts are bound by additive relations that anyone can
// subtract along:
//
//	h  hierarchy: a parent version's cell = Σ the cells of its children
//	   (the children it was summed from, see PublishScope; for a carried
//	   parent cell, the children valid on the parent version's day);
//	s  scheme: a scheme area = Σ its members;
//	g  group: a group's total = Σ its member indicators, same area and period;
//	k  succession: a carried cell = Σ its predecessors' cells × share (the
//	   shares are public, so estimated carries are relations too).
//
// A relation with exactly one withheld cell gives that cell away. Starting
// from the primary and source-suppressed counts, every such relation gets
// one more withheld cell: its smallest positive published cell (zeros only
// when no positive one is left; ties by area code, then indicator, area
// version and period), until no relation has exactly one. When the total
// is an own observation, children the source kept secret are unknowns of
// the relation too. Relations are loaded only around withheld cells, a
// frontier at a time, so the work follows the (usually few) small counts,
// not the size of the table.

type cellKey struct {
	indicator string
	area      int64
	period    time.Time
}

type relKey struct {
	kind, rel string
	head      cellKey
}

type relCell struct {
	key   cellKey
	value float64
	code  string
}

type relation struct {
	key   relKey
	head  bool
	cells []relCell
}

const sqlWithheldCounts = `
SELECT c.indicator, c.area_id, c.period
FROM pub_cells c JOIN pub_ind i ON i.key = c.indicator AND i.kind = 'count'
WHERE c.suppressed IS NOT NULL`

// sqlRelationHeads finds the relations the frontier cells belong to, as
// total or as summand, and records those not seen before under round $1.
const sqlRelationHeads = `
INSERT INTO pub_head (iter, kind, rel, indicator, area_id, period)
SELECT DISTINCT $1::integer, x.kind, x.rel, x.indicator, x.area_id, x.period
FROM (
    SELECT 'h' AS kind, '' AS rel, f.indicator, f.area_id, f.period FROM pub_front f
    UNION ALL
    SELECT 'h', '', f.indicator, u.parent_id, f.period
    FROM pub_front f JOIN pub_up u ON u.child_id = f.area_id
    UNION ALL
    SELECT 's', '', f.indicator, f.area_id, f.period
    FROM pub_front f WHERE EXISTS (SELECT 1 FROM area_member m WHERE m.group_id = f.area_id)
    UNION ALL
    SELECT 's', '', f.indicator, m.group_id, f.period
    FROM pub_front f JOIN area_member m ON m.member_id = f.area_id
    UNION ALL
    SELECT 'g', g.key, g.total, f.area_id, f.period
    FROM pub_front f JOIN indicator_group g ON g.total = f.indicator
    UNION ALL
    SELECT 'g', g.key, g.total, f.area_id, f.period
    FROM pub_front f
    JOIN indicator_group_member m ON m.indicator = f.indicator
    JOIN indicator_group g ON g.key = m.group_key
    UNION ALL
    SELECT 'k', '', f.indicator, f.area_id, f.period
    FROM pub_front f WHERE EXISTS (SELECT 1 FROM area_succession s WHERE s.successor_id = f.area_id)
    UNION ALL
    SELECT 'k', '', f.indicator, s.successor_id, f.period
    FROM pub_front f JOIN area_succession s ON s.predecessor_id = f.area_id
) x
ON CONFLICT DO NOTHING`

// sqlRelationTotals records the total cell of each relation of round $1
// (the relation is dropped when it has none: no value, or not carried for
// a succession).
const sqlRelationTotals = `
INSERT INTO pub_rc (iter, kind, rel, h_ind, h_area, h_period, h_origin, role, indicator, area_id, period, value)
SELECT $1::integer, h.kind, h.rel, h.indicator, h.area_id, h.period, c.origin, 0, c.indicator, c.area_id, c.period, c.value
FROM pub_head h
CROSS JOIN LATERAL (
    SELECT * FROM pub_cells c
    WHERE c.indicator = h.indicator AND c.area_id = h.area_id AND c.period = h.period
    OFFSET 0 -- planned apart, so that the key reaches observation's index
) c
WHERE h.iter = $1
  AND (c.value IS NOT NULL OR c.suppressed = 'source')
  AND (h.kind <> 'k' OR c.origin = 'k')`

// sqlRelationMembers records the summands of the relations whose totals
// were just recorded (role 0 rows of round $1 not yet expanded).
const sqlRelationMembers = `
INSERT INTO pub_rc (iter, kind, rel, h_ind, h_area, h_period, h_origin, role, indicator, area_id, period, value)
SELECT h.iter, h.kind, h.rel, h.h_ind, h.h_area, h.h_period, h.h_origin, 1, c.indicator, c.area_id, c.period, c.value
FROM pub_rc h
JOIN pub_up u ON u.parent_id = h.h_area
CROSS JOIN LATERAL (SELECT * FROM pub_cells c WHERE c.indicator = h.h_ind AND c.area_id = u.child_id AND c.period = h.h_period OFFSET 0) c
WHERE h.role = 0 AND h.iter = $1 AND h.kind = 'h'
  AND ((h.h_origin <> 'k' AND c.origin <> 'k'
        AND u.days @> greatest(least(h.h_period, u.c_to), u.c_from)
        AND (c.value IS NOT NULL OR (h.h_origin = 'o' AND c.suppressed = 'source')))
    OR (h.h_origin = 'k'
        AND u.days @> greatest(least(h.h_period, u.p_to), u.p_from)
        AND c.value IS NOT NULL))
UNION ALL
SELECT h.iter, h.kind, h.rel, h.h_ind, h.h_area, h.h_period, h.h_origin, 1, c.indicator, c.area_id, c.period, c.value
FROM pub_rc h
JOIN area_member am ON am.group_id = h.h_area
CROSS JOIN LATERAL (SELECT * FROM pub_cells c WHERE c.indicator = h.h_ind AND c.area_id = am.member_id AND c.period = h.h_period OFFSET 0) c
WHERE h.role = 0 AND h.iter = $1 AND h.kind = 's' AND c.origin <> 'k'
  AND (c.value IS NOT NULL OR (h.h_origin = 'o' AND c.suppressed = 'source'))
UNION ALL
SELECT h.iter, h.kind, h.rel, h.h_ind, h.h_area, h.h_period, h.h_origin, 1, c.indicator, c.area_id, c.period, c.value
FROM pub_rc h
JOIN indicator_group_member gm ON gm.group_key = h.rel
CROSS JOIN LATERAL (SELECT * FROM pub_cells c WHERE c.indicator = gm.indicator AND c.area_id = h.h_area AND c.period = h.h_period OFFSET 0) c
WHERE h.role = 0 AND h.iter = $1 AND h.kind = 'g'
  AND (c.value IS NOT NULL OR (h.h_origin = 'o' AND c.suppressed = 'source'))
UNION ALL
SELECT h.iter, h.kind, h.rel, h.h_ind, h.h_area, h.h_period, h.h_origin, 1, c.indicator, c.area_id, c.period, c.value
FROM pub_rc h
JOIN area_succession s ON s.successor_id = h.h_area
CROSS JOIN LATERAL (SELECT * FROM pub_cells c WHERE c.indicator = h.h_ind AND c.area_id = s.predecessor_id AND c.period = h.h_period OFFSET 0) c
WHERE h.role = 0 AND h.iter = $1 AND h.kind = 'k' AND c.value IS NOT NULL`

// sqlRelationCells lists the cells of the relations of round $1: the
// total (role 0) and the summands (role 1) with value and area code.
const sqlRelationCells = `
SELECT r.kind, r.rel, r.h_ind, r.h_area, r.h_period, r.role, r.indicator, r.area_id, r.period, r.value, a.code
FROM pub_rc r JOIN pub_area a ON a.id = r.area_id
WHERE r.iter = $1`

// suppressSecondary withholds cells until no relation has exactly one
// withheld cell, records them in pub_sec and returns how many it withheld.
func (p *publisher) suppressSecondary(ctx context.Context) (int, error) {
	rows, err := p.tx.Query(ctx, sqlWithheldCounts)
	if err != nil {
		return 0, fmt.Errorf("withheld counts: %w", err)
	}
	frontier, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (cellKey, error) {
		var k cellKey
		err := r.Scan(&k.indicator, &k.area, &k.period)
		return k, err
	})
	if err != nil {
		return 0, fmt.Errorf("withheld counts: %w", err)
	}
	withheld := make(map[cellKey]bool, len(frontier))
	for _, k := range frontier {
		withheld[k] = true
	}

	rels := map[relKey]*relation{}
	var order []*relation
	var secondary []cellKey
	for round := 1; len(frontier) > 0; round++ {
		if err := p.loadRelations(ctx, round, frontier, rels, &order); err != nil {
			return 0, err
		}
		frontier = frontier[:0:0]
		for changed := true; changed; {
			changed = false
			for _, r := range order {
				k, ok := r.partner(withheld)
				if !ok {
					continue
				}
				withheld[k] = true
				secondary = append(secondary, k)
				frontier = append(frontier, k)
				changed = true
			}
		}
	}

	if len(secondary) == 0 {
		return 0, nil
	}
	src := make([][]any, len(secondary))
	for i, k := range secondary {
		src[i] = []any{k.indicator, k.area, k.period}
	}
	if _, err := p.tx.CopyFrom(ctx, pgx.Identifier{"pub_sec"}, []string{"indicator", "area_id", "period"}, pgx.CopyFromRows(src)); err != nil {
		return 0, fmt.Errorf("record secondary suppression: %w", err)
	}
	return len(secondary), nil
}

// loadRelations adds the relations touching the frontier cells to rels and
// keeps order sorted, so that partners are chosen in the same order on
// every run.
func (p *publisher) loadRelations(ctx context.Context, round int, frontier []cellKey, rels map[relKey]*relation, order *[]*relation) error {
	if _, err := p.tx.Exec(ctx, `TRUNCATE pub_front`); err != nil {
		return fmt.Errorf("secondary suppression: %w", err)
	}
	src := make([][]any, len(frontier))
	for i, k := range frontier {
		src[i] = []any{k.indicator, k.area, k.period}
	}
	if _, err := p.tx.CopyFrom(ctx, pgx.Identifier{"pub_front"}, []string{"indicator", "area_id", "period"}, pgx.CopyFromRows(src)); err != nil {
		return fmt.Errorf("secondary suppression: frontier: %w", err)
	}
	if _, err := p.tx.Exec(ctx, `ANALYZE pub_front`); err != nil {
		return fmt.Errorf("secondary suppression: %w", err)
	}
	for _, step := range []struct{ what, sql string }{
		{"relations", sqlRelationHeads},
		{"analyze", `ANALYZE pub_head`},
		{"relation totals", sqlRelationTotals},
		{"analyze", `ANALYZE pub_rc`},
		{"relation members", sqlRelationMembers},
	} {
		var args []any
		if step.what != "analyze" {
			args = []any{round}
		}
		if _, err := p.exec(ctx, "secondary suppression: "+step.what, step.sql, args...); err != nil {
			return err
		}
	}
	rows, err := p.tx.Query(ctx, sqlRelationCells, round)
	if err != nil {
		return fmt.Errorf("secondary suppression: relation cells: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var rk relKey
		var role int
		var c relCell
		var value *float64
		if err := rows.Scan(&rk.kind, &rk.rel, &rk.head.indicator, &rk.head.area, &rk.head.period, &role,
			&c.key.indicator, &c.key.area, &c.key.period, &value, &c.code); err != nil {
			return fmt.Errorf("secondary suppression: relation cells: %w", err)
		}
		if value != nil {
			c.value = *value
		}
		r := rels[rk]
		if r == nil {
			r = &relation{key: rk}
			rels[rk] = r
			*order = append(*order, r)
		}
		if role == 0 {
			r.head = true
		}
		r.cells = append(r.cells, c)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("secondary suppression: relation cells: %w", err)
	}
	for _, r := range *order {
		sort.Slice(r.cells, func(i, j int) bool { return r.cells[i].key.less(r.cells[j].key) })
	}
	sort.Slice(*order, func(i, j int) bool { return (*order)[i].key.less((*order)[j].key) })
	return nil
}

// partner returns the cell to withhold when exactly one cell of the
// relation is withheld: the smallest positive published one, else the
// smallest published one.
func (r *relation) partner(withheld map[cellKey]bool) (cellKey, bool) {
	if !r.head || len(r.cells) < 2 {
		return cellKey{}, false
	}
	n := 0
	for _, c := range r.cells {
		if withheld[c.key] {
			n++
		}
	}
	if n != 1 {
		return cellKey{}, false
	}
	var best *relCell
	for i := range r.cells {
		c := &r.cells[i]
		if withheld[c.key] {
			continue
		}
		if best == nil || c.before(best) {
			best = c
		}
	}
	if best == nil {
		return cellKey{}, false
	}
	return best.key, true
}

// before orders partner candidates: positive values first, smaller values
// first, then by area code and key.
func (c *relCell) before(o *relCell) bool {
	cp, op := c.value > 0, o.value > 0
	if cp != op {
		return cp
	}
	if c.value != o.value {
		return c.value < o.value
	}
	if c.code != o.code {
		return c.code < o.code
	}
	return c.key.less(o.key)
}

func (k cellKey) less(o cellKey) bool {
	if k.indicator != o.indicator {
		return k.indicator < o.indicator
	}
	if !k.period.Equal(o.period) {
		return k.period.Before(o.period)
	}
	return k.area < o.area
}

func (k relKey) less(o relKey) bool {
	if k.kind != o.kind {
		return k.kind < o.kind
	}
	if k.rel != o.rel {
		return k.rel < o.rel
	}
	return k.head.less(o.head)
}
