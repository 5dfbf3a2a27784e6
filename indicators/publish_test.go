package indicators

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
)

// pubFixture runs fixture SQL statements in order.
func pubFixture(t *testing.T, pool *pgxpool.Pool, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := pool.Exec(context.Background(), s); err != nil {
			t.Fatalf("fixture %q: %v", s, err)
		}
	}
}

// pubBatch is the import batch every fixture observation belongs to.
const pubBatch = `INSERT INTO import_batch (kind, source) VALUES ('indicators', 'fixture')`

// pubCount declares a count indicator with the given minimum count.
func pubCount(key string, minCount int) string {
	return fmt.Sprintf(`INSERT INTO indicator (key, position, title, category, polarity, kind, min_count)
		VALUES ('%s', 0, '%s', 'Demografie', 'neutral', 'count', %d)`, key, key, minCount)
}

func pubRate(key, num, den string, scale float64, minDen int) string {
	return fmt.Sprintf(`INSERT INTO indicator (key, position, title, category, polarity, kind, numerator, denominator, scale, min_denominator)
		VALUES ('%s', 0, '%s', 'Demografie', 'neutral', 'rate', '%s', '%s', %g, %d)`, key, key, num, den, scale, minDen)
}

// pubArea inserts an area version; from and to are dates or "" for unbounded.
func pubArea(level, code, parentLevel, parentCode, from, to string) string {
	q := func(s string) string {
		if s == "" {
			return "NULL"
		}
		return "'" + s + "'"
	}
	return fmt.Sprintf(`INSERT INTO area (level, code, name, parent_level, parent_code, valid_from, valid_to)
		VALUES ('%s', '%s', '%s %s', %s, %s, %s, %s)`, level, code, level, code, q(parentLevel), q(parentCode), q(from), q(to))
}

// pubObs inserts an observation on the version of level/code valid on day.
// value "" is a source-suppressed observation ('.').
func pubObs(ind, level, code, day, period, value string) string {
	v, status := value, "measured"
	if value == "" {
		v, status = "NULL", "suppressed"
	}
	return fmt.Sprintf(`WITH o AS (
		INSERT INTO observation (indicator, area_id, period, value, status, batch_id)
		SELECT '%s', a.id, '%s', %s, '%s', 1 FROM area a
		WHERE a.level = '%s' AND a.code = '%s' AND daterange(a.valid_from, a.valid_to, '[]') @> '%s'::date
		RETURNING indicator, period, batch_id)
		`+sqlTestExtent, ind, period, v, status, level, code, day, level)
}

// sqlTestExtent records the extent of observations a fixture inserts as o,
// as the table import does; %s is their level.
const sqlTestExtent = `INSERT INTO observation_extent (batch_id, indicator, period, level, rows)
		SELECT batch_id, indicator, period, '%s', count(*) FROM o GROUP BY 1, 2, 3
		ON CONFLICT (batch_id, indicator, period, level)
		DO UPDATE SET rows = observation_extent.rows + excluded.rows`

func pubSuccession(predLevel, pred, predDay, succ, succDay string, share float64, exact bool) string {
	return fmt.Sprintf(`INSERT INTO area_succession (predecessor_id, successor_id, share, exact, method)
		SELECT p.id, s.id, %g, %t, 'change' FROM area p, area s
		WHERE p.level = '%s' AND p.code = '%s' AND daterange(p.valid_from, p.valid_to, '[]') @> '%s'::date
		  AND s.level = '%s' AND s.code = '%s' AND daterange(s.valid_from, s.valid_to, '[]') @> '%s'::date`,
		share, exact, predLevel, pred, predDay, predLevel, succ, succDay)
}

func publishNow(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		return NewStore(pool, nil).Publish(ctx, tx)
	})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
}

// pubCell is a published cell as the tests compare it.
type pubCell struct {
	Value, Num, Den *float64
	Status          string
	Incomplete      bool
	Suppressed      string
}

func (c pubCell) String() string {
	f := func(p *float64) string {
		if p == nil {
			return "NULL"
		}
		return fmt.Sprintf("%g", *p)
	}
	s := fmt.Sprintf("%s %s", f(c.Value), c.Status)
	if c.Num != nil || c.Den != nil {
		s += fmt.Sprintf(" (%s/%s)", f(c.Num), f(c.Den))
	}
	if c.Incomplete {
		s += " incomplete"
	}
	if c.Suppressed != "" {
		s += " suppressed:" + c.Suppressed
	}
	return s
}

