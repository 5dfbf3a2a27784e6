package indicators

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/web"
	"github.com/sozialatlas/sozialatlas/indicators/spatial"
)

// Defaults and bounds of the spatial statistics' parameters.
const (
	defaultNeighbours   = 6
	maxNeighbours       = 50
	defaultPermutations = 999
	maxPermutations     = 9999
	defaultSeed         = 1
	defaultAlpha        = 0.05
)

// spatialParams reads weights, k, permutations and seed (and alpha for
// the local statistics).
func spatialParams(q url.Values, level string, period *time.Time, day time.Time) (SpatialQuery, float64, error) {
	sq := SpatialQuery{Level: level, Period: period, Day: day, Weights: geo.Queen,
		Permutations: defaultPermutations, Seed: defaultSeed}
	if v := q.Get("weights"); v != "" {
		if v != geo.Queen && v != geo.Rook && v != geo.KNearest {
			return sq, 0, badOutParam("weights", "%q is not a neighbourhood; use queen, rook or knn", v)
		}
		sq.Weights = v
	}
	switch v := q.Get("k"); {
	case v != "" && sq.Weights != geo.KNearest:
		return sq, 0, badOutParam("k", "given with weights=%s; k is the number of neighbours of weights=knn", sq.Weights)
	case v != "":
		k, err := strconv.Atoi(v)
		if err != nil || k < 1 || k > maxNeighbours {
			return sq, 0, badOutParam("k", "%q is not a number of neighbours from 1 to %d", v, maxNeighbours)
		}
		sq.K = k
	case sq.Weights == geo.KNearest:
		sq.K = defaultNeighbours
	}
	if v := q.Get("permutations"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 0 || p > maxPermutations {
			return sq, 0, badOutParam("permutations", "%q is not a number of permutations from 0 to %d", v, maxPermutations)
		}
		sq.Permutations = p
	}
	if v := q.Get("seed"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return sq, 0, badOutParam("seed", "%q is not a whole number from 0 to %d", v, uint64(math.MaxUint64))
		}
		sq.Seed = s
	}
	alpha := defaultAlpha
	if v := q.Get("alpha"); v != "" {
		a, err := strconv.ParseFloat(v, 64)
		if err != nil || !(a > 0 && a < 1) {
			return sq, 0, badOutParam("alpha", "%q is not a significance level between 0 and 1 (write 0.05 with a point)", v)
		}
		alpha = a
	}
	return sq, alpha, nil
}

// jsonFloat is a statistic; NaN and the infinities (a Z of an area at the
// mean, whose variance is 0) become null.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, float64(f), 'g', -1, 64), nil
}

// autocorrelationDoc is the JSON answer of /autocorrelation; /local adds
// alpha and the areas.
type autocorrelationDoc struct {
	Indicator string `json:"indicator"`
	Level     string `json:"level"`
	Period    string `json:"period"`
	Datetime  string `json:"datetime"`
	Weights   string `json:"weights"`
	K         int    `json:"k,omitempty"`
	Style     string `json:"style"`
	N         int    `json:"n"`
	Links     int    `json:"links"`

	I           jsonFloat `json:"I"`
	Expectation jsonFloat `json:"expectation"`
	Variance    jsonFloat `json:"variance"`
	Z           jsonFloat `json:"z"`
	Alternative string    `json:"alternative"`
	PNormal     jsonFloat `json:"p_normal"`

	Permutations    int        `json:"permutations"`
	Seed            string     `json:"seed"`
	PPermutation    *jsonFloat `json:"p_permutation"`
	PermutationMean *jsonFloat `json:"permutation_mean,omitempty"`
	PermutationSD   *jsonFloat `json:"permutation_sd,omitempty"`

	Islands         []AreaRef `json:"islands"`
	WithoutValue    []AreaRef `json:"without_value"`
	WithoutGeometry []AreaRef `json:"without_geometry"`

	Alpha *float64   `json:"alpha,omitempty"`
	Areas []localDoc `json:"areas,omitempty"`
}

