package indicators

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/web"
)

// The withholding rule, for every column an HTTP output reads from a
// published cell c: a withheld cell's value, numerator and denominator are
// NULL and its status is 'suppressed', so no output built on these can show
// what disclosure control hides. sqlPublished and the values of a whole
// level (sqlValues) read cells only through them.
const (
	sqlShownValue       = `CASE WHEN c.suppressed IS NULL AND abs(c.value) < 'Infinity' THEN c.value END`
	sqlShownNumerator   = `CASE WHEN c.suppressed IS NULL AND abs(c.numerator) < 'Infinity' THEN c.numerator END`
	sqlShownDenominator = `CASE WHEN c.suppressed IS NULL AND abs(c.denominator) < 'Infinity' THEN c.denominator END`
	sqlShownStatus      = `CASE WHEN c.suppressed IS NULL THEN c.status ELSE 'suppressed' END`
)

// sqlPublished is how the HTTP outputs read cells, by the rule above.
// Numerator and denominator are kept for rates only.
//
// What is shown is rounded to the indicator's decimals (numerator and
// denominator to those of their counts), so every output shows the same
// figures: the outputs round value with appendPublished, which rounds as
// shown does here, as numeric, for ranks and exact differences. Unselected
// columns cost nothing: PostgreSQL flattens the subquery.
//
// abs(x) < 'Infinity' is false for NaN and the infinities, which have no
// place in a published table.
const sqlPublished = `(SELECT c.indicator, c.area_id, c.period,
	` + sqlShownValue + ` AS value,
	CASE WHEN i.kind = 'rate' THEN ` + sqlShownNumerator + ` END AS numerator,
	CASE WHEN i.kind = 'rate' THEN ` + sqlShownDenominator + ` END AS denominator,
	i.decimals, coalesce(ni.decimals, 0) AS numerator_decimals, coalesce(di.decimals, 0) AS denominator_decimals,
	round((` + sqlShownValue + `)::numeric, i.decimals) AS shown,
	` + sqlShownStatus + ` AS status,
	c.incomplete, c.suppressed
FROM published_cell c
JOIN indicator i ON i.key = c.indicator
LEFT JOIN indicator ni ON ni.key = i.numerator
LEFT JOIN indicator di ON di.key = i.denominator)`

// Queries whose best plan depends on their arguments (a period given or
// not, one level or another) run with pgx.QueryExecModeExec: planned for
// the values at hand each time. As cached prepared statements PostgreSQL
// switches them to a generic plan after five runs, which took the values
// of all Gemeinden from 25 to 60 ms.

// sqlValidOn matches area versions a valid on @day, today when NULL (a
// NULL bound is open). Written as comparisons rather than as
// daterange(valid_from, valid_to, '[]') @> day: building a range per row
// made the scan of all Gemeinden take 3.0 ms instead of 1.5.
const sqlValidOn = `(a.valid_from IS NULL OR a.valid_from <= coalesce(@day::date, current_date))
	AND (a.valid_to IS NULL OR a.valid_to >= coalesce(@day::date, current_date))`

// OutputConfig configures the HTTP outputs of the published cells.
type OutputConfig struct {
	Logger *slog.Logger
}