// cellAt returns the cell of the version of level/code valid on day, or
// "absent".
func cellAt(t *testing.T, pool *pgxpool.Pool, ind, level, code, day, period string) string {
	t.Helper()
	var c pubCell
	var supp *string
	err := pool.QueryRow(context.Background(), `
		SELECT c.value, c.numerator, c.denominator, c.status, c.incomplete, c.suppressed
		FROM published_cell c JOIN area a ON a.id = c.area_id
		WHERE c.indicator = $1 AND a.level = $2 AND a.code = $3
		  AND daterange(a.valid_from, a.valid_to, '[]') @> $4::date AND c.period = $5::date`,
		ind, level, code, day, period).Scan(&c.Value, &c.Num, &c.Den, &c.Status, &c.Incomplete, &supp)
	if err == pgx.ErrNoRows {
		return "absent"
	}
	if err != nil {
		t.Fatalf("cell %s %s %s %s: %v", ind, level, code, period, err)
	}
	if supp != nil {
		c.Suppressed = *supp
	}
	return c.String()
}

type cellCase struct {
	ind, level, code, day, period string
	want                          string
}

func checkCells(t *testing.T, pool *pgxpool.Pool, cases []cellCase) {
	t.Helper()
	for _, c := range cases {
		if got := cellAt(t, pool, c.ind, c.level, c.code, c.day, c.period); got != c.want {
			t.Errorf("%s %s %s (valid %s) %s: got %s, want %s", c.ind, c.level, c.code, c.day, c.period, got, c.want)
		}
	}
}

func TestPublishHierarchy(t *testing.T) {
	pool := pgtest.NewDB(t)
	const p = "2022-12-31"
	pubFixture(t, pool,
		pubBatch,
		pubCount("ew", 3), pubCount("alo", 3), pubRate("quote", "alo", "ew", 100, 10),
		pubArea("land", "01", "", "", "", ""),
		pubArea("kreis", "01001", "land", "01", "", ""),
		pubArea("kreis", "01002", "land", "01", "", ""),
		pubArea("gemeinde", "010010000001", "kreis", "01001", "", ""),
		pubArea("gemeinde", "010010000002", "kreis", "01001", "", ""),
		pubArea("gemeinde", "010020000001", "kreis", "01002", "", ""),
		pubArea("gemeinde", "010020000002", "kreis", "01002", "", ""),
		pubObs("ew", "gemeinde", "010010000001", p, p, "100"),
		pubObs("alo", "gemeinde", "010010000001", p, p, "10"),
		pubObs("ew", "gemeinde", "010010000002", p, p, "300"),
		pubObs("alo", "gemeinde", "010010000002", p, p, "60"),
		// A gemeindefreies Gebiet: nobody lives there.
		pubObs("ew", "gemeinde", "010020000001", p, p, "0"),
		pubObs("alo", "gemeinde", "010020000001", p, p, "0"),
		// alo missing for the last Gemeinde.
		pubObs("ew", "gemeinde", "010020000002", p, p, "50"),
	)
	publishNow(t, pool)
	checkCells(t, pool, []cellCase{
		{"ew", "gemeinde", "010010000001", p, p, "100 measured"},
		{"quote", "gemeinde", "010010000001", p, p, "10 derived (10/100)"},
		{"quote", "gemeinde", "010010000002", p, p, "20 derived (60/300)"},
		// 70/400: not the mean of the Gemeinden's 10 % and 20 %.
		{"ew", "kreis", "01001", p, p, "400 derived"},
		{"alo", "kreis", "01001", p, p, "70 derived"},
		{"quote", "kreis", "01001", p, p, "17.5 derived (70/400)"},
		{"quote", "gemeinde", "010020000001", p, p, "NULL missing (0/0)"},
		{"alo", "gemeinde", "010020000002", p, p, "absent"},
		{"ew", "kreis", "01002", p, p, "50 derived"},
		{"alo", "kreis", "01002", p, p, "0 derived incomplete"},
		{"quote", "kreis", "01002", p, p, "0 derived (0/50) incomplete"},
		{"ew", "land", "01", p, p, "450 derived"},
		{"alo", "land", "01", p, p, "70 derived incomplete"},
		{"quote", "land", "01", p, p, fmt.Sprintf("%g derived (70/450) incomplete", 70.0/450*100)},
	})

	// An own observation wins over the sum of the children.
	pubFixture(t, pool, pubObs("ew", "kreis", "01002", p, p, "60"))
	publishNow(t, pool)
	checkCells(t, pool, []cellCase{
		{"ew", "kreis", "01002", p, p, "60 measured"},
		{"quote", "kreis", "01002", p, p, "0 derived (0/60) incomplete"},
		{"ew", "land", "01", p, p, "460 derived"},
	})
}