// localDoc is one area of /local.
type localDoc struct {
	Code     string    `json:"code"`
	Name     string    `json:"name"`
	Value    jsonFloat `json:"value"`
	Ii       jsonFloat `json:"Ii"`
	EIi      jsonFloat `json:"E_Ii"`
	VarIi    jsonFloat `json:"Var_Ii"`
	ZIi      jsonFloat `json:"Z_Ii"`
	P        jsonFloat `json:"p"`
	Quadrant string    `json:"quadrant"`
	Cluster  string    `json:"cluster"`
	GiStar   jsonFloat `json:"gi_star"`
}

func orEmpty(a []AreaRef) []AreaRef {
	if a == nil {
		return []AreaRef{}
	}
	return a
}

func newAutocorrelationDoc(ind Indicator, q SpatialQuery, res SpatialResult) autocorrelationDoc {
	g := res.Global
	d := autocorrelationDoc{Indicator: ind.Key, Level: q.Level, Period: res.Period.Format(time.DateOnly),
		Datetime: q.Day.Format(time.DateOnly), Weights: q.Weights, K: q.K, Style: "W", N: g.N, Links: res.Links,
		I: jsonFloat(g.I), Expectation: jsonFloat(g.Expectation), Variance: jsonFloat(g.Variance), Z: jsonFloat(g.Z),
		Alternative: "greater", PNormal: jsonFloat(g.PNormal),
		Permutations: q.Permutations, Seed: strconv.FormatUint(q.Seed, 10),
		Islands: orEmpty(res.Islands), WithoutValue: orEmpty(res.WithoutValue), WithoutGeometry: orEmpty(res.NoGeometry)}
	if q.Permutations > 0 {
		p, m, sd := jsonFloat(res.Permutation.P), jsonFloat(res.Permutation.Mean), jsonFloat(res.Permutation.SD)
		d.PPermutation, d.PermutationMean, d.PermutationSD = &p, &m, &sd
	}
	return d
}

// spatialRequest reads what both resources take and computes; it answers
// itself and returns ok false on any error.
func (o *outputs) spatialRequest(w http.ResponseWriter, r *http.Request, local bool, offers ...string) (
	ind Indicator, q SpatialQuery, alpha float64, res SpatialResult, mt string, ok bool) {
	qv := r.URL.Query()
	allowed := []string{"datetime", "f", "k", "level", "period", "permutations", "seed", "weights"}
	if local {
		allowed = append(allowed, "alpha")
	}
	period, day, err := outPeriodDay(qv, allowed...)
	if err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	boundaries := outToday(day)
	if q, alpha, err = spatialParams(qv, qv.Get("level"), period, boundaries); err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	if mt = outFormat(w, r, offers...); mt == "" {
		return
	}
	if ind, ok = o.indicator(w, r); !ok {
		return
	}
	l, ok := o.level(w, r, q.Level)
	if !ok {
		return
	}
	q.Level = l.Name
	res, err = o.store.Autocorrelation(r.Context(), ind, q, local)
	switch {
	case errors.Is(err, ErrNoValues):
		noLevelValues(w, r, ind, l.Name, period, boundaries)
		return ind, q, alpha, res, mt, false
	case errors.Is(err, spatial.ErrTooFew):
		web.WriteProblem(w, r, web.Problem{Status: http.StatusUnprocessableEntity,
			Detail: fmt.Sprintf("Indicator %q has fewer than four areas of level %q with a value and a neighbour with a value, or the same value at all of them: there is no spatial autocorrelation to measure.", ind.Key, l.Name)})
		return ind, q, alpha, res, mt, false
	case err != nil:
		o.fail(w, r, err)
		return ind, q, alpha, res, mt, false
	}
	return ind, q, alpha, res, mt, true
}

// autocorrelation answers /indicators/{key}/autocorrelation: global
// Moran's I of the indicator over a level.
func (o *outputs) autocorrelation(w http.ResponseWriter, r *http.Request) {
	ind, q, _, res, _, ok := o.spatialRequest(w, r, false, outMediaJSON)
	if !ok {
		return
	}
	web.WriteJSON(w, r, o.log, http.StatusOK, outMediaJSON, newAutocorrelationDoc(ind, q, res))
}

