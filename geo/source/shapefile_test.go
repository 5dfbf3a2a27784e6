package source

import (
	"archive/zip"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/wkb"
)

const vg5000 = "../../data/demo/vg5000-2021"

var vg5000Fields = []string{"OBJID", "BEGINN", "ADE", "GF", "BSG", "ARS", "AGS", "SDV_ARS", "GEN", "BEZ",
	"IBZ", "BEM", "NBD", "SN_L", "SN_R", "SN_K", "SN_V1", "SN_V2", "SN_G", "FK_S3", "NUTS", "ARS_0", "AGS_0", "WSK"}

const vg5000PRJ = `PROJCS["DHDN_3_Degree_Gauss_Zone_3",GEOGCS["GCS_Deutsches_Hauptdreiecksnetz",DATUM["D_Deutsches_Hauptdreiecksnetz",SPHEROID["Bessel_1841",6377397.155,299.1528128]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",3500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",9.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0],AUTHORITY["EPSG",31467]]`

func readVG5000(t testing.TB, name string) *Dataset {
	t.Helper()
	ds, err := Open(filepath.Join(vg5000, name+".shp"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestReadVG5000(t *testing.T) {
	tests := []struct {
		name     string
		features int
	}{
		{"VG5000_STA", 7},
		{"VG5000_LAN", 25},
		{"VG5000_KRS", 401},
		{"VG5000_GEM", 10997},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := readVG5000(t, tt.name)
			if len(ds.Features) != tt.features {
				t.Errorf("%d features, want %d", len(ds.Features), tt.features)
			}
			if !reflect.DeepEqual(ds.Fields, vg5000Fields) {
				t.Errorf("fields %v", ds.Fields)
			}
			want := CRS{SRID: 31467, WKT: vg5000PRJ, Name: "DHDN_3_Degree_Gauss_Zone_3"}
			if ds.CRS != want {
				t.Errorf("CRS %+v, want %+v", ds.CRS, want)
			}
			if ds.Layer != tt.name {
				t.Errorf("layer %q", ds.Layer)
			}
			for i, f := range ds.Features {
				if f.Number != i+1 || f.WKB == nil || len(f.Attrs) != len(vg5000Fields) {
					t.Fatalf("feature %d: number %d, %d attrs, WKB %d bytes", i, f.Number, len(f.Attrs), len(f.WKB))
				}
			}
		})
	}
}

func TestReadVG5000Kreise(t *testing.T) {
	ds := readVG5000(t, "VG5000_KRS")
	byARS := make(map[string]Feature)
	for _, f := range ds.Features {
		byARS[f.Attrs["ARS"]] = f
	}
	tests := []struct {
		ars, gen, bez, gf, beginn, nuts string
		number                          int
	}{
		{"16073", "Saalfeld-Rudolstadt", "Landkreis", "9", "2020-11-08", "DEG0I", 397},
		{"14628", "Sächsische Schweiz-Osterzgebirge", "Landkreis", "9", "2019-10-04", "DED2F", 361},
		{"09574", "Nürnberger Land", "Landkreis", "9", "2019-10-04", "DE259", 289},
		{"16065", "Kyffhäuserkreis", "Landkreis", "9", "", "", 0},
		{"01001", "Flensburg", "Kreisfreie Stadt", "9", "", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.ars, func(t *testing.T) {
			f, ok := byARS[tt.ars]
			if !ok {
				t.Fatalf("no Kreis %s", tt.ars)
			}
			got := []string{f.Attrs["GEN"], f.Attrs["BEZ"], f.Attrs["GF"]}
			if want := []string{tt.gen, tt.bez, tt.gf}; !reflect.DeepEqual(got, want) {
				t.Errorf("GEN, BEZ, GF = %q, want %q", got, want)
			}
			if tt.beginn != "" && f.Attrs["BEGINN"] != tt.beginn {
				t.Errorf("BEGINN = %q, want %q", f.Attrs["BEGINN"], tt.beginn)
			}
			if tt.nuts != "" && f.Attrs["NUTS"] != tt.nuts {
				t.Errorf("NUTS = %q, want %q", f.Attrs["NUTS"], tt.nuts)
			}
			if tt.number != 0 && f.Number != tt.number {
				t.Errorf("number %d, want %d", f.Number, tt.number)
			}
		})
	}
}

// ringStructure describes a MultiPolygon as the point count of each ring,
// per polygon, and the first point of each ring.
func ringStructure(t *testing.T, b []byte) ([][]int, [][]geom.Coord) {
	t.Helper()
	g, err := wkb.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	mp, ok := g.(*geom.MultiPolygon)
	if !ok {
		t.Fatalf("geometry is %T, want MultiPolygon", g)
	}
	var counts [][]int
	var firsts [][]geom.Coord
	for i := range mp.NumPolygons() {
		p := mp.Polygon(i)
		var c []int
		var f []geom.Coord
		for j := range p.NumLinearRings() {
			r := p.LinearRing(j)
			c = append(c, r.NumCoords())
			f = append(f, r.Coord(0))
		}
		counts = append(counts, c)
		firsts = append(firsts, f)
	}
	return counts, firsts
}

// TestVG5000Hole checks a Kreis with a hole: Nürnberger Land, whose outer
// ring and hole (as GDAL reports them) come out as one polygon.
func TestVG5000Hole(t *testing.T) {
	ds := readVG5000(t, "VG5000_KRS")
	f := ds.Features[289-1]
	if f.Attrs["GEN"] != "Nürnberger Land" {
		t.Fatalf("feature 289 is %q", f.Attrs["GEN"])
	}
	counts, firsts := ringStructure(t, f.WKB)
	if want := [][]int{{112, 6}}; !reflect.DeepEqual(counts, want) {
		t.Errorf("rings %v, want %v", counts, want)
	}
	want := [][]geom.Coord{{{3665249.39469972, 5467519.42714346}, {3663974.16011161, 5477444.60074861}}}
	for i := range want {
		for j := range want[i] {
			if d := firsts[i][j]; abs(d[0]-want[i][j][0]) > 1e-6 || abs(d[1]-want[i][j][1]) > 1e-6 {
				t.Errorf("polygon %d ring %d starts at %v, want %v", i, j, d, want[i][j])
			}
		}
	}
	// Nordfriesland: ten islands and mainland parts, no holes.
	nf := ds.Features[7-1]
	counts, _ = ringStructure(t, nf.WKB)
	if nf.Attrs["GEN"] != "Nordfriesland" || len(counts) != 10 {
		t.Errorf("feature 7 is %q with %d polygons, want Nordfriesland with 10", nf.Attrs["GEN"], len(counts))
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// writeZip writes a zip holding the given files under the given names.
func writeZip(t *testing.T, zipPath string, members map[string]string) {
	t.Helper()
	out, err := os.Create(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(out)
	for name, src := range members {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		in, err := os.Open(src)
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.Copy(w, in)
		in.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestReadZip(t *testing.T) {
	dir := t.TempDir()
	src := func(name string) string { return filepath.Join(vg5000, name) }
	one := filepath.Join(dir, "kreise.zip")
	// A folder inside the zip and mixed-case extensions, as archives from
	// download portals have them; macOS resource forks must be ignored.
	writeZip(t, one, map[string]string{
		"VG5000/VG5000_KRS.shp":            src("VG5000_KRS.shp"),
		"VG5000/VG5000_KRS.DBF":            src("VG5000_KRS.dbf"),
		"VG5000/vg5000_krs.prj":            src("VG5000_KRS.prj"),
		"VG5000/VG5000_KRS.cpg":            src("VG5000_KRS.cpg"),
		"VG5000/VG5000_KRS.shx":            src("VG5000_KRS.shx"),
		"__MACOSX/VG5000/._VG5000_KRS.shp": src("VG5000_KRS.cpg"),
		"VG5000/quellenvermerk.txt":        src("quellenvermerk.txt"),
	})
	two := filepath.Join(dir, "two.zip")
	writeZip(t, two, map[string]string{
		"VG5000_KRS.shp": src("VG5000_KRS.shp"), "VG5000_KRS.dbf": src("VG5000_KRS.dbf"),
		"VG5000_LAN.shp": src("VG5000_LAN.shp"), "VG5000_LAN.dbf": src("VG5000_LAN.dbf"),
	})

	plain := readVG5000(t, "VG5000_KRS")
	got, err := Open(one, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Path != one {
		t.Errorf("path %q, want %q", got.Path, one)
	}
	got.Path = plain.Path
	if !reflect.DeepEqual(got, plain) {
		t.Errorf("zipped shapefile reads differently from the plain one")
	}

	lan, err := Open(two, Options{Layer: "vg5000_lan"})
	if err != nil {
		t.Fatal(err)
	}
	if lan.Layer != "VG5000_LAN" || len(lan.Features) != 25 || lan.CRS != (CRS{}) {
		t.Errorf("layer %q with %d features, CRS %+v; want VG5000_LAN, 25, none", lan.Layer, len(lan.Features), lan.CRS)
	}

	errTests := []struct {
		name   string
		path   string
		layer  string
		reason string
	}{
		{"several shapefiles without layer", two, "",
			"the zip holds 2 shapefiles (VG5000_KRS, VG5000_LAN); choose one as the layer"},
		{"unknown layer", two, "VG5000_GEM", `no shapefile "VG5000_GEM" in the zip; it holds: VG5000_KRS, VG5000_LAN`},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(tt.path, Options{Layer: tt.layer})
			want := &Error{Path: tt.path, Reason: tt.reason}
			var e *Error
			if !errors.As(err, &e) || *e != *want {
				t.Errorf("error %v, want %v", err, want)
			}
		})
	}
}

// copyVG5000 copies the member files of a VG5000 shapefile to dir.
func copyVG5000(t *testing.T, dir, name string) string {
	t.Helper()
	for _, ext := range []string{".shp", ".dbf", ".prj", ".cpg"} {
		data, err := os.ReadFile(filepath.Join(vg5000, name+ext))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+ext), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, name+".shp")
}

// recordOffset is the byte offset of record n (1-based) of a VG5000
// shapefile, from its index (.shx).
func recordOffset(t *testing.T, name string, n int) int64 {
	t.Helper()
	shx, err := os.ReadFile(filepath.Join(vg5000, name+".shx"))
	if err != nil {
		t.Fatal(err)
	}
	return int64(binary.BigEndian.Uint32(shx[100+8*(n-1):])) * 2
}

func TestTruncatedShapefile(t *testing.T) {
	rec57 := recordOffset(t, "VG5000_KRS", 57)
	tests := []struct {
		name    string
		size    int64
		feature int
		reason  string
	}{
		{"cut inside record 57", rec57 + 100, 57,
			"file is truncated: the header gives 676236 bytes, the file has 96188; record 57 runs past the end"},
		{"cut inside the header of record 57", rec57 + 4, 57,
			"file is truncated: the header gives 676236 bytes, the file has 96092; record 57 runs past the end"},
		{"cut after record 56", rec57, 57,
			"file is truncated: the header gives 676236 bytes, the file has 96088; it ends before record 57"},
		{"cut inside the file header", 60, 0, "too short for a shapefile header (60 of 100 bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shp := copyVG5000(t, t.TempDir(), "VG5000_KRS")
			if err := os.Truncate(shp, tt.size); err != nil {
				t.Fatal(err)
			}
			_, err := Open(shp, Options{})
			want := &Error{Path: shp, Feature: tt.feature, Reason: tt.reason}
			var e *Error
			if !errors.As(err, &e) || *e != *want {
				t.Errorf("error %v\nwant  %v", err, want)
			}
		})
	}
}

func TestShortDBF(t *testing.T) {
	const recLen, headerLen = 326, 801 // of VG5000_KRS.dbf
	tests := []struct {
		name    string
		damage  func(dbf []byte) []byte
		feature int
		reason  string
	}{
		{"records missing at the end", func(b []byte) []byte { return b[:headerLen+400*recLen+100] }, 401,
			"file is truncated: the header announces 401 records, the file ends within record 401"},
		{"fewer records than the .shp", func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[4:], 400)
			return b[:headerLen+400*recLen]
		}, 0, "has 400 records, but %s has 401; the two files do not belong together"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shp := copyVG5000(t, t.TempDir(), "VG5000_KRS")
			dbf := strings.TrimSuffix(shp, ".shp") + ".dbf"
			data, err := os.ReadFile(dbf)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dbf, tt.damage(data), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = Open(shp, Options{})
			reason := strings.Replace(tt.reason, "%s", shp, 1)
			want := &Error{Path: dbf, Feature: tt.feature, Reason: reason}
			var e *Error
			if !errors.As(err, &e) || *e != *want {
				t.Errorf("error %v\nwant  %v", err, want)
			}
		})
	}
}