func TestPublishBerlinShare(t *testing.T) {
	pool := pgtest.NewDB(t)
	const p = "2022-12-31"
	stmts := []string{
		pubBatch,
		pubCount("ew", 3), pubCount("ew65", 3), pubRate("anteil65", "ew65", "ew", 100, 10),
		pubArea("land", "11", "", "", "", ""),
		pubArea("kreis", "11000", "land", "11", "", ""),
		pubArea("gemeinde", "110000000000", "kreis", "11000", "", ""),
	}
	type plr struct {
		code      string
		ew, ew65  float64
		bzr, pgr  string
		bezirkNum string
	}
	// Two Bezirke, each one Prognoseraum with two Bezirksregionen of two
	// Planungsräume (areas without geometry).
	var plrs []plr
	vals := [][2]float64{{1200, 150}, {800, 300}, {2500, 200}, {90, 40}, {3000, 900}, {450, 20}, {1800, 610}, {700, 95}}
	for b := 1; b <= 2; b++ {
		bez := fmt.Sprintf("%02d", b)
		pgr := bez + "01"
		stmts = append(stmts,
			pubArea("bezirk", bez, "gemeinde", "110000000000", "", ""),
			pubArea("prognoseraum", pgr, "bezirk", bez, "", ""))
		for r := 1; r <= 2; r++ {
			bzr := fmt.Sprintf("%s%02d", pgr, r)
			stmts = append(stmts, pubArea("bezirksregion", bzr, "prognoseraum", pgr, "", ""))
			for q := 1; q <= 2; q++ {
				v := vals[len(plrs)]
				x := plr{code: fmt.Sprintf("%s%02d", bzr, q), ew: v[0], ew65: v[1], bzr: bzr, pgr: pgr, bezirkNum: bez}
				plrs = append(plrs, x)
				stmts = append(stmts,
					pubArea("planungsraum", x.code, "bezirksregion", bzr, "", ""),
					pubObs("ew", "planungsraum", x.code, p, p, fmt.Sprint(x.ew)),
					pubObs("ew65", "planungsraum", x.code, p, p, fmt.Sprint(x.ew65)))
			}
		}
	}
	pubFixture(t, pool, stmts...)
	publishNow(t, pool)

	var ew, ew65, meanShare float64
	for _, x := range plrs {
		ew += x.ew
		ew65 += x.ew65
		meanShare += x.ew65 / x.ew * 100 / float64(len(plrs))
	}
	want := ew65 / ew * 100
	if math.Abs(want-meanShare) < 1 {
		t.Fatalf("fixture does not tell the share from the mean of shares: %g vs %g", want, meanShare)
	}
	checkCells(t, pool, []cellCase{
		{"anteil65", "gemeinde", "110000000000", p, p, fmt.Sprintf("%g derived (%g/%g)", want, ew65, ew)},
		{"anteil65", "land", "11", p, p, fmt.Sprintf("%g derived (%g/%g)", want, ew65, ew)},
		{"ew", "bezirk", "01", p, p, "4590 derived"},
		{"ew65", "prognoseraum", "0201", p, p, "1625 derived"},
		{"ew", "bezirksregion", "020102", p, p, "2500 derived"},
		{"anteil65", "planungsraum", "02010202", p, p, fmt.Sprintf("%g derived (95/700)", 95.0/700*100)},
	})
}

