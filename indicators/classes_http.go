package indicators

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sozialatlas/sozialatlas/geo/web"
)

// Colours of the areas a classification leaves out. Both are greys,
// which no default scheme uses; a withheld value is the darker one and
// should be hatched, so that a reader does not take it for a missing one.
const (
	suppressedColour  = "#969696"
	suppressedPattern = "hatch"
	missingColour     = "#d9d9d9"
)

// defaultScheme picks the colours by the indicator's polarity: the dark
// end of a sequential scheme is where the map draws the eye, so it goes to
// the bad values when higher is worse (YlOrRd: dark red) and to the good
// ones when higher is better (YlGnBu: dark blue); neutral indicators get
// plain Blues. Standard deviations take a diverging scheme, red on the
// bad side of the mean (RdBu: red low, blue high; reversed when higher is
// worse), and BrBG, which says neither good nor bad, for neutral ones.
func defaultScheme(method string, p Polarity) string {
	if method == methodStddev {
		switch p {
		case HigherWorse:
			return "RdBu_r"
		case HigherBetter:
			return "RdBu"
		}
		return "BrBG"
	}
	switch p {
	case HigherWorse:
		return "YlOrRd"
	case HigherBetter:
		return "YlGnBu"
	}
	return "Blues"
}

// classesDoc is the JSON answer of /indicators/{key}/classes.
type classesDoc struct {
	Indicator Indicator `json:"indicator"`
	Level     string    `json:"level"`
	Period    string    `json:"period"`
	Datetime  string    `json:"datetime"`
	// Period2, when given, makes the classes those of the change from
	// Period2 to Period (the property KEY_change of the tiles).
	Period2    *string `json:"period2,omitempty"`
	Method     string  `json:"method"`
	K          int     `json:"k"`
	KRequested int     `json:"k_requested"`
	Scheme     string  `json:"scheme"`
	// stddev only
	Mean       *float64   `json:"mean,omitempty"`
	SD         *float64   `json:"sd,omitempty"`
	Breaks     []float64  `json:"breaks"`
	Classes    []classDoc `json:"classes"`
	Suppressed leftOutDoc `json:"suppressed"`
	Missing    leftOutDoc `json:"missing"`
	// Property is the vector tiles' property of the value (KEY; the
	// status is KEY_status).
	Property string `json:"property"`
	// MapLibre is a MapLibre GL expression for fill-color.
	MapLibre []any `json:"maplibre"`
}

// classDoc is one class: lower ≤ value < upper (the last up to upper
// inclusive).
type classDoc struct {
	Class  int     `json:"class"`
	Lower  float64 `json:"lower"`
	Upper  float64 `json:"upper"`
	Count  int     `json:"count"`
	Colour string  `json:"colour"`
	Label  string  `json:"label"`
	// stddev only: the bounds in standard deviations from the mean; the
	// outermost classes lack their open side.
	SDLower *float64 `json:"sd_lower,omitempty"`
	SDUpper *float64 `json:"sd_upper,omitempty"`
}

// leftOutDoc counts the areas a classification leaves out: withheld
// values, or none. Filter selects them in the vector tiles, e.g. for a
// fill-pattern layer over the withheld ones.
type leftOutDoc struct {
	Count   int    `json:"count"`
	Colour  string `json:"colour"`
	Pattern string `json:"pattern,omitempty"`
	Label   string `json:"label"`
	Filter  []any  `json:"filter"`
}

// classParams are the parameters of a classification besides level,
// period and datetime.
type classParams struct {
	method string
	k      int // asked for; for manual len(breaks)+1
	breaks []float64
	scheme string // "" for the default
	// bySign breaks the classes at zero and colours them by sign
	// (change maps: what fell and what rose).
	bySign bool
}

