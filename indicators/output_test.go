package indicators

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/xuri/excelize/v2"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/oapif"
	"github.com/sozialatlas/sozialatlas/geo/web"
)

// outputServer serves the outputs and the OGC API Features join over the
// cells of testdata/http/fixture.sql, as cmd/sozialatlas mounts them.
func outputServer(t *testing.T) (*httptest.Server, *pgxpool.Pool) {
	t.Helper()
	pool := pgtest.NewDB(t)
	sql, err := os.ReadFile("testdata/http/fixture.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(context.Background(), string(sql)); err != nil {
		t.Fatalf("load fixture: %v", err)
	}
	logger := slog.New(slog.DiscardHandler)
	areas := geo.NewStore(pool)
	store := NewStore(pool, areas)
	r := chi.NewRouter()
	r.Use(web.RequestID, web.Recoverer(logger))
	oapif.New(areas, oapif.Config{Title: "Testatlas", Logger: logger, Properties: store.Join()}).Routes(r)
	store.OutputRoutes(r, OutputConfig{Logger: logger})
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv, pool
}

// fetch gets url with the given Accept header ("" for none) and returns
// the response with its whole body.
func fetch(t *testing.T, url, accept string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return res, body
}

// checkCSV gets url and expects a German CSV download named file with
// exactly body.
func checkCSV(t *testing.T, url, accept, file, body string) {
	t.Helper()
	res, got := fetch(t, url, accept)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/csv; charset=utf-8; header=present" ||
		res.Header.Get("Content-Disposition") != `attachment; filename="`+file+`"` {
		t.Errorf("%s: %d %v", url, res.StatusCode, res.Header)
	}
	if string(got) != body {
		t.Errorf("%s:\n%q\nwant\n%q", url, got, body)
	}
}

// fetchXLSX gets url and expects an XLSX download named file; it returns
// the workbook, closed with the test, and its rows in the sheet, each
// row's raw cell values joined by "|".
func fetchXLSX(t *testing.T, url, accept, file, sheet string) (*excelize.File, []string) {
	t.Helper()
	res, body := fetch(t, url, accept)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != outMediaXLSX ||
		res.Header.Get("Content-Disposition") != `attachment; filename="`+file+`"` {
		t.Fatalf("%s: %d %v", url, res.StatusCode, res.Header)
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if sheets := f.GetSheetList(); len(sheets) != 1 || sheets[0] != sheet {
		t.Fatalf("%s: sheets %q, want %q", url, sheets, sheet)
	}
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	got := make([]string, len(rows))
	for i, r := range rows {
		got[i] = strings.Join(r, "|")
	}
	return f, got
}

// fetchJSON gets url, expects 200 with JSON and decodes it into v.
func fetchJSON(t *testing.T, url string, v any) []byte {
	t.Helper()
	res, body := fetch(t, url, "")
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, res.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v in %s", url, err, body)
	}
	return body
}

