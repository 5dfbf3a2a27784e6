package indicators

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/web"
	"github.com/sozialatlas/sozialatlas/indicators/cluster"
)

// Bounds of the parameters of /areas/{level}/types.
const (
	typesMethodKMeans = "kmeans"
	typesMethodWard   = "ward"
	minTypes          = 2
	maxTypes          = 20
	maxTypeIndicators = 12
	defaultNStart     = 10
	maxNStart         = 100
	defaultTypesSeed  = 1
	// maxTypesSeed keeps the seed exact in JSON, whose readers in
	// JavaScript hold numbers as doubles.
	maxTypesSeed = 1<<53 - 1
	// maxWardAreas bounds Ward's clustering, whose time grows with the
	// square of the areas (its memory only linearly): all 10,997
	// Gemeinden by four indicators took 0.97 s over HTTP
	// (BenchmarkAreaTypesGemeinden), so every Gemeinde of Germany fits.
	maxWardAreas = 12000
)

// typesParams are the parameters of a typology besides period and
// datetime.
type typesParams struct {
	keys   []string
	method string
	k      int
	seed   uint64
	nstart int
}

func readTypesParams(q url.Values) (typesParams, error) {
	p := typesParams{method: q.Get("method"), seed: defaultTypesSeed, nstart: defaultNStart}
	s := q.Get("indicators")
	if s == "" {
		return p, badOutParam("indicators", "missing; name the indicators of the profile, e.g. indicators=anteil_65plus,jugendquotient,dichte")
	}
	for _, k := range strings.Split(s, ",") {
		k = strings.TrimSpace(k)
		if k == "" {
			return p, badOutParam("indicators", "%q has an empty key; separate the keys by single commas", s)
		}
		if slices.Contains(p.keys, k) {
			return p, badOutParam("indicators", "%s is named twice; name each indicator once", k)
		}
		p.keys = append(p.keys, k)
	}
	if len(p.keys) > maxTypeIndicators {
		return p, badOutParam("indicators", "%d indicators; name at most %d", len(p.keys), maxTypeIndicators)
	}
	switch p.method {
	case "":
		p.method = typesMethodKMeans
	case typesMethodKMeans, typesMethodWard:
	default:
		return p, badOutParam("method", "%q is not a method; use kmeans or ward", p.method)
	}
	s = q.Get("k")
	if s == "" {
		return p, badOutParam("k", "missing; give the number of types, %d to %d", minTypes, maxTypes)
	}
	k, err := strconv.Atoi(s)
	if err != nil || k < minTypes || k > maxTypes {
		return p, badOutParam("k", "%q is not a number of types from %d to %d", s, minTypes, maxTypes)
	}
	p.k = k
	for _, name := range []string{"seed", "nstart"} {
		if q.Has(name) && p.method != typesMethodKMeans {
			return p, badOutParam(name, "given with method %s, which draws nothing at random; %s is for method kmeans", p.method, name)
		}
	}
	if s := q.Get("seed"); s != "" {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err != nil || seed > maxTypesSeed {
			return p, badOutParam("seed", "%q is not a whole number from 0 to %d", s, uint64(maxTypesSeed))
		}
		p.seed = seed
	}
	if s := q.Get("nstart"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxNStart {
			return p, badOutParam("nstart", "%q is not a number of starts from 1 to %d", s, maxNStart)
		}
		p.nstart = n
	}
	return p, nil
}

// typesDoc is the JSON answer of /areas/{level}/types.
type typesDoc struct {
	Level    string `json:"level"`
	Period   string `json:"period"`
	Datetime string `json:"datetime"`
	Method   string `json:"method"`
	K        int    `json:"k"`
	// kmeans only
	Seed       *uint64 `json:"seed,omitempty"`
	NStart     int     `json:"nstart,omitempty"`
	Iterations int     `json:"iterations,omitempty"`
	Converged  *bool   `json:"converged,omitempty"`
	// Standardisation states how the indicators were made comparable;
	// Indicators give each one's mean and standard deviation over the
	// typed areas.
	Standardisation string          `json:"standardisation"`
	Indicators      []typeIndicator `json:"indicators"`
	// Typed counts the areas with every value published.
	Typed int `json:"typed"`
	// Sums of squares of the standardised values: about the overall mean,
	// within the types, and the share between the types (1 − within /
	// total).
	TotalSS      float64       `json:"total_ss"`
	WithinSS     float64       `json:"within_ss"`
	BetweenShare float64       `json:"between_ss_share"`
	Types        []typeDoc     `json:"types"`
	Areas        []typedArea   `json:"areas"`
	Excluded     []typeLeftOut `json:"excluded"`
}

type typeIndicator struct {
	Key      string  `json:"key"`
	Title    string  `json:"title"`
	Unit     string  `json:"unit"`
	Decimals int     `json:"decimals"`
	Mean     float64 `json:"mean"`
	SD       float64 `json:"sd"`
}

// typeDoc is one type: its size and mean profile.
type typeDoc struct {
	Type     int           `json:"type"`
	Label    string        `json:"label"`
	Size     int           `json:"size"`
	WithinSS float64       `json:"within_ss"`
	Profile  []typeProfile `json:"profile"`
}