// OutputRoutes mounts the outputs of the published cells on r:
//
//	GET /indicators/{key}/values?level=&period=&datetime=&f=json|csv|xlsx
//	                     one indicator for every area of a level
//	GET /indicators/{key}/series?level=&code=&datetime=&f=json|csv|xlsx
//	                     one indicator for one area, every period
//	GET /indicators/{key}/classes?level=&period=&datetime=&method=&k=&breaks=&scheme=&f=json|csv
//	                     class breaks of the values of a level for a
//	                     choropleth: colours, legend labels, MapLibre style
//	GET /areas/{level}/{code}/profile?period=&datetime=&reference=LEVEL:CODE&since=&trend=FROM/TO&series=true&f=json|csv|xlsx
//	                     every indicator of one area, with its parent, Kreis,
//	                     Land, Germany and a chosen reference area, its rank
//	                     and percentile among its siblings, its change since
//	                     the period before or since, its least-squares
//	                     trend over the periods from FROM to TO, and with
//	                     series=true every indicator's values in all periods
//	GET /areas/{level}/types?indicators=&period=&datetime=&method=kmeans|ward&k=&seed=&nstart=&f=json|csv
//	                     the areas of a level grouped into k types by the
//	                     profile of the indicators, with each type's mean
//	                     profile
//	GET /indicators/{key}/autocorrelation?level=&period=&datetime=&weights=queen|rook|knn&k=&permutations=&seed=
//	                     global Moran's I of the values of a level
//	GET /indicators/{key}/local?level=&period=&datetime=&weights=&k=&permutations=&seed=&alpha=&f=json|csv
//	                     local Moran (LISA clusters) and Getis-Ord Gi*
//	GET /indices         the composite indices in force
//	GET /indices/{key}?period=&version=
//	                     one index: definition, versions, method, classes
//	                     with their intervals and counts, areas left out
//
// Withheld cells appear without value (and numerator and denominator),
// with status "suppressed" and the reason.
func (s *Store) OutputRoutes(r chi.Router, cfg OutputConfig) {
	o := &outputs{store: s, log: cfg.Logger}
	if o.log == nil {
		o.log = slog.Default()
	}
	r.Get("/indicators/{key}/values", o.values)
	r.Get("/indicators/{key}/series", o.series)
	r.Get("/indicators/{key}/classes", o.classes)
	r.Get("/areas/{level}/{code}/profile", o.profile)
	r.Get("/areas/{level}/types", o.types)
	r.Get("/indicators/{key}/autocorrelation", o.autocorrelation)
	r.Get("/indicators/{key}/local", o.local)
	r.Get("/indices", o.indicesList)
	r.Get("/indices/{key}", o.index)
}

type outputs struct {
	store  *Store
	log    *slog.Logger
	tables sync.Pool // of *valueRows
}