func TestPublishEisenach(t *testing.T) {
	pool := pgtest.NewDB(t)
	const (
		y2018, y2019, y2022 = "2018-12-31", "2019-12-31", "2022-12-31"
		old, cur            = "2021-06-30", "2021-07-01"
	)
	pubFixture(t, pool,
		pubBatch,
		pubCount("ew", 3),
		pubArea("land", "16", "", "", "", ""),
		pubArea("kreis", "16056", "land", "16", "", old),
		pubArea("kreis", "16063", "land", "16", "", old),
		pubArea("kreis", "16063", "land", "16", cur, ""),
		pubArea("gemeinde", "160560000000", "kreis", "16056", "", old),
		pubArea("gemeinde", "160630001001", "kreis", "16063", "", ""),
		pubArea("gemeinde", "160630002002", "kreis", "16063", "", ""),
		pubArea("gemeinde", "160630105105", "kreis", "16063", cur, ""),
		pubSuccession("kreis", "16056", old, "16063", cur, 1, true),
		pubSuccession("kreis", "16063", old, "16063", cur, 1, true),
		pubSuccession("gemeinde", "160560000000", old, "160630105105", cur, 1, true),
		// Kreise 2018 on the boundaries of 2018; Eisenach's Gemeinde too.
		pubObs("ew", "kreis", "16056", y2018, y2018, "42000"),
		pubObs("ew", "kreis", "16063", y2018, y2018, "123000"),
		pubObs("ew", "gemeinde", "160560000000", y2018, y2018, "42000"),
		// Gemeinden 2022 on today's boundaries.
		pubObs("ew", "gemeinde", "160630105105", y2022, y2022, "41000"),
		pubObs("ew", "gemeinde", "160630001001", y2022, y2022, "1100"),
		pubObs("ew", "gemeinde", "160630002002", y2022, y2022, "2100"),

		// A Kreis split by shares of 0.3 and 0.7 on 2021-01-01, and the
		// first part merged again on 2023-01-01: a chain.
		pubArea("land", "15", "", "", "", ""),
		pubArea("kreis", "15900", "land", "15", "", "2020-12-31"),
		pubArea("kreis", "15901", "land", "15", "2021-01-01", "2022-12-31"),
		pubArea("kreis", "15902", "land", "15", "2021-01-01", ""),
		pubArea("kreis", "15903", "land", "15", "2023-01-01", ""),
		pubSuccession("kreis", "15900", "2020-12-31", "15901", "2021-01-01", 0.3, false),
		pubSuccession("kreis", "15900", "2020-12-31", "15902", "2021-01-01", 0.7, false),
		`INSERT INTO area_succession (predecessor_id, successor_id, share, exact, method)
		 SELECT p.id, s.id, 1, true, 'change' FROM area p, area s
		 WHERE p.code = '15901' AND s.code = '15903'`,
		pubObs("ew", "kreis", "15900", y2019, y2019, "1000"),
	)
	publishNow(t, pool)
	checkCells(t, pool, []cellCase{
		{"ew", "kreis", "16056", old, y2018, "42000 measured"},
		{"ew", "kreis", "16063", old, y2018, "123000 measured"},
		// Wartburgkreis 2018 on today's boundaries: both old versions.
		{"ew", "kreis", "16063", cur, y2018, "165000 derived"},
		{"ew", "kreis", "16063", cur, y2022, "44200 derived"},
		// The old versions get no 2022 cells, and no version a partial sum.
		{"ew", "kreis", "16063", old, y2022, "absent"},
		{"ew", "kreis", "16056", old, y2022, "absent"},
		// The Gemeinde re-keyed.
		{"ew", "gemeinde", "160630105105", cur, y2018, "42000 derived"},
		{"ew", "gemeinde", "160630105105", cur, y2022, "41000 measured"},
		{"ew", "gemeinde", "160560000000", old, y2022, "absent"},
		// The Land is complete in both years: 2018 from the old Kreise,
		// 2022 from today's.
		{"ew", "land", "16", y2018, y2018, "165000 derived"},
		{"ew", "land", "16", y2022, y2022, "44200 derived"},
		// Shares: estimated, along the chain too.
		{"ew", "kreis", "15901", "2021-01-01", y2019, "300 estimated"},
		{"ew", "kreis", "15902", "2021-01-01", y2019, "700 estimated"},
		{"ew", "kreis", "15903", "2023-01-01", y2019, "300 estimated"},
		// Land 15 in 2019: 15900 alone; 15901 and 15902 did not exist yet.
		{"ew", "land", "15", y2019, y2019, "1000 derived"},
	})
}