// readClassParams validates method, k, breaks and scheme.
func readClassParams(q url.Values) (classParams, error) {
	p := classParams{method: q.Get("method"), k: defaultClasses, scheme: q.Get("scheme")}
	if p.method == "" {
		p.method = methodQuantile
	}
	if !slices.Contains(classMethods[:], p.method) {
		return p, badOutParam("method", "%q is not a method; use %s", p.method, strings.Join(classMethods[:], ", "))
	}
	if s := q.Get("k"); s != "" {
		k, err := strconv.Atoi(s)
		if err != nil || k < minClasses || k > maxClasses {
			return p, badOutParam("k", "%q is not a number of classes from %d to %d", s, minClasses, maxClasses)
		}
		p.k = k
	}
	switch s := q.Get("breaks"); {
	case p.method == methodManual && s == "":
		return p, badOutParam("breaks", "missing; method manual needs the breaks between the classes, e.g. breaks=10,20,30")
	case p.method != methodManual && s != "":
		return p, badOutParam("breaks", "given with method %s; breaks are for method manual", p.method)
	case s != "":
		for _, f := range strings.Split(s, ",") {
			b, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || math.IsInf(b, 0) || math.IsNaN(b) {
				return p, badOutParam("breaks", "%q is not a number (write 12.5 with a point; commas separate the breaks)", f)
			}
			if n := len(p.breaks); n > 0 && b <= p.breaks[n-1] {
				return p, badOutParam("breaks", "%s after %s; give the breaks in increasing order, each once", f, strconv.FormatFloat(p.breaks[n-1], 'f', -1, 64))
			}
			p.breaks = append(p.breaks, b)
		}
		if len(p.breaks)+1 > maxClasses {
			return p, badOutParam("breaks", "%d breaks make %d classes; give at most %d breaks", len(p.breaks), len(p.breaks)+1, maxClasses-1)
		}
		if q.Has("k") && p.k != len(p.breaks)+1 {
			return p, badOutParam("k", "%d classes, but the %d breaks make %d; leave k out with method manual", p.k, len(p.breaks), len(p.breaks)+1)
		}
		p.k = len(p.breaks) + 1
	}
	if p.scheme != "" {
		if _, ok := lookupScheme(p.scheme); !ok {
			return p, badOutParam("scheme", "%q is not a scheme; use one of %s, or one of them with _r for the reversed order",
				p.scheme, strings.Join(schemeNames(), ", "))
		}
	}
	return p, nil
}

// checkManualBreaks rejects manual breaks that no published value can lie
// between: with one decimal, 10.01 and 10.02 make an empty class.
func checkManualBreaks(breaks []float64, decimals int) error {
	for i := 1; i < len(breaks); i++ {
		if gridUp(breaks[i-1], decimals).m == gridUp(breaks[i], decimals).m {
			return badOutParam("breaks", "no value published with %d decimal place(s) lies between %s and %s; give breaks further apart",
				decimals, strconv.FormatFloat(breaks[i-1], 'f', -1, 64), strconv.FormatFloat(breaks[i], 'f', -1, 64))
		}
	}
	return nil
}

