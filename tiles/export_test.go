package tiles

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"testing"

	"github.com/sozialatlas/sozialatlas/tiles/pmtiles"
)

// The archive holds exactly the bytes the live service answers, with the
// TileJSON's layers and attribution.
func TestExportMatchesLiveTiles(t *testing.T) {
	f := newFixture(t, Config{})
	var buf bytes.Buffer
	q := url.Values{"indicators": {"einwohner,quote"}}
	rep, err := f.tiles.Export(context.Background(), ExportConfig{Level: "gemeinde", MaxZoom: 9, Query: q, Out: &buf,
		SpoolDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	// The fixture's extent covers one tile at each of zooms 0–7, tiles
	// 8/136/85 and 8/137/85, and six at zoom 9. (Seeding, which reads the
	// extent back from the TileJSON's rounded bounds, also asks for the
	// neighbours that hold the areas' edges in their buffer only.)
	if rep.Tiles != 16 || rep.Filled != 16 || rep.Empty != 0 || rep.Skipped != 0 {
		t.Errorf("report %+v", rep)
	}
	ar, err := pmtiles.Open(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if h := ar.Header(); h.MinZoom != 0 || h.MaxZoom != 9 || h.AddressedTiles != 16 {
		t.Errorf("header: zoom %d–%d, %d tiles", h.MinZoom, h.MaxZoom, h.AddressedTiles)
	}
	// every archived tile byte for byte as the live service answers it,
	// compressed
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	n := 0
	if err := ar.Walk(func(z, x, y uint32, data []byte) error {
		n++
		path := "/tiles/gemeinde/" + TileID{int(z), int(x), int(y)}.String() + ".mvt?" + q.Encode()
		req, _ := http.NewRequest(http.MethodGet, f.srv.URL+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		live, err := io.ReadAll(res.Body)
		if err != nil {
			return err
		}
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != "gzip" || !bytes.Equal(live, data) {
			t.Errorf("%s: live %d %s, %d bytes; archived %d bytes", path, res.StatusCode, res.Header.Get("Content-Encoding"), len(live), len(data))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != 16 {
		t.Errorf("%d tiles in the archive, want 16", n)
	}

	meta, err := ar.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	var tj struct {
		Attribution  string `json:"attribution"`
		VectorLayers []struct {
			ID     string            `json:"id"`
			Fields map[string]string `json:"fields"`
		} `json:"vector_layers"`
	}
	if _, body := f.get(t, "/tiles/gemeinde.json?"+q.Encode()); json.Unmarshal(body, &tj) != nil {
		t.Fatalf("TileJSON: %s", body)
	}
	if meta.Attribution != tj.Attribution || len(meta.VectorLayers) != 2 {
		t.Fatalf("metadata %+v, TileJSON %+v", meta, tj)
	}
	for i, vl := range meta.VectorLayers {
		if vl.ID != tj.VectorLayers[i].ID || !reflect.DeepEqual(vl.Fields, tj.VectorLayers[i].Fields) {
			t.Errorf("layer %d: %s %v, TileJSON %s %v", i, vl.ID, vl.Fields, tj.VectorLayers[i].ID, tj.VectorLayers[i].Fields)
		}
	}
	if meta.Extra["data_version"] != float64(rep.DataVersion) {
		t.Errorf("data_version %v, want %d", meta.Extra["data_version"], rep.DataVersion)
	}

	// Bad input is refused before anything is written.
	for _, c := range []struct {
		cfg  ExportConfig
		want string
	}{
		{ExportConfig{Level: "gemeinde", MinZoom: 3, MaxZoom: 2}, "export: zooms 3 to 2: give 0 ≤ minzoom ≤ maxzoom ≤ 14"},
		{ExportConfig{Level: "dorf", MaxZoom: 2}, `export dorf: There is no level "dorf"; /collections lists them.`},
		{ExportConfig{Level: "gemeinde", MaxZoom: 2, Query: url.Values{"indicators": {"nix"}}}, `export gemeinde: query parameter indicators: "nix" is not an indicator; /indicators lists them`},
	} {
		var out bytes.Buffer
		c.cfg.Out = &out
		if _, err := f.tiles.Export(context.Background(), c.cfg); err == nil || err.Error() != c.want || out.Len() != 0 {
			t.Errorf("%+v: %v (%d bytes written), want %s", c.cfg, err, out.Len(), c.want)
		}
	}
}