// typeProfile is the type's unweighted mean of one indicator over its
// areas, as published (Mean) and standardised (Z, the type centre's
// coordinate: how many standard deviations the type lies from the mean of
// all typed areas).
type typeProfile struct {
	Indicator string  `json:"indicator"`
	Title     string  `json:"title"`
	Unit      string  `json:"unit"`
	Mean      float64 `json:"mean"`
	Z         float64 `json:"z"`
}

type typedArea struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Type int    `json:"type"`
	// Distance to the type's centre in the standardised indicators.
	Distance float64 `json:"distance"`
}

type typeLeftOut struct {
	Code string `json:"code"`
	Name string `json:"name"`
	// Without lists the indicators the area has no published value of.
	Without []typeGap `json:"without"`
}

const typesStandardisation = "z-Werte: (Wert − Mittelwert) / Standardabweichung je Indikator über die typisierten Gebiete; " +
	"Stichprobenstandardabweichung (Nenner n − 1) wie R scale(); Typprofile sind ungewichtete Mittelwerte der Gebiete"

// types answers /areas/{level}/types: the areas of a level grouped into
// types by the profile of several indicators, the way the Bertelsmann
// Stiftung's Wegweiser Kommune types municipalities (Demographietypen):
// each indicator standardised over the areas, then k-means or Ward's
// clustering into k types, each described by its mean profile.
func (o *outputs) types(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	period, day, err := outPeriodDay(q, "datetime", "f", "indicators", "k", "method", "nstart", "period", "seed")
	if err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	params, err := readTypesParams(q)
	if err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	mt := outFormat(w, r, outMediaJSON, outMediaCSV)
	if mt == "" {
		return
	}
	ctx := r.Context()
	levelName := chi.URLParam(r, "level")
	l, err := o.store.areas.Level(ctx, levelName)
	if errors.Is(err, geo.ErrNotFound) {
		web.NotFound(w, r, fmt.Sprintf("There is no level %q; /collections lists them.", levelName))
		return
	}
	if err != nil {
		o.fail(w, r, err)
		return
	}
	inds := make([]Indicator, len(params.keys))
	for i, key := range params.keys {
		inds[i], err = o.store.Indicator(ctx, key)
		if errors.Is(err, geo.ErrNotFound) {
			web.BadRequest(w, r, badOutParam("indicators", "%q is not in the catalogue; /indicators lists them", key).Error())
			return
		}
		if err != nil {
			o.fail(w, r, err)
			return
		}
	}
	boundaries := outToday(day)
	if period == nil {
		p, ok, err := o.typesPeriod(ctx, params.keys, l.Name)
		if err != nil {
			o.fail(w, r, err)
			return
		}
		if !ok {
			web.NotFound(w, r, fmt.Sprintf("The indicators %s have no period with values of all of them for level %q; /indicators/{key} lists each one's levels and periods.",
				strings.Join(params.keys, ", "), l.Name))
			return
		}
		period = &p
	}
	areas, missing, err := o.typeRows(ctx, inds, l.Name, *period, boundaries)
	if err != nil {
		o.fail(w, r, fmt.Errorf("types of %s: %w", l.Name, err))
		return
	}
	if missing != "" {
		noLevelValues(w, r, inds[slices.Index(params.keys, missing)], l.Name, period, boundaries)
		return
	}
	doc, err := typesAnswer(inds, params, areas)
	var pe *outParamError
	if errors.As(err, &pe) {
		web.BadRequest(w, r, err.Error()+fmt.Sprintf(" (level %s, period %s)", l.Name, dayText(period)))
		return
	}
	if err != nil {
		o.fail(w, r, fmt.Errorf("types of %s: %w", l.Name, err))
		return
	}
	doc.Level, doc.Period, doc.Datetime = l.Name, dayText(period), boundaries.Format(time.DateOnly)
	if mt == outMediaJSON {
		web.WriteJSON(w, r, o.log, http.StatusOK, outMediaJSON, doc)
		return
	}
	o.typesCSV(w, r, doc, inds, areas)
}

