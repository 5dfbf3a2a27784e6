package indicators

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sozialatlas/sozialatlas/geo/cql2"
	"github.com/sozialatlas/sozialatlas/geo/oapif"
	"github.com/sozialatlas/sozialatlas/indicators/spatial"
)

// Derived properties of an indicator KEY, usable in filters, sortby and
// indicators=: its change from period2 to period (KEY_change), its
// difference from and ratio to the same indicator of the area's parent in
// the same period (KEY_parent_diff, KEY_parent_ratio), and its LISA
// cluster among the areas of the level (KEY_lisa: hh, ll, hl, lh, or ns
// where not significant; spatial_store.go with queen contiguity, 999
// permutations, seed 1, alpha 0.05). Each is computed
// from the values as published — rounded to the indicator's decimals,
// NULL where either side is withheld or missing — so that it shows
// nothing a reader could not subtract or divide from published figures,
// and a withheld value makes no derived value match a condition.
const (
	derivedChange      = "change"
	derivedParentDiff  = "parent_diff"
	derivedParentRatio = "parent_ratio"
	derivedLISA        = "lisa"
)

var derivedKinds = []string{derivedChange, derivedParentDiff, derivedParentRatio, derivedLISA}

// The LISA clusters of KEY_lisa: the defaults of /indicators/{key}/local.
const (
	lisaWeights      = "queen"
	lisaPermutations = 999
	lisaSeed         = 1
	lisaAlpha        = 0.05
)

// ratioDecimals rounds parent ratios: 1.2345 is finer than any published
// figure a reader would compare.
const ratioDecimals = 4

// derivedOf splits name into an indicator of the catalogue and a derived
// kind ("" for the indicator itself); i < 0 when name is neither. An
// indicator whose key looks like a derived name is itself first.
func derivedOf(catalogue []Indicator, name string) (i int, kind string) {
	if i = slices.IndexFunc(catalogue, func(ind Indicator) bool { return ind.Key == name }); i >= 0 {
		return i, ""
	}
	for _, k := range derivedKinds {
		if base, ok := strings.CutSuffix(name, "_"+k); ok {
			if i = slices.IndexFunc(catalogue, func(ind Indicator) bool { return ind.Key == base }); i >= 0 {
				return i, k
			}
		}
	}
	return -1, ""
}

// derivedQueryables are the derived properties of ind, for the queryables.
func derivedQueryables(ind Indicator, unit string) []oapif.Queryable {
	diffUnit := unit
	if ind.Kind == Rate && unit == "%" {
		diffUnit = "Prozentpunkte"
	}
	suffix := ""
	if diffUnit != "" {
		suffix = " (" + diffUnit + ")"
	}
	return []oapif.Queryable{
		{Name: ind.Key + "_" + derivedChange, Type: cql2.TypeNumber,
			Title: ind.Title + ": Veränderung" + suffix,
			Description: "Wert in period minus Wert in period2 (period2 ist anzugeben), " +
				"aus den veröffentlichten Werten; leer, wo einer fehlt oder gesperrt ist."},
		{Name: ind.Key + "_" + derivedParentDiff, Type: cql2.TypeNumber,
			Title:       ind.Title + ": Abstand zum übergeordneten Gebiet" + suffix,
			Description: "Wert minus Wert des übergeordneten Gebiets im selben Zeitraum."},
		{Name: ind.Key + "_" + derivedParentRatio, Type: cql2.TypeNumber,
			Title:       ind.Title + ": Verhältnis zum übergeordneten Gebiet",
			Description: "Wert geteilt durch den Wert des übergeordneten Gebiets im selben Zeitraum (1 = gleich)."},
		{Name: ind.Key + "_" + derivedLISA, Type: cql2.TypeString,
			Title: ind.Title + ": LISA-Cluster",
			Description: "Lokales Moran's I (Queen-Nachbarschaft, 999 Permutationen, Signifikanz 5 %): " +
				"hh (hoch-hoch), ll (niedrig-niedrig), hl, lh, ns (nicht signifikant); leer ohne Wert, Geometrie oder Nachbarn."},
	}
}

// sqlFilterParentJoin makes the published value of the parent of each area
// version a (the parent's latest version with a cell in the period) a
// column v of alias %[1]s.
const sqlFilterParentJoin = `
LEFT JOIN (SELECT DISTINCT ON (p.level, p.code) p.level, p.code,
		round((` + sqlShownValue + `)::numeric, @%[1]s_d::integer) AS v
	FROM published_cell c JOIN area p ON p.id = c.area_id
	WHERE c.indicator = @%[1]s_k AND c.period = @%[1]s_p::date
	ORDER BY p.level, p.code, p.valid_from DESC NULLS LAST) %[1]s
	ON %[1]s.level = a.parent_level AND %[1]s.code = a.parent_code`

// LISASuffix marks the derived property KEY_lisa, ChangeSuffix KEY_change.
const (
	LISASuffix   = "_" + derivedLISA
	ChangeSuffix = "_" + derivedChange
)