// Media types of the outputs.
const (
	outMediaJSON = "application/json"
	outMediaCSV  = "text/csv"
	outMediaXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// outParamError is a bad query parameter; it becomes a 400 problem.
type outParamError struct{ param, reason string }

func (e *outParamError) Error() string {
	return fmt.Sprintf("query parameter %s: %s", e.param, e.reason)
}

func badOutParam(param, format string, args ...any) error {
	return &outParamError{param: param, reason: fmt.Sprintf(format, args...)}
}

// checkOutParams rejects unknown and repeated parameters, so a misspelt
// "perod" is not silently ignored.
func checkOutParams(q url.Values, allowed ...string) error {
	for name, vs := range q {
		if !slices.Contains(allowed, name) {
			return badOutParam(fmt.Sprintf("%q", name), "unknown; this resource takes %s", strings.Join(allowed, ", "))
		}
		if len(vs) > 1 {
			return badOutParam(name, "given %d times; give it once", len(vs))
		}
	}
	return nil
}

// outPeriodDay checks the query's parameters against allowed and reads
// period and datetime, the two dates most outputs take.
func outPeriodDay(q url.Values, allowed ...string) (period, day *time.Time, err error) {
	if err := checkOutParams(q, allowed...); err != nil {
		return nil, nil, err
	}
	if period, err = outDate(q, "period"); err != nil {
		return nil, nil, err
	}
	if day, err = outDate(q, "datetime"); err != nil {
		return nil, nil, err
	}
	return period, day, nil
}

// outDate reads an optional date parameter (2022-12-31); datetime also
// takes an RFC 3339 date-time, which counts as its date in its own offset.
func outDate(q url.Values, param string) (*time.Time, error) {
	v := q.Get(param)
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil && param == "datetime" {
		t, err = time.Parse(time.RFC3339, v)
	}
	if err != nil {
		if param == "datetime" {
			return nil, badOutParam(param, "%q is not a date (2022-12-31) or a date-time (2022-12-31T00:00:00Z)", v)
		}
		return nil, badOutParam(param, "%q is not a date (2022-12-31)", v)
	}
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return &d, nil
}

// outFormat picks the representation by f (json, csv, xlsx) or else by the
// Accept header among offers; it returns "" when it has answered 400 or
// 406 itself.
func outFormat(w http.ResponseWriter, r *http.Request, offers ...string) string {
	names := map[string]string{"json": outMediaJSON, "csv": outMediaCSV, "xlsx": outMediaXLSX}
	f := r.URL.Query().Get("f")
	if f == "" {
		mt := web.Negotiate(r.Header.Get("Accept"), offers...)
		if mt == "" {
			web.NotAcceptable(w, r, "this resource is available as "+strings.Join(offers, ", "))
		}
		return mt
	}
	if mt, ok := names[f]; ok && slices.Contains(offers, mt) {
		return mt
	}
	var allowed []string
	for _, n := range []string{"json", "csv", "xlsx"} {
		if slices.Contains(offers, names[n]) {
			allowed = append(allowed, n)
		}
	}
	web.BadRequest(w, r, badOutParam("f", "%q is not a format of this resource; use %s", f, strings.Join(allowed, ", ")).Error())
	return ""
}

// indicator looks the path's indicator up; it answers 404 or 500 itself
// when it returns false.
func (o *outputs) indicator(w http.ResponseWriter, r *http.Request) (Indicator, bool) {
	key := chi.URLParam(r, "key")
	ind, err := o.store.Indicator(r.Context(), key)
	if errors.Is(err, geo.ErrNotFound) {
		web.NotFound(w, r, fmt.Sprintf("There is no indicator %q in the catalogue; /indicators lists them.", key))
		return Indicator{}, false
	}
	if err != nil {
		o.fail(w, r, err)
		return Indicator{}, false
	}
	return ind, true
}

// level checks a level name given as the query parameter level; it
// answers 400 or 500 itself when it returns false.
func (o *outputs) level(w http.ResponseWriter, r *http.Request, name string) (geo.Level, bool) {
	if name == "" {
		web.BadRequest(w, r, badOutParam("level", "missing; name a level such as gemeinde (/collections lists them)").Error())
		return geo.Level{}, false
	}
	l, err := o.store.areas.Level(r.Context(), name)
	if errors.Is(err, geo.ErrNotFound) {
		web.BadRequest(w, r, badOutParam("level", "%q is not a level; /collections lists them", name).Error())
		return geo.Level{}, false
	}
	if err != nil {
		o.fail(w, r, err)
		return geo.Level{}, false
	}
	return l, true
}

// fail answers a store error (see web.Fail).
func (o *outputs) fail(w http.ResponseWriter, r *http.Request, err error) {
	web.Fail(w, r, o.log, err)
}

// abort ends an answer that is under way after an error: logged, and the
// connection cut so the client cannot take a truncated table for a
// complete one.
func (o *outputs) abort(r *http.Request, what string, err error) {
	o.log.ErrorContext(r.Context(), what+" aborted",
		"request_id", web.RequestIDFrom(r.Context()), "error", err.Error())
	panic(http.ErrAbortHandler)
}

// dayText is a date as the outputs write it; "" for nil.
func dayText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.DateOnly)
}

// outToday is the day asked for, or today, for messages.
func outToday(day *time.Time) time.Time {
	if day != nil {
		return *day
	}
	n := time.Now()
	return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC)
}

// changeUnit labels a change of the indicator: a difference of
// percentages (unit % or a rate × 100 without a unit) is in percentage
// points, others are in the indicator's unit.
func changeUnit(ind Indicator) string {
	switch u := strings.TrimSpace(ind.Unit); {
	case u == "%" || u == "Prozent" || (u == "" && ind.Kind == Rate && ind.Scale == 100):
		return "Prozentpunkte"
	}
	return ind.Unit
}

// appendJSONString appends s as a JSON string. Text from the database is
// valid UTF-8; only quotes, backslashes and control characters need
// escaping (and U+2028/2029, which some JavaScript parsers take for line
// ends).
func appendJSONString[S ~string | ~[]byte](dst []byte, s S) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	// runs that need no escaping (nearly all text) are copied whole
	plain := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c != 0xe2 {
			continue
		}
		if c == 0xe2 && !(i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xa8 || s[i+2] == 0xa9)) {
			continue
		}
		dst = append(dst, s[plain:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case 0xe2:
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[s[i+2]&0xf])
			i += 2
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		plain = i + 1
	}
	dst = append(dst, s[plain:]...)
	return append(dst, '"')
}

