package geo

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
)

// fixtureStore returns a store on a fresh database holding
// testdata/query_areas.sql.
func fixtureStore(t *testing.T) *Store {
	t.Helper()
	pool := pgtest.NewDB(t)
	sql, err := os.ReadFile("testdata/query_areas.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(context.Background(), string(sql)); err != nil {
		t.Fatalf("load fixture: %v", err)
	}
	return NewStore(pool)
}

func date(s string) *time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return &d
}

// collect runs an items query and returns matched and the features.
func collect(t *testing.T, s *Store, q ItemsQuery) (int64, []Feature) {
	t.Helper()
	if q.Limit == 0 {
		q.Limit = 100
	}
	if q.Geometry.Precision == 0 {
		q.Geometry.Precision = 7
	}
	var matched int64 = -1
	var fs []Feature
	err := s.Items(context.Background(), q, func(n int64) error {
		if fs != nil {
			t.Error("start called after features")
		}
		matched = n
		return nil
	}, func(f Feature) error {
		f.Geometry = slices.Clone(f.Geometry)
		fs = append(fs, f)
		return nil
	})
	if err != nil {
		t.Fatalf("Items(%+v): %v", q, err)
	}
	return matched, fs
}

func codes[T interface{ code() string }](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x.code()
	}
	return out
}

func (f Feature) code() string { return f.Code }
func (a Area) code() string    { return a.Code }

// firstCoord returns the first position of a MultiPolygon's GeoJSON.
func firstCoord(t *testing.T, g []byte) [2]float64 {
	t.Helper()
	var mp struct {
		Type        string
		Coordinates [][][][2]float64
	}
	if err := json.Unmarshal(g, &mp); err != nil || mp.Type != "MultiPolygon" {
		t.Fatalf("geometry %s: %v (type %q)", g, err, mp.Type)
	}
	return mp.Coordinates[0][0][0]
}

func TestItems(t *testing.T) {
	s := fixtureStore(t)
	tests := []struct {
		name    string
		q       ItemsQuery
		matched int64
		codes   []string
	}{
		{"today", ItemsQuery{Level: "kreis"}, 5, []string{"01001", "01002", "01003", "01099", "02000"}},
		{"page", ItemsQuery{Level: "kreis", Limit: 2, Offset: 1}, 5, []string{"01002", "01003"}},
		{"past the end", ItemsQuery{Level: "kreis", Limit: 2, Offset: 7}, 5, nil},
		{"2020-06-01", ItemsQuery{Level: "kreis", Period: On(*date("2020-06-01"))}, 5,
			[]string{"01001", "01002", "01003", "01099", "02000"}},
		{"2005-01-01", ItemsQuery{Level: "kreis", Period: On(*date("2005-01-01"))}, 6,
			[]string{"01001", "01002", "01003", "01004", "01099", "02000"}},
		{"both Kiels", ItemsQuery{Level: "kreis", Period: Between(date("2020-01-01"), date("2021-06-30"))}, 6,
			[]string{"01001", "01002", "01002", "01003", "01099", "02000"}},
		{"open start", ItemsQuery{Level: "gemeinde", Period: Between(nil, date("2020-12-31"))}, 1, []string{"010020000"}},
		{"open end", ItemsQuery{Level: "gemeinde", Period: Between(date("2021-01-01"), nil), Limit: 2}, 12,
			[]string{"010020001", "010020002"}},
		{"all time", ItemsQuery{Level: "kreis", Period: Between(nil, nil)}, 7,
			[]string{"01001", "01002", "01002", "01003", "01004", "01099", "02000"}},
		{"bbox CRS84", ItemsQuery{Level: "kreis", BBox: &BBox{9.3, 54.2, 10.5, 54.9, 4326, false}}, 2, []string{"01001", "01002"}},
		{"bbox EPSG:4326", ItemsQuery{Level: "kreis", BBox: &BBox{54.2, 9.3, 54.9, 10.5, 4326, true}}, 2, []string{"01001", "01002"}},
		{"bbox EPSG:25832", ItemsQuery{Level: "kreis", BBox: &BBox{519000, 6005000, 598000, 6085000, 25832, false}}, 2, []string{"01001", "01002"}},
		{"bbox Hamburg", ItemsQuery{Level: "land", BBox: &BBox{9.9, 53.5, 10, 53.6, 4326, false}}, 1, []string{"02"}},
		{"empty level", ItemsQuery{Level: "bezirk"}, 0, nil},
		{"unknown level", ItemsQuery{Level: "nope"}, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			matched, fs := collect(t, s, tt.q)
			if matched != tt.matched || !slices.Equal(codes(fs), tt.codes) {
				t.Errorf("matched %d %v, want %d %v", matched, codes(fs), tt.matched, tt.codes)
			}
		})
	}

	_, fs := collect(t, s, ItemsQuery{Level: "kreis", Period: Between(nil, nil)})
	kiel := fs[1]
	if kiel.ValidFrom != nil || !kiel.ValidTo.Equal(*date("2020-12-31")) || kiel.ParentCode != "01" || kiel.ParentLevel != "land" {
		t.Errorf("old Kiel: %+v", kiel.Area)
	}
	if got := string(fs[0].Geometry); got != `{"type":"MultiPolygon","coordinates":[[[[9.4,54.75],[9.4,54.82],[9.5,54.82],[9.5,54.75],[9.4,54.75]]]]}` {
		t.Errorf("Flensburg geometry %s", got)
	}
	if nog := fs[5]; nog.Code != "01099" || nog.Geometry != nil || nog.HasGeometry || nog.AreaKm2 != nil {
		t.Errorf("area without geometry: %+v %s", nog.Area, nog.Geometry)
	}
}