// LISAClusters are the LISA clusters of KEY_lisa (code → hh, ll, hl, lh
// or ns) of ind's published values in period at the level's areas valid
// on day; empty where no area takes part.
func (s *Store) LISAClusters(ctx context.Context, ind Indicator, level string, period, day time.Time) (map[string]string, error) {
	res, err := s.LocalClusters(ctx, ind, SpatialQuery{Level: level, Period: &period, Day: day,
		Weights: lisaWeights, Permutations: lisaPermutations, Seed: lisaSeed}, lisaAlpha)
	switch {
	case errors.Is(err, ErrNoValues), errors.Is(err, spatial.ErrTooFew):
		return map[string]string{}, nil
	case err != nil:
		return nil, fmt.Errorf("%s%s: %w", ind.Key, LISASuffix, err)
	}
	out := make(map[string]string, len(res))
	for code, c := range res {
		out[code] = c.Cluster
	}
	return out, nil
}

// sqlFilterLISAJoin makes the LISA clusters, computed in Go, a column v of
// alias %[1]s, matched by code.
const sqlFilterLISAJoin = `
LEFT JOIN unnest(@%[1]s_codes::text[], @%[1]s_clusters::text[]) AS %[1]s(code, v) ON %[1]s.code = a.code`

// lisaColumn computes the LISA clusters of ind at the request's level and
// adds them to cols under alias.
func (j *join) lisaColumn(ctx context.Context, joins *strings.Builder, cols oapif.FilterColumns, alias string,
	req oapif.PropertyRequest, ind Indicator, period *time.Time) error {
	day := time.Now().UTC().Truncate(24 * time.Hour)
	if req.Period.Explicit && req.Period.From != nil {
		day = *req.Period.From
	}
	var codes, clusters []string
	if period != nil {
		res, err := j.store.LISAClusters(ctx, ind, req.Level, *period, day)
		if err != nil {
			return err
		}
		for code, c := range res {
			codes, clusters = append(codes, code), append(clusters, c)
		}
	}
	fmt.Fprintf(joins, sqlFilterLISAJoin, alias)
	cols.Args[alias+"_codes"], cols.Args[alias+"_clusters"] = codes, clusters
	return nil
}

// joinPeriod2 reads period2, nil without one.
func joinPeriod2(req oapif.PropertyRequest) (*time.Time, error) {
	v := req.Query.Get("period2")
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return nil, joinBad("period2", "%q is not a date (2018-12-31)", v)
	}
	return &t, nil
}

// derivedColumn adds the joins and arguments of one property to cols under
// alias and returns its SQL expression.
func derivedColumn(joins *strings.Builder, cols oapif.FilterColumns, alias string, ind Indicator, kind string,
	period, period2 *time.Time) string {
	value := func(a string, p *time.Time) {
		fmt.Fprintf(joins, sqlFilterJoin, a)
		cols.Args[a+"_k"], cols.Args[a+"_p"], cols.Args[a+"_d"] = ind.Key, p, ind.Decimals
	}
	value(alias, period)
	switch kind {
	case derivedChange:
		value(alias+"_b", period2)
		return fmt.Sprintf("(%[1]s.v - %[1]s_b.v)", alias)
	case derivedParentDiff, derivedParentRatio:
		fmt.Fprintf(joins, sqlFilterParentJoin, alias+"_p")
		cols.Args[alias+"_p_k"], cols.Args[alias+"_p_p"], cols.Args[alias+"_p_d"] = ind.Key, period, ind.Decimals
		if kind == derivedParentDiff {
			return fmt.Sprintf("(%[1]s.v - %[1]s_p.v)", alias)
		}
		return fmt.Sprintf("round(%[1]s.v / nullif(%[1]s_p.v, 0), %[2]d)", alias, ratioDecimals)
	}
	return alias + ".v"
}

// sqlDerivedValues reads derived properties of the response's area
// versions: %s are the expressions, then the joins.
const sqlDerivedValues = `SELECT a.id%s
FROM area a %s
WHERE a.level = @level AND ` + sqlJoinVersions

// derivedValues reads the derived properties names of every area version
// of the response, as text of numerics, by area version.
func (j *join) derivedValues(ctx context.Context, req oapif.PropertyRequest, names []string) (map[int64][]*string, error) {
	cols, err := j.FilterColumns(ctx, req, names)
	if err != nil {
		return nil, err
	}
	var exprs strings.Builder
	for _, n := range names {
		fmt.Fprintf(&exprs, ", (%s)::text", cols.Exprs[n])
	}
	args := versionArgs(req)
	for k, v := range cols.Args {
		args[k] = v
	}
	rows, err := j.store.pool.Query(ctx, fmt.Sprintf(sqlDerivedValues, exprs.String(), cols.Joins), pgx.QueryExecModeExec, args)
	if err != nil {
		return nil, fmt.Errorf("derived properties: %w", err)
	}
	defer rows.Close()
	out := map[int64][]*string{}
	dest := make([]any, 1+len(names))
	var id int64
	dest[0] = &id
	for rows.Next() {
		vs := make([]*string, len(names))
		for i := range vs {
			dest[i+1] = &vs[i]
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("derived properties: %w", err)
		}
		out[id] = vs
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("derived properties: %w", err)
	}
	return out, nil
}
