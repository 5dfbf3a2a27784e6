package indicators

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/web"
)

// indexListDoc is the answer of GET /indices.
type indexListDoc struct {
	Indices []indexSummary `json:"indices"`
}

// indexSummary is one index in force.
type indexSummary struct {
	Key        string       `json:"key"`
	Title      string       `json:"title"`
	Version    int          `json:"version"`
	CreatedAt  time.Time    `json:"created_at"`
	Level      string       `json:"level,omitempty"`
	Matrix     *IndexMatrix `json:"matrix,omitempty"`
	Indicators []string     `json:"indicators"`
	Periods    []string     `json:"periods"`
}

// indexDoc is the answer of GET /indices/{key}.
type indexDoc struct {
	Key         string          `json:"key"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Method      string          `json:"method"`
	Version     int             `json:"version"`
	CreatedAt   time.Time       `json:"created_at"`
	File        string          `json:"file"`
	Versions    []indexVersion  `json:"versions"`
	Definition  IndexDefinition `json:"definition"`
	// Indicators hold the results: the index value and its class, or the
	// group of a matrix.
	Indicators []string `json:"indicators"`
	// Classes with their intervals and, for Period, the number of areas in
	// each.
	Classes []indexClassDoc `json:"classes"`
	Periods []string        `json:"periods"`
	// The computation shown: its period, the version it used, the areas
	// scored and left out, the statistics of the standardisation.
	Period       *string         `json:"period"`
	ComputedWith *int            `json:"computed_with_version"`
	Level        string          `json:"level,omitempty"`
	Scored       int             `json:"scored"`
	Excluded     []IndexExcluded `json:"excluded"`
	Stats        *IndexStats     `json:"stats"`
	Problem      *string         `json:"problem"`
}

type indexVersion struct {
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	File      string    `json:"file"`
}

type indexClassDoc struct {
	Class    int    `json:"class"`
	Label    string `json:"label"`
	Interval string `json:"interval,omitempty"`
	Count    *int   `json:"count"`
}

const (
	sqlIndexPeriodsComputed = `
SELECT key, period FROM composite_index_result WHERE scored > 0 ORDER BY key, period`

	sqlIndexResultOf = `
SELECT period, version, level, scored, stats, problem FROM composite_index_result
WHERE key = $1 AND ($2::date IS NULL OR period = $2)
ORDER BY period DESC LIMIT 1`
)

// indicesList answers GET /indices: the indices in force.
func (o *outputs) indicesList(w http.ResponseWriter, r *http.Request) {
	if err := checkOutParams(r.URL.Query()); err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	ctx := r.Context()
	defs, err := o.store.Indices(ctx)
	if err != nil {
		o.fail(w, r, err)
		return
	}
	periods, err := o.indexPeriods(r)
	if err != nil {
		o.fail(w, r, err)
		return
	}
	doc := indexListDoc{Indices: []indexSummary{}}
	for _, v := range defs {
		d := v.Definition
		ps := periods[d.Key]
		if ps == nil {
			ps = []string{}
		}
		doc.Indices = append(doc.Indices, indexSummary{Key: d.Key, Title: d.Title, Version: v.Version,
			CreatedAt: v.CreatedAt, Level: d.Level, Matrix: d.Matrix, Indicators: d.ResultKeys(), Periods: ps})
	}
	web.WriteJSON(w, r, o.log, http.StatusOK, outMediaJSON, doc)
}

func (o *outputs) indexPeriods(r *http.Request) (map[string][]string, error) {
	rows, err := o.store.pool.Query(r.Context(), sqlIndexPeriodsComputed)
	if err != nil {
		return nil, fmt.Errorf("index periods: %w", err)
	}
	out := map[string][]string{}
	var key string
	var p time.Time
	_, err = pgx.ForEachRow(rows, []any{&key, &p}, func() error {
		out[key] = append(out[key], p.Format(time.DateOnly))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("index periods: %w", err)
	}
	return out, nil
}

// index answers GET /indices/{key}?period=&version=: the definition (the
// version in force, or the one asked for), its method and classes, and
// the result of a period (the latest without period): areas scored, per
// class, left out and why.
func (o *outputs) index(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := checkOutParams(q, "period", "version"); err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	period, err := outDate(q, "period")
	if err != nil {
		web.BadRequest(w, r, err.Error())
		return
	}
	want := 0
	if s := q.Get("version"); s != "" {
		if want, err = strconv.Atoi(s); err != nil || want < 1 {
			web.BadRequest(w, r, badOutParam("version", "%q is not a version number (1, 2, …)", s).Error())
			return
		}
	}
	ctx := r.Context()
	key := chi.URLParam(r, "key")
	versions, err := o.store.IndexVersions(ctx, key)
	if errors.Is(err, geo.ErrNotFound) {
		web.NotFound(w, r, fmt.Sprintf("There is no index %q; /indices lists them.", key))
		return
	}
	if err != nil {
		o.fail(w, r, err)
		return
	}
	shown := versions[len(versions)-1]
	if want > 0 {
		if want > len(versions) {
			web.BadRequest(w, r, badOutParam("version", "index %q has versions 1 to %d", key, len(versions)).Error())
			return
		}
		shown = versions[want-1]
	}
	d := shown.Definition
	doc := indexDoc{Key: d.Key, Title: d.Title, Description: d.Description, Method: d.Method,
		Version: shown.Version, CreatedAt: shown.CreatedAt, File: shown.File, Definition: d,
		Indicators: d.ResultKeys(), Excluded: []IndexExcluded{}, Classes: []indexClassDoc{}}
	for _, v := range versions {
		doc.Versions = append(doc.Versions, indexVersion{Version: v.Version, CreatedAt: v.CreatedAt, File: v.File})
	}
	periods, err := o.indexPeriods(r)
	if err != nil {
		o.fail(w, r, err)
		return
	}
	doc.Periods = periods[key]
	if doc.Periods == nil {
		doc.Periods = []string{}
	}

	var p time.Time
	var computedWith, scored int
	var level string
	var stats []byte
	var problem *string
	err = o.store.pool.QueryRow(ctx, sqlIndexResultOf, key, period).Scan(&p, &computedWith, &level, &scored, &stats, &problem)
	switch {
	case errors.Is(err, pgx.ErrNoRows) && period != nil:
		web.NotFound(w, r, fmt.Sprintf("Index %q was not computed for period %s; it was for: %s.",
			key, period.Format(time.DateOnly), listOrNone(doc.Periods)))
		return
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		o.fail(w, r, fmt.Errorf("index %s: result: %w", key, err))
		return
	default:
		var res indexResultDoc
		if err := json.Unmarshal(stats, &res); err != nil {
			o.fail(w, r, fmt.Errorf("index %s: result: %w", key, err))
			return
		}
		ps := p.Format(time.DateOnly)
		doc.Period, doc.ComputedWith, doc.Level, doc.Scored, doc.Problem = &ps, &computedWith, level, scored, problem
		doc.Stats = &res.Stats
		if res.Excluded != nil {
			doc.Excluded = res.Excluded
		}
	}

	labels, err := o.indexLabels(r, &d)
	if err != nil {
		o.fail(w, r, err)
		return
	}
	for i, l := range labels {
		c := indexClassDoc{Class: i + 1, Label: l}
		if d.Classes != nil {
			c.Interval = intervalText(d.Classes.Cuts, i)
		}
		if doc.Stats != nil && i < len(doc.Stats.Classes) {
			n := doc.Stats.Classes[i]
			c.Count = &n
		}
		doc.Classes = append(doc.Classes, c)
	}
	web.WriteJSON(w, r, o.log, http.StatusOK, outMediaJSON, doc)
}

// indexLabels are the labels of d's classes; a matrix takes those of the
// indices in force it crosses.
func (o *outputs) indexLabels(r *http.Request, d *IndexDefinition) ([]string, error) {
	if d.Matrix == nil {
		return d.classLabels(nil)
	}
	defs, err := o.store.Indices(r.Context())
	if err != nil {
		return nil, err
	}
	byKey := map[string]*IndexDefinition{}
	for i := range defs {
		byKey[defs[i].Key] = &defs[i].Definition
	}
	labels, err := d.classLabels(byKey)
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", d.Key, err)
	}
	return labels, nil
}