// withheldRelations returns every additive relation among the published
// counts (computed here independently of Publish: hierarchy on the day of
// the period, schemes, groups, successions for periods before the
// successor began) with exactly one withheld cell, which subtraction would
// give away.
func withheldRelations(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		WITH c AS (
		    SELECT c.*, a.level, a.code, a.parent_level, a.parent_code, a.valid_from, a.valid_to
		    FROM published_cell c JOIN area a ON a.id = c.area_id JOIN indicator i ON i.key = c.indicator
		    WHERE i.kind = 'count' AND (c.value IS NOT NULL OR c.suppressed IS NOT NULL)
		), rel AS (
		    SELECT 'hierarchy' AS kind, p.indicator, p.period, p.level || ' ' || p.code AS total,
		           p.suppressed AS total_supp, k.suppressed AS member_supp
		    FROM c p JOIN c k ON k.parent_level = p.level AND k.parent_code = p.code
		     AND k.indicator = p.indicator AND k.period = p.period
		     AND daterange(k.valid_from, k.valid_to, '[]') @> greatest(least(p.period, p.valid_to), p.valid_from)
		    UNION ALL
		    SELECT 'scheme', p.indicator, p.period, p.level || ' ' || p.code, p.suppressed, k.suppressed
		    FROM c p JOIN area_member m ON m.group_id = p.area_id
		    JOIN c k ON k.area_id = m.member_id AND k.indicator = p.indicator AND k.period = p.period
		    UNION ALL
		    SELECT 'group ' || g.key, p.indicator, p.period, p.level || ' ' || p.code, p.suppressed, k.suppressed
		    FROM indicator_group g JOIN c p ON p.indicator = g.total
		    JOIN indicator_group_member gm ON gm.group_key = g.key
		    JOIN c k ON k.indicator = gm.indicator AND k.area_id = p.area_id AND k.period = p.period
		    UNION ALL
		    SELECT 'succession', p.indicator, p.period, p.level || ' ' || p.code, p.suppressed, k.suppressed
		    FROM c p JOIN area_succession s ON s.successor_id = p.area_id
		    JOIN c k ON k.area_id = s.predecessor_id AND k.indicator = p.indicator AND k.period = p.period
		    WHERE p.period < p.valid_from
		)
		SELECT kind, indicator, period::text, total
		FROM rel
		GROUP BY kind, indicator, period, total, total_supp
		HAVING (total_supp IS NOT NULL)::int + count(member_supp) = 1
		ORDER BY 1, 2, 3, 4`)
	if err != nil {
		t.Fatalf("relations: %v", err)
	}
	var out []string
	for rows.Next() {
		var kind, ind, period, total string
		if err := rows.Scan(&kind, &ind, &period, &total); err != nil {
			t.Fatalf("relations: %v", err)
		}
		out = append(out, fmt.Sprintf("%s %s %s %s", kind, ind, period, total))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("relations: %v", err)
	}
	return out
}

// suppressedCells lists the withheld cells as "indicator level code period reason".
func suppressedCells(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT c.indicator || ' ' || a.level || ' ' || a.code || ' ' || c.period || ' ' || c.suppressed
		FROM published_cell c JOIN area a ON a.id = c.area_id
		WHERE c.suppressed IS NOT NULL ORDER BY 1`)
	if err != nil {
		t.Fatalf("suppressed cells: %v", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("suppressed cells: %v", err)
	}
	return out
}