// disclosurePaths are every output over cells that are withheld: each
// representation of values and series of the withheld counts and rates,
// profiles of their areas and of their parent (also with a withheld
// reference area, a change since a chosen period and a trend), and the
// feature join.
var disclosurePaths = []string{
	"/indicators/sgb2/values?level=gemeinde",
	"/indicators/sgb2/values?level=gemeinde&f=csv",
	"/indicators/sgb2/values?level=gemeinde&f=xlsx",
	"/indicators/sgb2_quote/values?level=gemeinde",
	"/indicators/sgb2_quote/values?level=gemeinde&f=csv",
	"/indicators/sgb2_quote/values?level=gemeinde&f=xlsx",
	"/indicators/sgb2/classes?level=gemeinde",
	"/indicators/sgb2/classes?level=gemeinde&method=stddev&f=csv",
	"/indicators/sgb2_quote/classes?level=gemeinde&method=jenks&k=2",
	"/indicators/sgb2_quote/classes?level=gemeinde&method=equal&k=2&f=csv",
	"/indicators/sgb2/series?level=gemeinde&code=010020003",
	"/indicators/sgb2/series?level=gemeinde&code=010020003&f=csv",
	"/indicators/sgb2/series?level=gemeinde&code=010020003&f=xlsx",
	"/indicators/sgb2/series?level=gemeinde&code=010020004",
	"/indicators/sgb2_quote/series?level=gemeinde&code=010020003",
	"/indicators/sgb2_quote/series?level=gemeinde&code=010020003&f=csv",
	"/indicators/sgb2_quote/series?level=gemeinde&code=010020004&f=xlsx",
	"/areas/gemeinde/types?indicators=einwohner,sgb2_quote&k=2",
	"/areas/gemeinde/types?indicators=sgb2,einwohner&k=2&method=ward&f=csv",
	"/areas/gemeinde/010020003/profile",
	"/areas/gemeinde/010020004/profile",
	"/areas/gemeinde/010020001/profile",
	"/areas/kreis/01002/profile",
	"/areas/gemeinde/010020003/profile?since=2018-12-31&trend=2018-12-31/2022-12-31&reference=gemeinde:010020004",
	"/areas/gemeinde/010020004/profile?period=2018-12-31&trend=2010-12-31/2022-12-31&reference=kreis:01002",
	"/areas/gemeinde/010020002/profile?trend=2018-12-31/2022-12-31&reference=gemeinde:010020003",
	"/areas/kreis/01002/profile?since=2018-12-31&trend=2018-12-31/2022-12-31&reference=gemeinde:010020004",
	"/areas/gemeinde/010020003/profile?series=true",
	"/areas/gemeinde/010020003/profile?f=csv",
	"/areas/gemeinde/010020004/profile?f=xlsx&reference=gemeinde:010020003",
	"/collections/gemeinde/items?indicators=einwohner,sgb2,sgb2_quote&period=2022-12-31",
	"/collections/gemeinde/items?indicators=sgb2,sgb2_quote",
	"/collections/gemeinde/items/010020003?indicators=sgb2,sgb2_quote",
	"/collections/gemeinde/items/010020004?indicators=sgb2_quote,sgb2",
}

// noneWithheld are outputs of areas whose own cells are all published,
// asked for because their ranks and comparisons involve withheld ones.
var noneWithheld = map[string]bool{
	// the areas with a withheld value take no part and are listed
	// without any value
	"/areas/gemeinde/types?indicators=einwohner,sgb2_quote&k=2": true,
	"/areas/gemeinde/010020001/profile":                         true,
	"/areas/kreis/01002/profile":                                true,
	// 2018 is all published; the trend reaches the withheld 2022
	"/areas/gemeinde/010020004/profile?period=2018-12-31&trend=2010-12-31/2022-12-31&reference=kreis:01002": true,
}

// readable returns what a client can read in body: the body itself, and
// for an XLSX the decompressed parts of the workbook.
func readable(t *testing.T, body []byte) []byte {
	t.Helper()
	if !bytes.HasPrefix(body, []byte("PK")) {
		return body
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, "docProps/") {
			continue // creation time and application, not data
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, "\n== "+f.Name+" ==\n"...)
		out = append(out, b...)
	}
	return out
}

// timeStamp is the one part of an items answer that changes by itself.
var timeStamp = regexp.MustCompile(`"timeStamp":"[^"]*"`)

// TestNeverVisible: what a withheld cell holds appears in no output. The
// fixture withholds a count of 2, a count of 7 and two quotas (4.0 and
// 0.7, numerators 2 and 7); every output is read structurally for them;
// then their true values, numerators and denominators are changed to
// numbers that appear nowhere else, and every output must be the same to
// the byte and contain none of them in any spelling.
func TestNeverVisible(t *testing.T) {
	srv, pool := outputServer(t)
	ctx := context.Background()

	before := map[string][]byte{}
	for _, p := range disclosurePaths {
		res, body := fetch(t, srv.URL+p, "")
		if res.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", p, res.StatusCode, body)
		}
		checkWithheldAbsent(t, p, body)
		before[p] = readable(t, body)
	}

	tag, err := pool.Exec(ctx, `UPDATE cell SET value = 424242.25, numerator = 434343.75, denominator = 454545.5
		WHERE suppressed IS NOT NULL`)
	if err != nil || tag.RowsAffected() != 4 {
		t.Fatalf("change withheld cells: %v, %d rows", err, tag.RowsAffected())
	}
	// Every spelling of the three numbers: plain, rounded, with decimal
	// comma or point, with thousands separators, in exponent form.
	spellings := []string{"424242", "424.242", "424,242", "4.2424", "4,2424",
		"434343", "434344", "434.343", "434.344", "434,34", "4.3434", "4,3434",
		"454545", "454546", "454.545", "454.546", "454,54", "4.5454", "4,5454"}
	for _, p := range disclosurePaths {
		_, body := fetch(t, srv.URL+p, "")
		after := readable(t, body)
		for _, s := range spellings {
			if bytes.Contains(after, []byte(s)) {
				t.Errorf("GET %s shows %q:\n%s", p, s, after)
			}
		}
		a, b := timeStamp.ReplaceAll(before[p], nil), timeStamp.ReplaceAll(after, nil)
		if !bytes.Equal(a, b) {
			t.Errorf("GET %s depends on withheld values:\nbefore %s\nafter  %s", p, a, b)
		}
	}
}