// classes answers /indicators/{key}/classes: class breaks of one
// indicator over every area of a level, with colours, German legend
// labels and a MapLibre fill-color expression for the vector tiles.
func (o *outputs) classes(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	period, day, err := outPeriodDay(q, "breaks", "datetime", "f", "k", "level", "method", "period", "period2", "scheme")
	if err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	period2, err := outDate(q, "period2")
	if err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	params, err := readClassParams(q)
	if err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	mt := outFormat(w, r, outMediaJSON, outMediaCSV)
	if mt == "" {
		return
	}
	ind, ok := o.indicator(w, r)
	if !ok {
		return
	}
	if err := checkManualBreaks(params.breaks, ind.Decimals); err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	l, ok := o.level(w, r, q.Get("level"))
	if !ok {
		return
	}
	boundaries := outToday(day)
	table := o.valueRows()
	defer o.putValueRows(table)
	p, found, err := o.levelCells(r.Context(), ind, l.Name, period, boundaries, false, table)
	if err != nil {
		o.fail(w, r, fmt.Errorf("classes of %s: %w", ind.Key, err))
		return
	}
	if !found {
		noLevelValues(w, r, ind, l.Name, period, boundaries)
		return
	}
	var values []float64
	var suppressed, missing int
	if period2 == nil {
		values, suppressed, missing, err = classValues(table)
	} else {
		earlier := o.valueRows()
		defer o.putValueRows(earlier)
		var found bool
		_, found, err = o.levelCells(r.Context(), ind, l.Name, period2, boundaries, false, earlier)
		if err != nil {
			o.fail(w, r, fmt.Errorf("classes of the change of %s: %w", ind.Key, err))
			return
		}
		if !found {
			noLevelValues(w, r, ind, l.Name, period2, boundaries)
			return
		}
		values, suppressed, missing, err = changeValues(table, earlier, ind.Decimals)
		ind = changeIndicator(ind, *period2)
		// standard deviations centre on the mean change instead
		params.bySign = params.method != methodStddev
	}
	if err != nil {
		o.fail(w, r, fmt.Errorf("classes of %s: %w", ind.Key, err))
		return
	}
	doc, err := classesAnswer(ind, params, values, suppressed, missing)
	if err != nil {
		o.fail(w, r, fmt.Errorf("classes of %s: %w", ind.Key, err))
		return
	}
	doc.Level, doc.Period, doc.Datetime = l.Name, p.Format(time.DateOnly), boundaries.Format(time.DateOnly)
	if period2 != nil {
		from := period2.Format(time.DateOnly)
		doc.Period2 = &from
	}
	if mt == outMediaJSON {
		web.WriteJSON(w, r, o.log, http.StatusOK, outMediaJSON, doc)
		return
	}
	o.classesCSV(w, r, doc, p)
}

// classValues are the published values of a level's rows, sorted, and
// how many rows have a withheld value or none. The values are the
// published figures, rounded to the indicator's decimals as every output
// shows them (and the tiles carry them): read from their text, a withheld
// value never reaches a classification, since the withholding rule of
// sqlValues has already left it out.
func classValues(t *valueRows) (values []float64, suppressed, missing int, err error) {
	values = make([]float64, 0, len(t.recs))
	for i := range t.recs {
		r := &t.recs[i]
		shown := t.span(r.shown[0])
		switch {
		case shown != nil:
			v, err := strconv.ParseFloat(string(shown), 64)
			if err != nil {
				return nil, 0, 0, fmt.Errorf("published value %q: %w", shown, err)
			}
			values = append(values, v)
		case words[r.status] == string(Suppressed):
			suppressed++
		default:
			missing++
		}
	}
	slices.Sort(values)
	return values, suppressed, missing, nil
}

// classesAnswer classifies the sorted values and describes the classes.
func classesAnswer(ind Indicator, params classParams, values []float64, suppressed, missing int) (classesDoc, error) {
	c, err := classify(params.method, values, params.k, params.breaks)
	if err != nil {
		return classesDoc{}, err
	}
	if params.method != methodManual {
		dropEmptyClasses(&c, ind.Decimals)
	}
	if params.bySign {
		if params.method != methodManual {
			breakAtZero(&c, values)
		}
		if params.scheme != "" {
			signSlots(&c)
		}
	}
	name := params.scheme
	if name == "" {
		name = defaultScheme(params.method, ind.Polarity)
	}
	scheme, ok := lookupScheme(name)
	if !ok {
		return classesDoc{}, fmt.Errorf("no colour scheme %q", name)
	}
	palette := scheme.colours(c.of)
	labels := classLabels(&c, ind.Decimals, ind.Unit)
	counts := c.counts(values)
	doc := classesDoc{
		Indicator: ind, Method: params.method, K: c.k(), KRequested: params.k, Scheme: name,
		Breaks: c.breaks, Classes: make([]classDoc, c.k()), Property: ind.Key,
		Suppressed: leftOutDoc{Count: suppressed, Colour: suppressedColour, Pattern: suppressedPattern,
			Label: statusLabels[string(Suppressed)], Filter: suppressedFilter(ind.Key)},
		Missing: leftOutDoc{Count: missing, Colour: missingColour, Label: statusLabels[""],
			Filter: []any{"all", []any{"!", []any{"has", ind.Key}}, []any{"!", suppressedFilter(ind.Key)}}},
	}
	if doc.Breaks == nil {
		doc.Breaks = []float64{}
	}
	if c.withDeviations {
		doc.Mean, doc.SD = &c.mean, &c.sd
	}
	colours := make([]string, c.k())
	for i := range doc.Classes {
		colours[i] = palette[c.slots[i]]
		doc.Classes[i] = classDoc{Class: i + 1, Lower: c.breaks[i], Upper: c.breaks[i+1], Count: counts[i],
			Colour: colours[i], Label: labels[i]}
		if c.withDeviations {
			doc.Classes[i].SDLower, doc.Classes[i].SDUpper = finite(c.sdLow[i]), finite(c.sdHigh[i])
		}
	}
	if params.bySign && params.scheme == "" {
		doc.Scheme, colours = signColours(&c, ind.Polarity)
		for i := range doc.Classes {
			doc.Classes[i].Colour = colours[i]
		}
	}
	doc.MapLibre = fillColour(ind.Key, c.breaks, colours)
	return doc, nil
}

