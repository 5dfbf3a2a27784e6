package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
	"github.com/sozialatlas/sozialatlas/geo/web/access"
	"github.com/sozialatlas/sozialatlas/indicators"
)

// formFile is one file part of an upload.
type formFile struct {
	name    string
	content []byte
}

// multipartBody encodes fields (name, value pairs, repeatable) and files
// as multipart/form-data.
func multipartBody(t testing.TB, fields [][2]string, files ...formFile) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := mw.WriteField(f[0], f[1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		w, err := mw.CreateFormFile("file", f.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(f.content); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf, mw.FormDataContentType()
}

// call sends a request with an optional bearer token and returns status
// and body.
func call(t testing.TB, method, url, token, contentType string, body io.Reader) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b, res.Header
}

// newToken creates a token of role on pool and returns its secret.
func newToken(t testing.TB, pool *pgxpool.Pool, name string, role access.Role) string {
	t.Helper()
	_, secret, err := access.NewTokens(pool).Create(context.Background(), name, role)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// countRows counts the rows of a table.
func countRows(t testing.TB, pool *pgxpool.Pool, table string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func readDemo(t testing.TB, parts ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{repoDir(), "data", "demo"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// bezirkPopulation is a long table of Berlin's twelve Bezirke.
const bezirkPopulation = "area;indicator;period;value\n" +
	"01;einwohner;2022-12-31;397134\n02;einwohner;2022-12-31;293454\n03;einwohner;2022-12-31;413596\n" +
	"04;einwohner;2022-12-31;343081\n05;einwohner;2022-12-31;257091\n06;einwohner;2022-12-31;310071\n" +
	"07;einwohner;2022-12-31;355868\n08;einwohner;2022-12-31;329917\n09;einwohner;2022-12-31;278544\n" +
	"10;einwohner;2022-12-31;291948\n11;einwohner;2022-12-31;296293\n12;einwohner;2022-12-31;268792\n"

func TestImportsOverHTTP(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewDB(t)
	_, ind := stores(pool)
	cat, err := indicators.ReadCatalogue(filepath.Join(repoDir(), "data", "demo", "catalogue.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ind.LoadCatalogue(ctx, cat); err != nil {
		t.Fatal(err)
	}
	editor := newToken(t, pool, "planung", access.Editor)
	viewer := newToken(t, pool, "leser", access.Viewer)
	admin := newToken(t, pool, "betrieb", access.Admin)
	srv := httptest.NewServer(newRouterOn(pool, serveFlags{maxLimit: 100,
		access: accessFlags{maxUploadMiB: 2}}, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)

	districts := readDemo(t, "berlin-lor", "districts.geojson")
	areaFields := [][2]string{{"level", "bezirk"}, {"code-field", "id"}, {"name-field", "name"}}
	post := func(path, token string, fields [][2]string, files ...formFile) (int, []byte) {
		body, ct := multipartBody(t, fields, files...)
		status, b, _ := call(t, http.MethodPost, srv.URL+path, token, ct, body)
		return status, b
	}

	// Who may upload.
	for token, want := range map[string]int{"": 401, viewer: 403, "sa_" + strings.Repeat("x", 43): 401} {
		if status, body := post("/imports/areas", token, areaFields, formFile{"districts.geojson", districts}); status != want {
			t.Errorf("upload with token %q: %d, want %d: %s", token, status, want, body)
		}
	}
	if n := countRows(t, pool, "area"); n != 0 {
		t.Fatalf("refused uploads imported %d areas", n)
	}

	// A wrong field name: 422 naming file and field, nothing imported.
	status, body := post("/imports/areas", editor, [][2]string{{"level", "bezirk"}, {"code-field", "nummer"}, {"name-field", "name"}},
		formFile{"districts.geojson", districts})
	var prob struct {
		Status int    `json:"status"`
		Detail string `json:"detail"`
		Errors []inputError
	}
	if err := json.Unmarshal(body, &prob); status != 422 || err != nil || len(prob.Errors) != 1 ||
		prob.Errors[0] != (inputError{File: "districts.geojson", Field: "nummer", Reason: "no such field; the file has: id, name, area, bounding_box"}) ||
		prob.Detail != `districts.geojson: field "nummer": no such field; the file has: id, name, area, bounding_box` {
		t.Errorf("wrong field: %d %s", status, body)
	}
	if n := countRows(t, pool, "area"); n != 0 {
		t.Fatalf("a refused import left %d areas", n)
	}

	// Options that are no options, or malformed ones, are 400.
	for _, c := range []struct {
		fields [][2]string
		files  []formFile
		want   string
	}{
		{append(areaFields, [2]string{"database-url", "postgres://elsewhere"}), []formFile{{"d.geojson", districts}}, "form field: database-url"},
		{append(areaFields, [2]string{"valid-from", "1.1.2021"}), []formFile{{"d.geojson", districts}}, "2021-01-01"},
		{areaFields, nil, "no file"},
		{areaFields, []formFile{{".htaccess", districts}}, "file name"},
		{areaFields, []formFile{{"d.geojson", districts}, {"d.geojson", districts}}, "sent twice"},
	} {
		status, body := post("/imports/areas", editor, c.fields, c.files...)
		if status != 400 || !strings.Contains(string(body), c.want) {
			t.Errorf("%v: %d %s, want 400 with %q", c.fields, status, body, c.want)
		}
	}

	// The import itself answers 201 with the command line's report.
	status, body = post("/imports/areas", editor, areaFields, formFile{"districts.geojson", districts})
	var rep struct {
		Batch          int64
		File           string
		Read, Imported int
	}
	if err := json.Unmarshal(body, &rep); status != 201 || err != nil || rep.Batch != 1 || rep.File != "districts.geojson" ||
		rep.Read != 12 || rep.Imported != 12 {
		t.Fatalf("import areas: %d %s", status, body)
	}

	table := []byte(bezirkPopulation)
	status, body = post("/imports/indicators", editor, [][2]string{{"level", "bezirk"}}, formFile{"bezirke.csv", table})
	var trep struct {
		Batch        int64
		Observations int
		Indicators   []string
	}
	if err := json.Unmarshal(body, &trep); status != 201 || err != nil || trep.Batch != 2 || trep.Observations != 12 {
		t.Fatalf("import indicators: %d %s", status, body)
	}
	// The same file again changes nothing (200, not 201).
	if status, body := post("/imports/indicators", editor, [][2]string{{"level", "bezirk"}}, formFile{"bezirke.csv", table}); status != 200 ||
		!strings.Contains(string(body), `"already_imported":2`) {
		t.Errorf("the same table again: %d %s", status, body)
	}
	// A bad row: 422 with line and column, nothing written.
	bad := []byte("area;indicator;period;value\n01;einwohner;2023-12-31;viele\n")
	status, body = post("/imports/indicators", editor, [][2]string{{"level", "bezirk"}}, formFile{"schlecht.csv", bad})
	prob.Errors = nil
	if err := json.Unmarshal(body, &prob); status != 422 || err != nil || len(prob.Errors) != 1 ||
		prob.Errors[0].File != "schlecht.csv" || prob.Errors[0].Line != 2 || prob.Errors[0].Field != "value" {
		t.Errorf("bad value: %d %s", status, body)
	}

	var batches []indicators.Batch
	status, body, _ = call(t, http.MethodGet, srv.URL+"/imports", editor, "", nil)
	if err := json.Unmarshal(body, &batches); status != 200 || err != nil || len(batches) != 2 || batches[1].Observations != 12 {
		t.Fatalf("GET /imports: %d %s", status, body)
	}
	if status, _, _ := call(t, http.MethodGet, srv.URL+"/imports", viewer, "", nil); status != 403 {
		t.Errorf("GET /imports as viewer: %d", status)
	}

	// Revert: once (200), not twice (409), not what is not there (404),
	// and not an area import (409).
	for _, c := range []struct {
		path string
		want int
	}{{"/imports/2/revert", 200}, {"/imports/2/revert", 409}, {"/imports/99/revert", 404}, {"/imports/1/revert", 409}, {"/imports/x/revert", 404}} {
		status, body, _ := call(t, http.MethodPost, srv.URL+c.path, editor, "", nil)
		if status != c.want {
			t.Errorf("POST %s: %d, want %d: %s", c.path, status, c.want, body)
		}
	}
	if n := countRows(t, pool, "observation"); n != 0 {
		t.Errorf("after the revert %d observations are left", n)
	}

	// The audit log has every attempt that reached an importer, with who
	// and what; only an admin reads it.
	if status, _, _ := call(t, http.MethodGet, srv.URL+"/audit", editor, "", nil); status != 403 {
		t.Errorf("GET /audit as editor: %d", status)
	}
	var log []access.Entry
	status, body, _ = call(t, http.MethodGet, srv.URL+"/audit", admin, "", nil)
	if err := json.Unmarshal(body, &log); status != 200 || err != nil {
		t.Fatalf("GET /audit: %d %s", status, body)
	}
	var got []string
	for _, e := range log {
		got = append(got, strings.Join([]string{e.Actor, e.Action, e.File, e.Outcome, intOrDash(e.Batch), intOrDash(e.Rows)}, " "))
	}
	want := []string{
		"token:planung import areas districts.geojson failed - -",
		"token:planung import areas districts.geojson ok 1 12",
		"token:planung import indicators bezirke.csv ok 2 12",
		"token:planung import indicators bezirke.csv ok 2 0",
		"token:planung import indicators schlecht.csv failed - -",
		"token:planung revert  ok 2 12",
		"token:planung revert  failed - -",
		"token:planung revert  failed - -",
		"token:planung revert  failed - -",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit log:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	sum := sha256.Sum256(districts)
	if len(log) > 1 && (log[1].SHA256 != hex.EncodeToString(sum[:]) || *log[1].Size != int64(len(districts))) {
		t.Errorf("audit entry of the upload: %+v", log[1])
	}
}

func TestUploadLimit(t *testing.T) {
	pool := pgtest.NewDB(t)
	editor := newToken(t, pool, "planung", access.Editor)
	srv := httptest.NewServer(newRouterOn(pool, serveFlags{maxLimit: 100,
		access: accessFlags{maxUploadMiB: 1}}, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	big := readDemo(t, "berlin-lor", "forecast-areas-from-2021.geojson") // 2.9 MB
	fields := [][2]string{{"level", "prognoseraum"}, {"code-field", "id"}, {"name-field", "name"}}

	// Announced (Content-Length) or not (chunked): 413, nothing imported.
	body, ct := multipartBody(t, fields, formFile{"prognoseraeume.geojson", big})
	status, b, _ := call(t, http.MethodPost, srv.URL+"/imports/areas", editor, ct, bytes.NewReader(body.Bytes()))
	if status != 413 || !strings.Contains(string(b), "at most 2097152 bytes") {
		t.Errorf("announced: %d %s", status, b)
	}
	body, ct = multipartBody(t, fields, formFile{"prognoseraeume.geojson", big})
	status, b, _ = call(t, http.MethodPost, srv.URL+"/imports/areas", editor, ct, io.MultiReader(body)) // no length
	if status != 413 {
		t.Errorf("chunked: %d %s", status, b)
	}
	// Other requests keep the general limit of 1 MiB.
	status, _, _ = call(t, http.MethodPost, srv.URL+"/imports/1/revert", editor, "application/octet-stream", bytes.NewReader(big))
	if status != 413 {
		t.Errorf("a large body elsewhere: %d", status)
	}
	if n := countRows(t, pool, "area") + countRows(t, pool, "import_batch"); n != 0 {
		t.Errorf("refused uploads left %d rows", n)
	}
	var entries int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM audit_log").Scan(&entries); err != nil || entries != 0 {
		t.Errorf("uploads refused before any import are audited: %d (%v)", entries, err)
	}
}

func TestTokenCommands(t *testing.T) {
	pool := pgtest.NewDB(t)
	url := pool.Config().ConnString() + " dbname=" + pool.Config().ConnConfig.Database

	secret, stderr, err := cli(t, url, "token", "create", "--name", "planung", "--role", "editor")
	secret = strings.TrimSpace(secret)
	if err != nil || len(secret) != 46 || !strings.HasPrefix(secret, "sa_") || !strings.Contains(stderr, `token 1 "planung" (editor) created`) {
		t.Fatalf("token create: %v %q %q", err, secret, stderr)
	}
	p, ok, err := access.NewTokens(pool).Authenticate(context.Background(), secret)
	if err != nil || !ok || p.Role != access.Editor {
		t.Fatalf("the created token: %+v %v %v", p, ok, err)
	}
	if _, _, err := cli(t, url, "token", "create", "--name", "x", "--role", "root"); err == nil || exitCode(err) != 2 {
		t.Errorf("role root: %v", err)
	}
	out, _, err := cli(t, url, "token", "list")
	if err != nil || !strings.Contains(out, "1   planung  editor") || !strings.HasSuffix(strings.TrimSpace(out), "-") {
		t.Errorf("token list: %v\n%s", err, out)
	}
	out, _, err = cli(t, url, "token", "revoke", "planung")
	if err != nil || out != "token 1 \"planung\" (editor) revoked\n" {
		t.Errorf("token revoke: %v %q", err, out)
	}
	if _, _, err := cli(t, url, "token", "revoke", "1"); err == nil || !strings.Contains(err.Error(), "no such active token") {
		t.Errorf("revoke again: %v", err)
	}
	if _, ok, _ := access.NewTokens(pool).Authenticate(context.Background(), secret); ok {
		t.Error("a revoked token still works")
	}

	// Imports from the command line are audited as the system user's.
	demo := filepath.Join(repoDir(), "data", "demo")
	if _, _, err := cli(t, url, "import", "areas", filepath.Join(demo, "berlin-lor", "districts.geojson"),
		"--level", "bezirk", "--code-field", "id", "--name-field", "name"); err != nil {
		t.Fatal(err)
	}
	// So are catalogue loads, as the same entries as over HTTP.
	if _, _, err := cli(t, url, "catalogue", "load", filepath.Join(demo, "catalogue.yaml")); err != nil {
		t.Fatal(err)
	}
	out, _, err = cli(t, url, "audit", "--json")
	var log []access.Entry
	if err != nil || json.Unmarshal([]byte(out), &log) != nil || len(log) != 5 {
		t.Fatalf("audit: %v\n%s", err, out)
	}
	actor := cliActor()
	// The refused second revoke is recorded as the attempt it was.
	for i, want := range []string{"token create ok", "token revoke ok", "token revoke failed", "import areas ok", "catalogue load ok"} {
		if e := log[i]; e.Actor != actor || e.Action+" "+e.Outcome != want {
			t.Errorf("audit entry %d: %+v, want %s by %s", i+1, e, want, actor)
		}
	}
	if e := log[4]; e.File != "catalogue.yaml" || e.Rows == nil || *e.Rows == 0 || len(e.SHA256) != 64 {
		t.Errorf("audit entry of the catalogue load: %+v", e)
	}
	if e := log[3]; e.File != "districts.geojson" || *e.Batch != 1 || *e.Rows != 12 || len(e.SHA256) != 64 {
		t.Errorf("audit entry of the import: %+v", e)
	}
}

func TestServeAccessFlags(t *testing.T) {
	for _, args := range [][]string{{"--access", "open"}, {"--max-upload", "0"}} {
		var stderr bytes.Buffer
		err := run(context.Background(), append([]string{"serve"}, args...), io.Discard, &stderr)
		if err == nil || exitCode(err) != 2 {
			t.Errorf("serve %v: %v (exit %d), want a usage error", args, err, exitCode(err))
		}
	}
	t.Setenv("SOZIALATLAS_ACCESS", "login")
	var f accessFlags
	fs := newFlagSet("serve", io.Discard)
	f.register(fs)
	if err := fs.Parse(nil); err != nil || f.modeOf() != access.Login || f.maxUploadBytes() != 200<<20 {
		t.Errorf("from the environment: %+v %v", f, err)
	}
	// A mode not understood fails closed.
	if m := (accessFlags{mode: "Public"}).modeOf(); m != access.Login {
		t.Errorf("mode Public runs as %s", m)
	}
}