func TestItemsPaging(t *testing.T) {
	s := fixtureStore(t)
	_, all := collect(t, s, ItemsQuery{Level: "gemeinde"})
	want := codes(all)
	if len(want) != 12 {
		t.Fatalf("%d gemeinden today", len(want))
	}
	for _, limit := range []int{1, 3, 10} {
		var got []string
		for offset := 0; offset < 20; offset += limit {
			matched, fs := collect(t, s, ItemsQuery{Level: "gemeinde", Limit: limit, Offset: offset})
			if matched != 12 {
				t.Errorf("limit %d offset %d: matched %d", limit, offset, matched)
			}
			got = append(got, codes(fs)...)
		}
		if !slices.Equal(got, want) {
			t.Errorf("limit %d: pages gave %v, want %v", limit, got, want)
		}
	}
}

func TestItemsGeometry(t *testing.T) {
	s := fixtureStore(t)
	flensburg := BBox{9.45, 54.8, 9.46, 54.81, 4326, false}
	tests := []struct {
		name string
		g    GeometryOptions
		want [2]float64
		tol  float64
	}{
		{"CRS84", GeometryOptions{Precision: 7}, [2]float64{9.4, 54.75}, 0},
		{"EPSG:4326 lat/lon", GeometryOptions{SRID: 4326, LatLon: true, Precision: 7}, [2]float64{54.75, 9.4}, 0},
		{"EPSG:25832", GeometryOptions{SRID: 25832, Precision: 2}, [2]float64{525746.2, 6067045.6}, 0.5},
		{"EPSG:25833", GeometryOptions{SRID: 25833, Precision: 2}, [2]float64{139744.32, 6081368.71}, 0.5},
		{"EPSG:3857", GeometryOptions{SRID: 3857, Precision: 2}, [2]float64{1046403.2, 7313496.6}, 0.5},
		{"simplified", GeometryOptions{SimplifyMetres: 50, Precision: 5}, [2]float64{9.4, 54.75}, 1e-5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, fs := collect(t, s, ItemsQuery{Level: "kreis", BBox: &flensburg, Geometry: tt.g})
			if len(fs) != 1 {
				t.Fatalf("%d features", len(fs))
			}
			got := firstCoord(t, fs[0].Geometry)
			if math.Abs(got[0]-tt.want[0]) > tt.tol || math.Abs(got[1]-tt.want[1]) > tt.tol {
				t.Errorf("first position %v, want %v ± %g", got, tt.want, tt.tol)
			}
		})
	}
	_, fs := collect(t, s, ItemsQuery{Level: "kreis", BBox: &flensburg, Geometry: GeometryOptions{Precision: 1}})
	if got := string(fs[0].Geometry); got != `{"type":"MultiPolygon","coordinates":[[[[9.4,54.8],[9.4,54.8],[9.5,54.8],[9.5,54.8],[9.4,54.8]]]]}` {
		t.Errorf("precision 1: %s", got)
	}
}