func TestPublishDisclosure(t *testing.T) {
	pool := pgtest.NewDB(t)
	const p, y2018 = "2022-12-31", "2018-12-31"
	stmts := []string{
		pubBatch,
		pubCount("ew", 3), pubCount("u18", 3), pubCount("a18_64", 3), pubCount("a65", 3),
		pubCount("alo", 3), pubCount("flaeche", 0),
		pubRate("alo_q", "alo", "ew", 100, 10),
		`INSERT INTO indicator_group (key, title, total) VALUES ('alter', 'Altersgruppen', 'ew')`,
		`INSERT INTO indicator_group_member (group_key, indicator) VALUES ('alter', 'u18'), ('alter', 'a18_64'), ('alter', 'a65')`,
		`INSERT INTO level (name, title, member_level) VALUES ('sozialraum', 'Sozialräume', 'gemeinde')`,
		pubArea("land", "01", "", "", "", ""),
		pubArea("kreis", "01001", "land", "01", "", ""),
		pubArea("kreis", "01002", "land", "01", "", ""),
		pubArea("sozialraum", "SR1", "", "", "", ""),
		pubArea("sozialraum", "SR2", "", "", "", ""),
	}
	gemeinden := []struct {
		code, kreis   string
		ew, alo, flae float64
		bands         []float64 // u18, a18_64, a65
	}{
		{"010010000011", "01001", 2, 0, 1, nil},
		{"010010000012", "01001", 10, 3, 5, nil},
		{"010010000013", "01001", 7, 5, 2, nil},
		{"010010000014", "01001", 20, 2, 8, nil},
		{"010020000021", "01002", 50, 10, 12, []float64{1, 30, 19}},
		{"010020000022", "01002", 60, 12, 9, []float64{12, 40, 8}},
	}
	for _, g := range gemeinden {
		stmts = append(stmts,
			pubArea("gemeinde", g.code, "kreis", g.kreis, "", ""),
			pubObs("ew", "gemeinde", g.code, p, p, fmt.Sprint(g.ew)),
			pubObs("alo", "gemeinde", g.code, p, p, fmt.Sprint(g.alo)),
			pubObs("flaeche", "gemeinde", g.code, p, p, fmt.Sprint(g.flae)))
		for i, band := range []string{"u18", "a18_64", "a65"} {
			if g.bands != nil {
				stmts = append(stmts, pubObs(band, "gemeinde", g.code, p, p, fmt.Sprint(g.bands[i])))
			}
		}
	}
	stmts = append(stmts,
		`INSERT INTO area_member (group_id, member_id)
		 SELECT s.id, g.id FROM area s, area g
		 WHERE (s.code = 'SR1' AND g.code IN ('010010000012', '010010000013', '010010000014'))
		    OR (s.code = 'SR2' AND g.code IN ('010020000021', '010020000022'))`,
		// Two Kreise merged on 2021-07-01; 2018 on the old ones.
		pubArea("kreis", "01003", "land", "01", "", "2021-06-30"),
		pubArea("kreis", "01004", "land", "01", "", "2021-06-30"),
		pubArea("kreis", "01005", "land", "01", "2021-07-01", ""),
		pubSuccession("kreis", "01003", "2021-06-30", "01005", "2021-07-01", 1, true),
		pubSuccession("kreis", "01004", "2021-06-30", "01005", "2021-07-01", 1, true),
		pubObs("ew", "kreis", "01003", y2018, y2018, "2"),
		pubObs("ew", "kreis", "01004", y2018, y2018, "500"),
		// Kept secret by the source.
		pubObs("alo", "kreis", "01004", y2018, y2018, ""),
	)
	pubFixture(t, pool, stmts...)
	publishNow(t, pool)

	if bad := withheldRelations(t, pool); len(bad) > 0 {
		t.Errorf("relations with exactly one withheld cell:\n%s", strings.Join(bad, "\n"))
	}
	want := []string{
		"a65 gemeinde 010020000021 2022-12-31 secondary",
		"a65 gemeinde 010020000022 2022-12-31 secondary",
		"alo gemeinde 010010000012 2022-12-31 secondary",
		"alo gemeinde 010010000014 2022-12-31 primary",
		"alo kreis 01004 2018-12-31 source",
		"alo_q gemeinde 010010000011 2022-12-31 primary",
		"alo_q gemeinde 010010000012 2022-12-31 secondary",
		"alo_q gemeinde 010010000013 2022-12-31 primary",
		"alo_q gemeinde 010010000014 2022-12-31 primary",
		"alo_q kreis 01004 2018-12-31 source",
		"ew gemeinde 010010000011 2022-12-31 primary",
		"ew gemeinde 010010000012 2022-12-31 secondary",
		"ew gemeinde 010010000013 2022-12-31 secondary",
		"ew kreis 01003 2018-12-31 primary",
		"ew kreis 01004 2018-12-31 secondary",
		"u18 gemeinde 010020000021 2022-12-31 primary",
		"u18 gemeinde 010020000022 2022-12-31 secondary",
	}
	if got := suppressedCells(t, pool); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("suppressed cells:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	checkCells(t, pool, []cellCase{
		// The true value stays; zeros and areas are shown.
		{"ew", "gemeinde", "010010000011", p, p, "2 measured suppressed:primary"},
		{"alo", "gemeinde", "010010000011", p, p, "0 measured"},
		{"flaeche", "gemeinde", "010010000011", p, p, "1 measured"},
		{"flaeche", "kreis", "01001", p, p, "16 derived"},
		{"ew", "kreis", "01001", p, p, "39 derived"},
		{"ew", "sozialraum", "SR1", p, p, "37 derived"},
		{"ew", "kreis", "01005", "2021-07-01", y2018, "502 derived"},
		{"alo", "kreis", "01005", "2021-07-01", y2018, "absent"},
		{"alo_q", "kreis", "01004", y2018, y2018, "NULL suppressed (NULL/500) suppressed:source"},
	})
}

