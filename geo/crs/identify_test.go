package crs

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

// fixtureCatalog reads the spatial_ref_sys rows in testdata.
func fixtureCatalog(t *testing.T) []Entry {
	t.Helper()
	f, err := os.Open("testdata/spatial_ref_sys.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Entry
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var row struct {
			SRID      int    `json:"srid"`
			AuthName  string `json:"auth_name"`
			SRText    string `json:"srtext"`
			Proj4Text string `json:"proj4text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatal(err)
		}
		out = append(out, Entry{SRID: row.SRID, AuthName: row.AuthName, SRText: row.SRText, Proj4Text: row.Proj4Text})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func readWKT(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// identifyCases are WKTs as GDAL, ESRI and QGIS write them with the EPSG
// code they mean; shared with the test against the full catalog.
func identifyCases(t *testing.T) []struct {
	name string
	wkt  string
	want int
} {
	t.Helper()
	prj := readWKT(t, "../../data/demo/vg5000-2021/VG5000_GEM.prj")
	noAuth := regexp.MustCompile(`,AUTHORITY\["EPSG",\d+\]`).ReplaceAllString(prj, "")
	if noAuth == prj {
		t.Fatal("VG5000_GEM.prj has no AUTHORITY to strip")
	}
	cases := []struct {
		name string
		wkt  string
		want int
	}{
		{"VG5000_GEM.prj", prj, 31467},
		{"VG5000_GEM.prj without AUTHORITY", noAuth, 31467},
		{"compound of ESRI 25832", `COMPD_CS["ETRS89 / UTM 32N + DHHN92",` + readWKT(t, "testdata/wkt/esri-25832.prj") +
			`,VERT_CS["DHHN92 height",VERT_DATUM["Deutsches_Haupthoehennetz_1992",2005],UNIT["metre",1],AXIS["Up",UP]]]`, 25832},
	}
	for _, f := range []struct {
		file string
		want int
	}{
		{"esri-25832.prj", 25832},
		{"esri-25833.prj", 25833},
		{"esri-4326.prj", 4326},
		{"esri-4258.prj", 4258},
		{"esri-3857.prj", 3857},
		{"esri-3035.prj", 3035},
		{"esri-31467.prj", 31467},
		{"esri-31468.prj", 31468},
		{"esri-32632.prj", 32632},
		{"esri-4647.prj", 4647},
		{"gdal-wkt1-25832.wkt", 25832},
		{"gdal-wkt1-25832-noauth.wkt", 25832},
		{"gdal-wkt1-3035.wkt", 3035},
		{"gdal-wkt1-3035-noauth.wkt", 3035},
		{"gdal-wkt1-31467.wkt", 31467},
		{"gdal-wkt1-31467-noauth.wkt", 31467},
		{"gdal-wkt1-3857.wkt", 3857},
		{"gdal-wkt1-3857-noauth.wkt", 3857},
		{"gdal-wkt1-4258.wkt", 4258},
		{"gdal-wkt1-4258-noauth.wkt", 4258},
		{"wkt2-25832.wkt", 25832},
		{"wkt2-25832-noauth.wkt", 25832},
		{"wkt2-3035.wkt", 3035},
		{"wkt2-3035-noauth.wkt", 3035},
		{"wkt2-31467.wkt", 31467},
		{"wkt2-31467-noauth.wkt", 31467},
		{"wkt2-3857.wkt", 3857},
		{"wkt2-3857-noauth.wkt", 3857},
		{"wkt2-4258.wkt", 4258},
		{"wkt2-4258-noauth.wkt", 4258},
	} {
		cases = append(cases, struct {
			name string
			wkt  string
			want int
		}{f.file, readWKT(t, filepath.Join("testdata/wkt", f.file)), f.want})
	}
	return cases
}

func TestIdentify(t *testing.T) {
	catalog := fixtureCatalog(t)
	for _, tc := range identifyCases(t) {
		got, err := Identify(tc.wkt, catalog)
		if err != nil || got != tc.want {
			t.Errorf("%s: Identify = %d, %v; want %d", tc.name, got, err, tc.want)
		}
	}
}

func TestIdentifyStatedCodeMissingFromCatalog(t *testing.T) {
	// Without 25832 in the catalog the stated code cannot be used; the
	// parameters still find the ETRS89 CRS that is equal to it.
	catalog := slices.DeleteFunc(fixtureCatalog(t), func(e Entry) bool { return e.SRID == 25832 })
	got, err := Identify(readWKT(t, "testdata/wkt/gdal-wkt1-25832.wkt"), catalog)
	if err != nil || got != 3044 {
		t.Errorf("Identify = %d, %v; want 3044", got, err)
	}
}

func TestIdentifyAmbiguous(t *testing.T) {
	_, err := Identify(readWKT(t, "testdata/wkt/esri-25831.prj"), fixtureCatalog(t))
	var amb *AmbiguousError
	if !errors.As(err, &amb) {
		t.Fatalf("error = %v, want *AmbiguousError", err)
	}
	if !slices.Equal(amb.Candidates, []int{3043, 25831}) {
		t.Errorf("candidates = %v, want [3043 25831]", amb.Candidates)
	}
	want := `ambiguous CRS "ETRS_1989_UTM_Zone_31N", candidates EPSG:3043, EPSG:25831; pass --crs`
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func TestIdentifyErrors(t *testing.T) {
	catalog := fixtureCatalog(t)
	esri := readWKT(t, "testdata/wkt/esri-25832.prj")
	tests := []struct {
		name, wkt, want string
		unknown         bool
	}{
		{
			name: "false easting nobody uses",
			wkt: `PROJCS["Custom_TM",GEOGCS["GCS_ETRS_1989",DATUM["D_ETRS_1989",SPHEROID["GRS_1980",6378137.0,298.257222101]],` +
				`PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],` +
				`PARAMETER["False_Easting",123456.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",9.0],` +
				`PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`,
			want:    "unknown CRS: Custom_TM",
			unknown: true,
		},
		{
			name: "unsupported projection",
			wkt: `PROJCS["Amersfoort_RD_New",GEOGCS["GCS_Amersfoort",DATUM["D_Amersfoort",SPHEROID["Bessel_1841",6377397.155,299.1528128]],` +
				`PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Double_Stereographic"],` +
				`PARAMETER["False_Easting",155000.0],PARAMETER["False_Northing",463000.0],PARAMETER["Central_Meridian",5.38763888888889],` +
				`PARAMETER["Scale_Factor",0.9999079],PARAMETER["Latitude_Of_Origin",52.15616055555555],UNIT["Meter",1.0]]`,
			want:    `unknown CRS: Amersfoort_RD_New: projection "Double_Stereographic" is not supported`,
			unknown: true,
		},
		{
			name:    "stated code unknown and parameters unmatched",
			wkt:     `GEOGCS["Moon",DATUM["D_Moon",SPHEROID["Moon",1737400.0,0.0]],PRIMEM["Reference",0.0],UNIT["Degree",0.0174532925199433],AUTHORITY["EPSG",99999]]`,
			want:    "unknown CRS: Moon (its EPSG:99999 is not in spatial_ref_sys)",
			unknown: true,
		},
		{
			name:    "vertical only",
			wkt:     `VERT_CS["DHHN92 height",VERT_DATUM["Deutsches_Haupthoehennetz_1992",2005],UNIT["metre",1]]`,
			want:    "unknown CRS: VERT_CS is not a horizontal CRS",
			unknown: true,
		},
		{name: "unclosed", wkt: esri[:len(esri)-2], want: "WKT: UNIT is not closed"},
		{name: "empty", wkt: "", want: "WKT: unexpected end"},
		{name: "trailing text", wkt: esri + "]", want: `WKT: unexpected ']' after the end at offset 403`},
		{name: "not a number", wkt: `GEOGCS["x",DATUM["y",SPHEROID["z",abc,298]]]`, want: `unknown CRS: x: SPHEROID["z"]: argument 2 "abc" is not a number`, unknown: true},
	}
	for _, tt := range tests {
		_, err := Identify(tt.wkt, catalog)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: error = %v, want %s", tt.name, err, tt.want)
			continue
		}
		if errors.Is(err, ErrUnknown) != tt.unknown {
			t.Errorf("%s: errors.Is(ErrUnknown) = %v, want %v", tt.name, !tt.unknown, tt.unknown)
		}
	}
}

func TestFromProj4(t *testing.T) {
	tests := []struct {
		in   string
		want params
	}{
		{"+proj=utm +zone=33 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs",
			params{proj: "tmerc", a: 6378137, rf: 298.257222101, lon0: 15, k: 0.9996, x0: 500000, unit: 1}},
		{"+proj=utm +zone=33 +south +datum=WGS84 +units=m +no_defs",
			params{proj: "tmerc", a: 6378137, rf: 298.257223563, lon0: 15, k: 0.9996, x0: 500000, y0: 10000000, unit: 1}},
		{"+proj=tmerc +lat_0=0 +lon_0=9 +k=1 +x_0=3500000 +y_0=0 +datum=potsdam +units=m +no_defs",
			params{proj: "tmerc", a: 6377397.155, rf: 299.1528128, lon0: 9, k: 1, x0: 3500000, unit: 1}},
		{"+proj=merc +a=6378137 +b=6378137 +lat_ts=0.0 +lon_0=0.0 +x_0=0.0 +y_0=0 +k=1.0 +units=m +nadgrids=@null +wktext +no_defs",
			params{proj: "merc", a: 6378137, k: 1, unit: 1}},
		{"+proj=lcc +lat_1=48.66666666666666 +lat_2=53.66666666666666 +lat_0=51 +lon_0=10.5 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs",
			params{proj: "lcc", a: 6378137, rf: 298.257222101, lat0: 51, lon0: 10.5, lat1: 48.66666666666666, lat2: 53.66666666666666, k: 1, unit: 1}},
		{"+proj=longlat +ellps=intl +pm=ferro +no_defs",
			params{proj: "longlat", a: 6378388, rf: 297, pm: -17.666666666666668}},
		{"+proj=tmerc +lon_0=-81 +k=0.9999 +x_0=152400.3048006096 +ellps=clrk66 +units=us-ft",
			params{proj: "tmerc", a: 6378206.4, rf: 294.9786982138982, lon0: -81, k: 0.9999, x0: 152400.3048006096, unit: 0.3048006096012192}},
	}
	for _, tt := range tests {
		got, _, err := fromProj4(tt.in)
		if err != nil {
			t.Errorf("fromProj4(%q): %v", tt.in, err)
			continue
		}
		if !got.same(tt.want) {
			t.Errorf("fromProj4(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseWKTQuotes(t *testing.T) {
	n, err := parseWKT(`PROJCRS["a ""quoted"" name",ID["EPSG",1]]`)
	if err != nil {
		t.Fatal(err)
	}
	if n.name() != `a "quoted" name` {
		t.Errorf("name = %q", n.name())
	}
	if code, ok := epsgCode(n); !ok || code != 1 {
		t.Errorf("epsgCode = %d, %v", code, ok)
	}
}