func TestFeatureAndArea(t *testing.T) {
	s := fixtureStore(t)
	ctx := context.Background()
	f, err := s.Feature(ctx, "kreis", "01002", On(*date("2020-06-01")), GeometryOptions{Precision: 7})
	if err != nil || !f.ValidTo.Equal(*date("2020-12-31")) || firstCoord(t, f.Geometry) != [2]float64{10, 54.25} {
		t.Errorf("Kiel 2020: %+v %s %v", f.Area, f.Geometry, err)
	}
	// An interval holding both versions picks the latest.
	f, err = s.Feature(ctx, "kreis", "01002", Between(nil, nil), GeometryOptions{Precision: 7})
	if err != nil || !f.ValidFrom.Equal(*date("2021-01-01")) {
		t.Errorf("Kiel latest: %+v %v", f.Area, err)
	}
	for _, tc := range [][2]string{{"kreis", "01004"}, {"kreis", "99999"}, {"nope", "01001"}} {
		if _, err := s.Feature(ctx, tc[0], tc[1], Period{}, GeometryOptions{}); !errors.Is(err, ErrNotFound) {
			t.Errorf("Feature %v: %v, want ErrNotFound", tc, err)
		}
		if _, err := s.AreaAt(ctx, tc[0], tc[1], Period{}); !errors.Is(err, ErrNotFound) {
			t.Errorf("AreaAt %v: %v, want ErrNotFound", tc, err)
		}
	}

	g, err := s.AreaAt(ctx, "gemeinde", "010020005", Period{})
	if err != nil {
		t.Fatal(err)
	}
	parents, err := s.Parents(ctx, g.ID, Period{})
	if err != nil || !slices.Equal(codes(parents), []string{"01002", "01", "DE"}) || !parents[0].ValidFrom.Equal(*date("2021-01-01")) {
		t.Errorf("parents %+v %v", parents, err)
	}
	kiel, _ := s.AreaAt(ctx, "kreis", "01002", Period{})
	children, err := s.Children(ctx, kiel.ID, Period{})
	if err != nil || len(children) != 12 || children[0].Code != "010020001" || children[11].Code != "010020012" {
		t.Errorf("children of Kiel today: %v %v", codes(children), err)
	}
	oldKiel, _ := s.AreaAt(ctx, "kreis", "01002", On(*date("2020-06-01")))
	children, err = s.Children(ctx, oldKiel.ID, On(*date("2020-06-01")))
	if err != nil || !slices.Equal(codes(children), []string{"010020000"}) {
		t.Errorf("children of old Kiel: %v %v", codes(children), err)
	}
	de, _ := s.AreaAt(ctx, "staat", "DE", Period{})
	if parents, err := s.Parents(ctx, de.ID, Period{}); err != nil || len(parents) != 0 {
		t.Errorf("parents of the root: %v %v", parents, err)
	}
	sr, _ := s.AreaAt(ctx, "sozialraum", "SR1", Period{})
	members, err := s.Members(ctx, sr.ID)
	if err != nil || !slices.Equal(codes(members), []string{"010020001", "010020002"}) || members[0].ParentCode != "01002" {
		t.Errorf("members %+v %v", members, err)
	}
}

func TestLevelSummaries(t *testing.T) {
	s := fixtureStore(t)
	ls, err := s.LevelSummaries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		name                      string
		versions, withGeom, today int64
		bbox                      *[4]float64
		from, to                  *time.Time
	}
	want := []row{
		{"staat", 1, 1, 1, &[4]float64{6, 47, 15, 55}, nil, nil},
		{"land", 2, 2, 2, &[4]float64{8, 53.4, 11, 55}, nil, nil},
		{"kreis", 7, 6, 5, &[4]float64{9.4, 53.4, 10.9, 54.82}, nil, nil},
		{"gemeinde", 13, 13, 12, &[4]float64{10, 54.25, 10.2, 54.4}, nil, nil},
		{"bezirk", 0, 0, 0, nil, nil, nil},
		{"prognoseraum", 0, 0, 0, nil, nil, nil},
		{"bezirksregion", 0, 0, 0, nil, nil, nil},
		{"planungsraum", 0, 0, 0, nil, nil, nil},
		{"sozialraum", 1, 1, 1, &[4]float64{10, 54.25, 10.1, 54.3}, date("2021-01-01"), nil},
	}
	if len(ls) != len(want) {
		t.Fatalf("%d levels, want %d", len(ls), len(want))
	}
	for i, w := range want {
		l := ls[i]
		got := row{l.Name, l.Versions, l.WithGeometry, l.Current, l.BBox, l.From, l.To}
		if got.name != w.name || got.versions != w.versions || got.withGeom != w.withGeom || got.today != w.today ||
			(got.bbox == nil) != (w.bbox == nil) || (got.bbox != nil && *got.bbox != *w.bbox) ||
			(got.from == nil) != (w.from == nil) || (got.from != nil && !got.from.Equal(*w.from)) || got.to != nil {
			t.Errorf("level %d: %+v bbox %v, want %+v bbox %v", i, got, got.bbox, w, w.bbox)
		}
	}
	if ls[8].MemberLevel != "gemeinde" {
		t.Errorf("sozialraum member level %q", ls[8].MemberLevel)
	}
	one, err := s.LevelSummary(context.Background(), "kreis")
	if err != nil || one.Versions != 7 {
		t.Errorf("LevelSummary(kreis) = %+v, %v", one, err)
	}
	if _, err := s.LevelSummary(context.Background(), "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("LevelSummary(nope): %v", err)
	}
}