// checkWithheldAbsent reads an output structurally: wherever a cell is
// withheld, its value, numerator and denominator are empty or null.
func checkWithheldAbsent(t *testing.T, path string, body []byte) {
	t.Helper()
	switch {
	case strings.Contains(path, "f=csv"):
		lines := strings.Split(strings.TrimPrefix(string(body), "\uFEFF"), "\r\n")
		header := strings.Split(lines[0], ";")
		withheld := 0
		for _, line := range lines[1:] {
			if !strings.Contains(line, "gesperrt (Geheimhaltung)") {
				continue
			}
			withheld++
			fields := splitCSVLine(line)
			for i, h := range header {
				if (strings.HasPrefix(h, "Wert") || strings.HasPrefix(h, "Zähler") || strings.HasPrefix(h, "Nenner")) && fields[i] != "" {
					t.Errorf("%s: withheld row %q has %s %q", path, line, h, fields[i])
				}
			}
		}
		if withheld == 0 {
			t.Errorf("%s: no withheld row in %s", path, body)
		}
	case strings.Contains(path, "f=xlsx"):
		f, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		defer f.Close()
		rows, err := f.GetRows(f.GetSheetName(0), excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		withheld := 0
		for _, row := range rows[1:] {
			if len(row) < 4 || !strings.Contains(strings.Join(row, "|"), "gesperrt (Geheimhaltung)") {
				continue
			}
			withheld++
			for i, h := range rows[0] {
				if (strings.HasPrefix(h, "Wert") || strings.HasPrefix(h, "Zähler") || strings.HasPrefix(h, "Nenner")) && i < len(row) && row[i] != "" {
					t.Errorf("%s: withheld row %v has %s %q", path, row, h, row[i])
				}
			}
		}
		if withheld == 0 {
			t.Errorf("%s: no withheld row in %v", path, rows)
		}
	default:
		var doc any
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if n := withheldObjects(t, path, doc); n == 0 && !noneWithheld[path] {
			t.Errorf("%s: no withheld cell in %s", path, body)
		}
	}
}

// withheldObjects walks a JSON document: an object with a non-null
// "suppressed" must have value, numerator and denominator null or absent;
// feature properties KEY_suppressed likewise for KEY. It returns how many
// withheld cells it saw.
func withheldObjects(t *testing.T, path string, v any) int {
	n := 0
	switch v := v.(type) {
	case map[string]any:
		if v["suppressed"] != nil {
			n++
			for _, k := range []string{"value", "numerator", "denominator"} {
				if v[k] != nil {
					t.Errorf("%s: withheld cell %v has %s", path, v, k)
				}
			}
		}
		for k, x := range v {
			if key, ok := strings.CutSuffix(k, "_suppressed"); ok && x != nil {
				n++
				if v[key] != nil {
					t.Errorf("%s: withheld %s in %v", path, key, v)
				}
			}
			n += withheldObjects(t, path, x)
		}
	case []any:
		for _, x := range v {
			n += withheldObjects(t, path, x)
		}
	}
	return n
}

// splitCSVLine splits a line of the outputs' CSV; quoted fields may hold
// ';' and doubled quotes.
func splitCSVLine(line string) []string {
	var fields []string
	var b strings.Builder
	quoted := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quoted && c == '"' && i+1 < len(line) && line[i+1] == '"':
			b.WriteByte('"')
			i++
		case c == '"':
			quoted = !quoted
		case c == ';' && !quoted:
			fields = append(fields, b.String())
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	return append(fields, b.String())
}

// TestAppendPublishedAgreesWithPostgres: the outputs round in Go what the
// profile ranks and subtracts rounded in SQL; both must write every value
// alike.
func TestAppendPublishedAgreesWithPostgres(t *testing.T) {
	pool := pgtest.NewDB(t)
	var values []float64
	var decimals []int32
	add := func(v float64) {
		for d := int32(0); d <= 6; d++ {
			values, decimals = append(values, v), append(decimals, d)
		}
	}
	for _, v := range []float64{0, 1, -1, 0.5, -0.5, 1.5, 2.5, -2.5, 0.05, -0.05, 0.04, -0.04, 2.675, 1.005, 0.125,
		0.3000000000000000444, 19.0229, 6.450704225352113, 999.9995, 9.9999995, 99999.95, 1e15 + 0.5, 123456789012345.6,
		1e-7, 5e-7, -5e-7, 4.9999999e-7, 1234.5, 0.1 + 0.2, 1e22, 162350, 4.35e-5, 0.00049999999999999,
		math.Copysign(0, -1), -7, 999999999999999, -999999999999999, 1e15, -1e15, 1e14, 4503599627370496} {
		add(v)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		v := (rnd.Float64() - 0.3) * math.Pow(10, float64(rnd.IntN(16)-6))
		if rnd.IntN(4) == 0 {
			// halves and quarters at some decimal place
			v = float64(rnd.IntN(2000000)-1000000) / math.Pow(10, float64(rnd.IntN(7))) / 8
		}
		add(v)
	}
	rows, err := pool.Query(context.Background(),
		`SELECT round(v::numeric, d)::text FROM unnest($1::float8[], $2::int[]) WITH ORDINALITY AS t(v, d, i) ORDER BY i`,
		values, decimals)
	if err != nil {
		t.Fatal(err)
	}
	want, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	for i, v := range values {
		if got := string(appendPublished(nil, v, int(decimals[i]))); got != want[i] {
			if bad++; bad <= 20 {
				t.Errorf("%v to %d decimals: %s, PostgreSQL %s", v, decimals[i], got, want[i])
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d differ", bad, len(values))
	}
}

// TestAppendJSONString: every string comes back from a JSON decoder as it
// went in, and what needs escaping is escaped.
func TestAppendJSONString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"Saalfeld/Saale", `"Saalfeld/Saale"`},
		{`Groß "Glienicke" \ Süd`, `"Groß \"Glienicke\" \\ Süd"`},
		{"a\nb\r\tc\x01\x1f", `"a\nb\r\tc\u0001\u001f"`},
		{"x\u2028y\u2029z", `"x\u2028y\u2029z"`},
		{"€ – …", `"€ – …"`}, // 0xe2 that starts no line separator
		{"\xe2\x80", "\"\xe2\x80\""},
	}
	for _, tt := range tests {
		if got := string(appendJSONString(nil, tt.in)); got != tt.want {
			t.Errorf("%q: %s, want %s", tt.in, got, tt.want)
		}
		if got := string(appendJSONString(nil, []byte(tt.in))); got != tt.want {
			t.Errorf("%q as bytes: %s, want %s", tt.in, got, tt.want)
		}
	}
	rnd := rand.New(rand.NewPCG(3, 4))
	alphabet := []rune{'a', 'ß', '"', '\\', '\n', 0, 0x1f, 0x7f, '\u2028', '\u2029', '€', '–', '/', '<'}
	for range 2000 {
		r := make([]rune, rnd.IntN(12))
		for i := range r {
			r[i] = alphabet[rnd.IntN(len(alphabet))]
		}
		in := string(r)
		out := appendJSONString(nil, in)
		var back string
		if err := json.Unmarshal(out, &back); err != nil || back != in {
			t.Fatalf("%q: %s decodes to %q (%v)", in, out, back, err)
		}
		if bytes.ContainsAny(out[1:len(out)-1], "\n\x00\x1f\u2028\u2029") {
			t.Fatalf("%q: %s keeps a character that needs escaping", in, out)
		}
	}
}