func TestMissingDBF(t *testing.T) {
	dir := t.TempDir()
	shp := copyVG5000(t, dir, "VG5000_STA")
	if err := os.Remove(filepath.Join(dir, "VG5000_STA.dbf")); err != nil {
		t.Fatal(err)
	}
	_, err := Open(shp, Options{})
	want := &Error{Path: shp, Reason: "no .dbf file beside it; a shapefile needs its attribute table"}
	var e *Error
	if !errors.As(err, &e) || *e != *want {
		t.Errorf("error %v, want %v", err, want)
	}
}

// TestSiblingCase reads a shapefile whose member files differ in the case
// of their extensions, as copies from other systems do.
func TestSiblingCase(t *testing.T) {
	dir := t.TempDir()
	copyVG5000(t, dir, "VG5000_STA")
	for _, ext := range []string{".dbf", ".prj", ".cpg", ".shp"} {
		if err := os.Rename(filepath.Join(dir, "VG5000_STA"+ext), filepath.Join(dir, "VG5000_STA"+strings.ToUpper(ext))); err != nil {
			t.Fatal(err)
		}
	}
	ds, err := Open(filepath.Join(dir, "VG5000_STA.SHP"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Features) != 7 || ds.CRS.SRID != 31467 || ds.Features[0].Attrs["GEN"] != "Deutschland" {
		t.Errorf("%d features, SRID %d, first %q", len(ds.Features), ds.CRS.SRID, ds.Features[0].Attrs["GEN"])
	}
}

func BenchmarkReadVG5000Gemeinden(b *testing.B) {
	for b.Loop() {
		readVG5000(b, "VG5000_GEM")
	}
}