// cellDump lists every cell, for comparing two runs.
func cellDump(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT format('%s %s %s %s %s %s %s %s %s', indicator, area_id, period, value, numerator,
		              denominator, status, incomplete, suppressed)
		FROM published_cell ORDER BY indicator, area_id, period`)
	if err != nil {
		t.Fatalf("cells: %v", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("cells: %v", err)
	}
	return out
}

func TestPublishIdempotent(t *testing.T) {
	pool := pgtest.NewDB(t)
	const p = "2022-12-31"
	pubFixture(t, pool,
		pubBatch,
		pubCount("ew", 3),
		pubArea("kreis", "01001", "", "", "", ""),
		pubArea("gemeinde", "010010000001", "kreis", "01001", "", ""),
		pubArea("gemeinde", "010010000002", "kreis", "01001", "", ""),
		pubArea("gemeinde", "010010000003", "kreis", "01001", "", ""),
		pubObs("ew", "gemeinde", "010010000001", p, p, "1"),
		pubObs("ew", "gemeinde", "010010000002", p, p, "40"),
		pubObs("ew", "gemeinde", "010010000003", p, p, "30"),
	)
	version := func() int64 {
		var v int64
		if err := pool.QueryRow(context.Background(), `SELECT version FROM data_version`).Scan(&v); err != nil {
			t.Fatalf("data version: %v", err)
		}
		return v
	}
	v0 := version()
	publishNow(t, pool)
	first := cellDump(t, pool)
	if v := version(); v != v0+1 {
		t.Errorf("data version after the first run: %d, want %d", v, v0+1)
	}
	publishNow(t, pool)
	if v := version(); v != v0+2 {
		t.Errorf("data version after the second run: %d, want %d", v, v0+2)
	}
	second := cellDump(t, pool)
	if strings.Join(first, "\n") != strings.Join(second, "\n") {
		t.Errorf("cells differ between runs:\n%s\n---\n%s", strings.Join(first, "\n"), strings.Join(second, "\n"))
	}
	if len(first) != 4 {
		t.Errorf("%d cells, want 4:\n%s", len(first), strings.Join(first, "\n"))
	}

	// A reverted batch's observations are no longer published (RevertBatch
	// deletes them).
	pubFixture(t, pool, `UPDATE import_batch SET reverted_at = now()`,
		`DELETE FROM observation`, `DELETE FROM observation_extent`)
	publishNow(t, pool)
	if got := cellDump(t, pool); len(got) != 0 {
		t.Errorf("cells of a reverted batch:\n%s", strings.Join(got, "\n"))
	}
}

func TestPublishScope(t *testing.T) {
	pool := pgtest.NewDB(t)
	const p, q = "2021-12-31", "2022-12-31"
	pubFixture(t, pool,
		pubBatch,
		pubCount("ew", 3), pubCount("alo", 3), pubCount("x", 3), pubRate("quote", "alo", "ew", 100, 10),
		pubArea("kreis", "01001", "", "", "", ""),
		pubArea("gemeinde", "010010000001", "kreis", "01001", "", ""),
		pubArea("gemeinde", "010010000002", "kreis", "01001", "", ""),
	)
	for _, per := range []string{p, q} {
		pubFixture(t, pool,
			pubObs("ew", "gemeinde", "010010000001", per, per, "100"),
			pubObs("alo", "gemeinde", "010010000001", per, per, "10"),
			pubObs("x", "gemeinde", "010010000001", per, per, "5"),
			pubObs("ew", "gemeinde", "010010000002", per, per, "200"),
			pubObs("alo", "gemeinde", "010010000002", per, per, "20"),
			pubObs("x", "gemeinde", "010010000002", per, per, "7"))
	}
	publishNow(t, pool)
	full := cellDump(t, pool)

	// Change ew in one period and publish only ew there: the rate over it
	// follows, other periods and unrelated indicators keep their cells.
	pubFixture(t, pool, `UPDATE observation SET value = 300 WHERE indicator = 'ew' AND value = 200 AND period = '2022-12-31'`)
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		return NewStore(pool, nil).PublishScope(ctx, tx, PublishScope{
			Indicators: []string{"ew"},
			Periods:    []time.Time{time.Date(2022, 12, 31, 0, 0, 0, 0, time.UTC)},
		})
	})
	if err != nil {
		t.Fatalf("PublishScope: %v", err)
	}
	scoped := cellDump(t, pool)
	publishNow(t, pool)
	if again := cellDump(t, pool); strings.Join(scoped, "\n") != strings.Join(again, "\n") {
		t.Errorf("scoped run differs from a full run:\n%s\n---\n%s", strings.Join(scoped, "\n"), strings.Join(again, "\n"))
	}
	if len(scoped) != len(full) {
		t.Errorf("%d cells after the scoped run, %d before", len(scoped), len(full))
	}
	checkCells(t, pool, []cellCase{
		{"quote", "kreis", "01001", q, q, "7.5 derived (30/400)"},
		{"quote", "kreis", "01001", p, p, "10 derived (30/300)"},
	})
}

func TestWiden(t *testing.T) {
	p := &publisher{cat: map[string]catIndicator{
		"ew":    {key: "ew", kind: "count", groups: []string{"alter"}},
		"u18":   {key: "u18", kind: "count", groups: []string{"alter"}},
		"w":     {key: "w", kind: "count", combine: map[string]float64{"ew": 1, "m": -1}},
		"m":     {key: "m", kind: "count"},
		"q":     {key: "q", kind: "rate", numerator: "u18", denominator: "ew"},
		"alo":   {key: "alo", kind: "count"},
		"aloq":  {key: "aloq", kind: "rate", numerator: "alo", denominator: "sgb"},
		"sgb":   {key: "sgb", kind: "count"},
		"other": {key: "other", kind: "value"},
	}}
	tests := []struct {
		in, want []string
	}{
		{nil, []string{"alo", "aloq", "ew", "m", "other", "q", "sgb", "u18", "w"}},
		{[]string{"u18"}, []string{"ew", "m", "q", "u18", "w"}},
		{[]string{"aloq"}, []string{"alo", "aloq", "sgb"}},
		{[]string{"other"}, []string{"other"}},
	}
	for _, tt := range tests {
		got := p.widen(tt.in)
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("widen(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestPublishMeanAndCombine(t *testing.T) {
	pool := pgtest.NewDB(t)
	const p = "2022-12-31"
	pubFixture(t, pool,
		pubBatch,
		pubCount("ew", 3), pubCount("m", 3),
		`INSERT INTO indicator (key, position, title, category, polarity, kind, combine)
		 VALUES ('w', 0, 'w', 'Demografie', 'neutral', 'count', '{"ew": 1, "m": -1}')`,
		`INSERT INTO indicator (key, position, title, category, polarity, kind, weight)
		 VALUES ('alter', 0, 'alter', 'Demografie', 'neutral', 'mean', 'ew')`,
		pubArea("kreis", "01001", "", "", "", ""),
		pubArea("gemeinde", "010010000001", "kreis", "01001", "", ""),
		pubArea("gemeinde", "010010000002", "kreis", "01001", "", ""),
		pubObs("ew", "gemeinde", "010010000001", p, p, "100"),
		pubObs("m", "gemeinde", "010010000001", p, p, "40"),
		pubObs("alter", "gemeinde", "010010000001", p, p, "40"),
		pubObs("ew", "gemeinde", "010010000002", p, p, "300"),
		pubObs("m", "gemeinde", "010010000002", p, p, "150"),
		pubObs("alter", "gemeinde", "010010000002", p, p, "48"),
		// Imported where it exists: the combination is not used there.
		pubObs("w", "gemeinde", "010010000002", p, p, "151"),
	)
	publishNow(t, pool)
	checkCells(t, pool, []cellCase{
		{"w", "gemeinde", "010010000001", p, p, "60 derived"},
		{"w", "gemeinde", "010010000002", p, p, "151 measured"},
		{"w", "kreis", "01001", p, p, "211 derived"},
		{"alter", "gemeinde", "010010000001", p, p, "40 measured (4000/100)"},
		// (40×100 + 48×300) / 400, not the mean of 40 and 48.
		{"alter", "kreis", "01001", p, p, "46 derived (18400/400)"},
	})
}
