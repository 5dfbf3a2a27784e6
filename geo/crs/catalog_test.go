package crs

import (
	"context"
	"errors"
	"testing"

	"github.com/sozialatlas/sozialatlas/data/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestLoadCatalogAndIdentify(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewDB(t)
	catalog, err := LoadCatalog(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	var want int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM spatial_ref_sys WHERE auth_name = 'EPSG'`).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if len(catalog) != want {
		t.Fatalf("LoadCatalog: %d entries, spatial_ref_sys has %d EPSG rows", len(catalog), want)
	}
	var found bool
	for _, e := range catalog {
		if e.SRID == 25832 {
			found = true
			if e.AuthName != "EPSG" || e.Proj4Text != "+proj=utm +zone=32 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs " {
				t.Errorf("entry 25832 = %q %q", e.AuthName, e.Proj4Text)
			}
		}
	}
	if !found {
		t.Fatal("no entry 25832")
	}

	for _, tc := range identifyCases(t) {
		got, err := Identify(tc.wkt, catalog)
		if err != nil || got != tc.want {
			t.Errorf("%s: Identify = %d, %v; want %d", tc.name, got, err, tc.want)
		}
	}

	var amb *AmbiguousError
	if _, err := Identify(readWKT(t, "testdata/wkt/esri-25831.prj"), catalog); !errors.As(err, &amb) {
		t.Errorf("esri-25831.prj: error = %v, want *AmbiguousError", err)
	}
}