// local answers /indicators/{key}/local: local Moran, its clusters and
// Gi* for every area of a level, as JSON or as a German CSV table.
func (o *outputs) local(w http.ResponseWriter, r *http.Request) {
	ind, q, alpha, res, mt, ok := o.spatialRequest(w, r, true, outMediaJSON, outMediaCSV)
	if !ok {
		return
	}
	if mt == outMediaCSV {
		o.localCSV(w, r, ind, q, alpha, res)
		return
	}
	d := newAutocorrelationDoc(ind, q, res)
	d.Alpha = &alpha
	d.Areas = make([]localDoc, len(res.Areas))
	for i, a := range res.Areas {
		d.Areas[i] = localDoc{Code: a.Code, Name: a.Name, Value: jsonFloat(a.Value),
			Ii: jsonFloat(a.Ii), EIi: jsonFloat(a.EIi), VarIi: jsonFloat(a.VarIi), ZIi: jsonFloat(a.ZIi),
			P: jsonFloat(a.P), Quadrant: string(a.Quadrant), Cluster: lisaCluster(a.Local, alpha), GiStar: jsonFloat(a.GiStar)}
	}
	web.WriteJSON(w, r, o.log, http.StatusOK, outMediaJSON, d)
}

// Labels of the areas the local statistics leave out, in the CSV.
var leftOutLabels = map[string]string{
	"island":   "keine Nachbarn mit Wert",
	"no value": "ohne Wert",
	"no geom":  "ohne Geometrie",
}

// localCSV writes one row per area: the statistics, then the areas left
// out with the reason in the cluster column.
func (o *outputs) localCSV(w http.ResponseWriter, r *http.Request, ind Indicator, q SpatialQuery, alpha float64, res SpatialResult) {
	stat := func(title string) outColumn { return outColumn{Title: title, Numeric: true, Decimals: 6, Width: 14} }
	cols := []outColumn{
		{Title: "Schlüssel", Width: 14},
		{Title: "Name", Width: 40},
		{Title: valueTitle(ind.Unit), Numeric: true, Decimals: ind.Decimals, Width: 14},
		stat("Ii"), stat("E(Ii)"), stat("Var(Ii)"), stat("Z(Ii)"), stat("p (Permutation)"),
		{Title: "Quadrant", Width: 10},
		{Title: fmt.Sprintf("Cluster (p < %s)", strconv.FormatFloat(alpha, 'f', -1, 64)), Width: 24},
		stat("Gi* (z)"),
	}
	tw, err := startTable(w, outMediaCSV, outTable{
		File:    fmt.Sprintf("%s_%s_%s_lisa_%s", ind.Key, q.Level, res.Period.Format(time.DateOnly), q.Weights),
		Columns: cols,
	})
	if err != nil {
		w.Header().Del("Content-Disposition")
		o.fail(w, r, err)
		return
	}
	num := func(f float64) string {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return ""
		}
		return string(appendStat(nil, f))
	}
	for _, a := range res.Areas {
		row := []string{a.Code, a.Name, string(appendPublished(nil, a.Value, ind.Decimals)),
			num(a.Ii), num(a.EIi), num(a.VarIi), num(a.ZIi), num(a.P), string(a.Quadrant), lisaCluster(a.Local, alpha), num(a.GiStar)}
		if err := tw.Row(row); err != nil {
			o.abort(r, "local", err)
		}
	}
	for _, left := range []struct {
		areas  []AreaRef
		reason string
	}{{res.Islands, "island"}, {res.WithoutValue, "no value"}, {res.NoGeometry, "no geom"}} {
		for _, a := range left.areas {
			if err := tw.Row([]string{a.Code, a.Name, "", "", "", "", "", "", "", leftOutLabels[left.reason], ""}); err != nil {
				o.abort(r, "local", err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		o.abort(r, "local", err)
	}
}

// appendStat writes a statistic as a plain decimal with six places, as
// the numeric columns of the tables want it (no exponent).
func appendStat(dst []byte, f float64) []byte {
	return strconv.AppendFloat(dst, f, 'f', 6, 64)
}