// typesAnswer groups the areas with every value published and describes
// the types. Data that cannot be typed as asked is an outParamError.
func typesAnswer(inds []Indicator, params typesParams, areas []typeArea) (typesDoc, error) {
	raw, typed := typeMatrix(areas, len(inds))
	if raw.N < params.k || raw.N < 2 {
		return typesDoc{}, badOutParam("k", "%d types, but only %d areas have published values of all the indicators; ask for at most %d",
			params.k, raw.N, max(raw.N, 1))
	}
	if params.method == typesMethodWard && raw.N > maxWardAreas {
		return typesDoc{}, badOutParam("method", "ward clusters at most %d areas, and %d have values; use method kmeans", maxWardAreas, raw.N)
	}
	z, mean, sd, err := cluster.Standardise(raw)
	var ce *cluster.ConstantError
	if errors.As(err, &ce) {
		return typesDoc{}, badOutParam("indicators", "%s has the same value in all %d areas and cannot tell types apart; leave it out",
			inds[ce.Column].Key, raw.N)
	}
	if err != nil {
		return typesDoc{}, err
	}
	doc := typesDoc{Method: params.method, K: params.k, Standardisation: typesStandardisation, Typed: raw.N,
		Areas: make([]typedArea, 0, raw.N), Excluded: []typeLeftOut{}}
	var part *cluster.Partition
	switch params.method {
	case typesMethodKMeans:
		res, err := cluster.KMeans(z, cluster.KMeansOptions{K: params.k, Seed: params.seed, NStart: params.nstart})
		if errors.Is(err, cluster.ErrTooFewDistinct) {
			return typesDoc{}, badOutParam("k", "%d types, but the %d areas have fewer distinct profiles", params.k, raw.N)
		}
		if err != nil {
			return typesDoc{}, err
		}
		part = res.Partition
		seed, converged := params.seed, res.Converged
		doc.Seed, doc.NStart, doc.Iterations, doc.Converged = &seed, params.nstart, res.Iterations, &converged
	default:
		part, _, err = cluster.WardPartition(z, params.k)
		if err != nil {
			return typesDoc{}, err
		}
	}
	part.Order()
	for j, ind := range inds {
		doc.Indicators = append(doc.Indicators, typeIndicator{Key: ind.Key, Title: ind.Title, Unit: ind.Unit,
			Decimals: ind.Decimals, Mean: mean[j], SD: sd[j]})
	}
	// raw means: the members' unweighted mean of the published values
	rawMeans := make([]float64, params.k*len(inds))
	for row, g := range part.Group {
		for j, v := range raw.Row(row) {
			rawMeans[g*len(inds)+j] += v
		}
	}
	doc.Types = make([]typeDoc, params.k)
	for g := range doc.Types {
		t := typeDoc{Type: g + 1, Label: "Typ " + strconv.Itoa(g+1), Size: part.Sizes[g], WithinSS: part.WithinSS[g]}
		for j, ind := range inds {
			t.Profile = append(t.Profile, typeProfile{Indicator: ind.Key, Title: ind.Title, Unit: ind.Unit,
				Mean: rawMeans[g*len(inds)+j] / float64(part.Sizes[g]), Z: part.Centre(g)[j]})
		}
		doc.Types[g] = t
	}
	doc.TotalSS, doc.WithinSS, doc.BetweenShare = part.TotalSS, part.TotalWithinSS(), part.BetweenShare()
	for row, i := range typed {
		doc.Areas = append(doc.Areas, typedArea{Code: areas[i].code, Name: areas[i].name, Type: part.Group[row] + 1,
			Distance: part.Distance[row]})
	}
	for i := range areas {
		if a := &areas[i]; len(a.without) > 0 {
			doc.Excluded = append(doc.Excluded, typeLeftOut{Code: a.code, Name: a.name, Without: a.without})
		}
	}
	return doc, nil
}

// typesCSV writes one row per area of the level, by code: its type (empty
// for an area left out, with the reason), its distance to the type's
// centre and its published values.
func (o *outputs) typesCSV(w http.ResponseWriter, r *http.Request, doc typesDoc, inds []Indicator, areas []typeArea) {
	cols := []outColumn{{Title: "Schlüssel"}, {Title: "Name"}, {Title: "Typ"}, {Title: "Abstand zum Typzentrum", Numeric: true}}
	for _, ind := range inds {
		title := ind.Title
		if ind.Unit != "" {
			title += " (" + ind.Unit + ")"
		}
		cols = append(cols, outColumn{Title: title, Numeric: true, Decimals: ind.Decimals})
	}
	cols = append(cols, outColumn{Title: "nicht typisiert"})
	tw, err := startTable(w, outMediaCSV, outTable{
		File:    fmt.Sprintf("typen_%s_%s_%s_k%d", doc.Level, doc.Period, doc.Method, doc.K),
		Columns: cols,
	})
	if err != nil {
		w.Header().Del("Content-Disposition")
		o.fail(w, r, err)
		return
	}
	// doc.Areas are the typed areas in the order of areas
	next := 0
	cells := make([]string, len(cols))
	for i := range areas {
		a := &areas[i]
		c := append(cells[:0], a.code, a.name)
		if len(a.without) == 0 {
			t := doc.Areas[next]
			next++
			c = append(c, strconv.Itoa(t.Type), strconv.FormatFloat(t.Distance, 'f', 4, 64))
		} else {
			c = append(c, "", "")
		}
		for j, ind := range inds {
			if slices.ContainsFunc(a.without, func(g typeGap) bool { return g.Indicator == ind.Key }) {
				c = append(c, "")
				continue
			}
			c = append(c, string(appendPublished(nil, a.values[j], ind.Decimals)))
		}
		var why []string
		for _, g := range a.without {
			why = append(why, g.Indicator+": "+g.Reason)
		}
		c = append(c, strings.Join(why, "; "))
		if err := tw.Row(c); err != nil {
			o.abort(r, "types", err)
		}
	}
	if err := tw.Close(); err != nil {
		o.abort(r, "types", err)
	}
}