// appendJSONOptString appends s as a JSON string, or null.
func appendJSONOptString(dst []byte, s *string) []byte {
	if s == nil {
		return append(dst, "null"...)
	}
	return appendJSONString(dst, *s)
}

// appendJSONBytes appends a published number formatted by appendPublished,
// or null for nil.
func appendJSONBytes(dst, n []byte) []byte {
	if n == nil {
		return append(dst, "null"...)
	}
	return append(dst, n...)
}

// appendJSONNumber appends a published number (a plain decimal from
// appendPublished or sqlPublished's shown), or null.
func appendJSONNumber(dst []byte, s *string) []byte {
	if s == nil {
		return append(dst, "null"...)
	}
	return append(dst, *s...)
}

// appendPublished appends v rounded to decimals places exactly as
// PostgreSQL writes round(v::numeric, decimals): the double taken to 15
// significant digits (float8 to numeric, DBL_DIG), then rounded half away
// from zero, with exactly decimals digits after the point and no minus
// before a zero. Rounding in Go spares the database a numeric conversion
// per value; the two must agree, so that a figure ranked or subtracted in
// SQL (shown) is the figure another output prints.
//
// It allocates nothing: a table of all Gemeinden formats 33,000 numbers.
func appendPublished(dst []byte, v float64, decimals int) []byte {
	// Counts are whole numbers; below 10^15 their 15 significant digits
	// are the number itself, so there is nothing to round. Writing them
	// as integers takes 12 ns against 80 for the general way.
	if math.Trunc(v) == v && math.Abs(v) < 1e15 {
		dst = strconv.AppendInt(dst, int64(v), 10)
		if decimals > 0 {
			dst = append(dst, '.')
			for range decimals {
				dst = append(dst, '0')
			}
		}
		return dst
	}
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], v, 'e', 14, 64) // [-]d.dddddddddddddde±dd
	neg := e[0] == '-'
	if neg {
		e = e[1:]
	}
	var digits [15]byte // digits[i] is worth 10^(exp-i)
	digits[0] = e[0]
	copy(digits[1:], e[2:16])
	exp := 0
	for _, c := range e[18:] {
		exp = exp*10 + int(c-'0')
	}
	if e[17] == '-' {
		exp = -exp
	}
	// keep the digits worth at least 10^-decimals: n of them, as the
	// integer v × 10^decimals (a float8 has at most 309 integer digits)
	n := exp + 1 + decimals
	var keptBuf [16 + 309 + 6]byte
	kept := keptBuf[:0]
	switch {
	case n < 0:
	case n >= len(digits):
		kept = append(kept, digits[:]...)
		for range n - len(digits) {
			kept = append(kept, '0')
		}
	default:
		kept = append(kept, '0') // room for a carry
		kept = append(kept, digits[:n]...)
		if digits[n] >= '5' {
			i := len(kept) - 1
			for kept[i] == '9' {
				kept[i] = '0'
				i--
			}
			kept[i]++
		}
	}
	for len(kept) > 0 && kept[0] == '0' {
		kept = kept[1:]
	}
	if neg && len(kept) > 0 {
		dst = append(dst, '-')
	}
	// place the point
	whole := len(kept) - decimals
	if whole <= 0 {
		dst = append(dst, '0')
	} else {
		dst = append(dst, kept[:whole]...)
	}
	if decimals > 0 {
		dst = append(dst, '.')
		for ; whole < 0; whole++ {
			dst = append(dst, '0')
		}
		dst = append(dst, kept[max(whole, 0):]...)
	}
	return dst
}

// published is a published number as text, nil for none.
func published(v *float64, decimals int) *string {
	if v == nil {
		return nil
	}
	s := string(appendPublished(nil, *v, decimals))
	return &s
}