func finite(f float64) *float64 {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil
	}
	return &f
}

// suppressedFilter selects the areas whose value is withheld: the tiles
// leave the value out and say so in KEY_status.
func suppressedFilter(key string) []any {
	return []any{"==", []any{"get", key + "_status"}, string(Suppressed)}
}

// fillColour is the MapLibre GL fill-color expression of the classes over
// the vector tiles' properties: a step over the value where there is one
// (step gives the colour of the last stop at or below the value, which is
// how the classes are bounded), the withheld colour where the status says
// suppressed, the missing colour elsewhere. A single class needs no step
// (and MapLibre's step wants at least one stop).
func fillColour(key string, breaks []float64, colours []string) []any {
	expr := []any{"case"}
	switch len(colours) {
	case 0:
	case 1:
		expr = append(expr, []any{"has", key}, colours[0])
	default:
		step := []any{"step", []any{"get", key}, colours[0]}
		for i := 1; i < len(colours); i++ {
			step = append(step, breaks[i], colours[i])
		}
		expr = append(expr, []any{"has", key}, step)
	}
	return append(expr, suppressedFilter(key), suppressedColour, missingColour)
}

// classesCSV writes the classes as a German CSV table: one row per class,
// then the withheld and the missing.
func (o *outputs) classesCSV(w http.ResponseWriter, r *http.Request, doc classesDoc, period time.Time) {
	cols := []outColumn{
		{Title: "Klasse"},
		{Title: "Untergrenze", Numeric: true},
		{Title: "Obergrenze", Numeric: true},
		{Title: "Anzahl"},
		{Title: "Farbe"},
		{Title: "Beschriftung"},
	}
	tw, err := startTable(w, outMediaCSV, outTable{
		File:    fmt.Sprintf("%s_%s_%s_klassen", doc.Indicator.Key, doc.Level, period.Format(time.DateOnly)),
		Columns: cols,
	})
	if err != nil {
		w.Header().Del("Content-Disposition")
		o.fail(w, r, err)
		return
	}
	number := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	for _, c := range doc.Classes {
		if err := tw.Row([]string{strconv.Itoa(c.Class), number(c.Lower), number(c.Upper), strconv.Itoa(c.Count), c.Colour, c.Label}); err != nil {
			o.abort(r, "classes", err)
		}
	}
	for _, c := range []leftOutDoc{doc.Suppressed, doc.Missing} {
		if err := tw.Row([]string{"", "", "", strconv.Itoa(c.Count), c.Colour, c.Label}); err != nil {
			o.abort(r, "classes", err)
		}
	}
	if err := tw.Close(); err != nil {
		o.abort(r, "classes", err)
	}
}
