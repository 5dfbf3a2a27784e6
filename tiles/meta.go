package tiles

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/sozialatlas/sozialatlas/geo/oapif"
	"github.com/sozialatlas/sozialatlas/geo/web"
	"github.com/sozialatlas/sozialatlas/indicators"
)

// Identifiers of OGC API – Tiles (OGC 20-057) and the Two Dimensional Tile
// Matrix Set standard (OGC 17-083r4).
const (
	tmsID          = "WebMercatorQuad"
	tmsURI         = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
	crs3857        = "http://www.opengis.net/def/crs/EPSG/0/3857"
	crs84          = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	relTilingSheme = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
	// RelTilesetsVector links a collection to its vector tilesets.
	RelTilesetsVector = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
	mediaJSON         = "application/json"
	mediaTileJSON     = "application/json"
)

// Web Mercator's extent and the scale of zoom 0 in WebMercatorQuad (OGC
// 17-083r4, annex D.1): 256-pixel tiles, 0.28 mm pixels.
const (
	mercatorHalf     = 20037508.3427892
	zoom0CellSize    = 156543.03392804097
	zoom0ScaleDenom  = 559082264.0287178
	mercatorMaxLat   = 85.0511287798066
	tmsTileWidthPx   = 256
	tmsWellKnownGMCS = "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible"
)

// link is a web link as OGC API writes it.
type link struct {
	Href      string `json:"href"`
	Rel       string `json:"rel"`
	Type      string `json:"type,omitempty"`
	Title     string `json:"title,omitempty"`
	Templated bool   `json:"templated,omitempty"`
}

// meta is what the metadata documents of a layer say.
type meta struct {
	layer       *Layer
	query       string // the request's query, kept in tile URLs ("" or "?…")
	title       string
	bbox        *[4]float64
	attribution string
	fields      []field
}

type field struct{ name, typ, description string }

// metaFor resolves a metadata request: the layer and what describes it.
func (s *Server) metaFor(ctx context.Context, r *http.Request) (*meta, error) {
	req, err := parseRequest(r, chi.URLParam(r, "level"))
	if err != nil {
		return nil, err
	}
	if isFacilityLayer(req.level) {
		query := ""
		if q := r.URL.Query(); len(q) > 0 {
			query = "?" + q.Encode()
		}
		return s.facilityMeta(ctx, req, query)
	}
	version, err := s.currentVersion(ctx)
	if err != nil {
		return nil, err
	}
	l, err := s.layer(ctx, version, req)
	if err != nil {
		return nil, err
	}
	sum, err := s.areas.LevelSummary(ctx, l.Level)
	if err != nil {
		return nil, err
	}
	catalogue, err := s.ind.Indicators(ctx)
	if err != nil {
		return nil, err
	}
	m := &meta{layer: l, title: sum.Title, bbox: sum.BBox}
	if q := r.URL.Query(); len(q) > 0 {
		m.query = "?" + q.Encode()
	}
	m.fields = []field{
		{"code", "String", "Schlüssel des Gebiets"},
		{"name", "String", "Name des Gebiets"},
	}
	credits := []string{}
	if s.cfg.Attribution != "" {
		credits = append(credits, s.cfg.Attribution)
	}
	for _, li := range l.Indicators {
		for _, ind := range catalogue {
			if ind.Key != li.Key {
				continue
			}
			if li.Clusters != nil {
				m.fields = append(m.fields, field{li.Property(), "String",
					fmt.Sprintf("LISA-Cluster von %s, Stichtag %s: hh, ll, hl, lh, ns (nicht signifikant); fehlt, wo das Gebiet nicht teilnimmt",
						ind.Title, li.Period.Format("02.01.2006"))})
				continue
			}
			if li.Since != nil {
				unit := ind.Unit
				if ind.Kind == indicators.Rate && unit == "%" {
					unit = "Prozentpunkte"
				}
				m.fields = append(m.fields,
					field{li.Property(), "Number", fmt.Sprintf("Veränderung von %s (%s) vom %s bis zum %s, aus den veröffentlichten Werten; fehlt, wo einer fehlt oder gesperrt ist",
						ind.Title, unit, li.Since.Format("02.01.2006"), li.Period.Format("02.01.2006"))},
					field{li.Property() + "_status", "String", "suppressed, wo einer der beiden Werte gesperrt ist"})
				continue
			}
			m.fields = append(m.fields,
				field{li.Key, "Number", fmt.Sprintf("%s (%s), Stichtag %s; fehlt, wo kein Wert veröffentlicht ist", ind.Title, ind.Unit, li.Period.Format("02.01.2006"))},
				field{li.Key + "_status", "String", "Status des Werts: measured, derived, estimated, provisional, missing, suppressed"},
				field{li.Key + "_suppressed", "String", "Grund der Geheimhaltung: primary, secondary, source"})
			if src := strings.TrimSpace(ind.Source); src != "" && !slices.Contains(credits, src) {
				credits = append(credits, src)
			}
		}
	}
	m.attribution = strings.Join(credits, "; ")
	return m, nil
}

// tileJSONDoc is a TileJSON 3.0.0 document
// (https://github.com/mapbox/tilejson-spec/tree/master/3.0.0).
type tileJSONDoc struct {
	TileJSON     string        `json:"tilejson"`
	Name         string        `json:"name"`
	Description  string        `json:"description,omitempty"`
	Attribution  string        `json:"attribution,omitempty"`
	Scheme       string        `json:"scheme"`
	Tiles        []string      `json:"tiles"`
	MinZoom      int           `json:"minzoom"`
	MaxZoom      int           `json:"maxzoom"`
	Bounds       []float64     `json:"bounds,omitempty"`
	Center       []float64     `json:"center,omitempty"`
	VectorLayers []vectorLayer `json:"vector_layers"`
}

type vectorLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description,omitempty"`
	Fields      map[string]string `json:"fields"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
}

func (s *Server) tileJSON(w http.ResponseWriter, r *http.Request) {
	m, err := s.metaFor(r.Context(), r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	web.WriteJSON(w, r, s.log, http.StatusOK, mediaTileJSON, tileJSONOf(m, s.base.For(r)))
}

// tileJSONOf is the TileJSON of a layer served under root; a PMTiles
// archive carries the same layers, attribution, bounds and center.
func tileJSONOf(m *meta, root string) tileJSONDoc {
	l := m.layer
	fields := map[string]string{}
	for _, f := range m.fields {
		fields[f.name] = f.typ
	}
	doc := tileJSONDoc{
		TileJSON:    "3.0.0",
		Name:        l.Level,
		Description: m.title + ", Gebietsstand " + l.Day.Format("02.01.2006"),
		Attribution: m.attribution,
		Scheme:      "xyz",
		Tiles:       []string{root + "/tiles/" + url.PathEscape(l.Level) + "/{z}/{x}/{y}.mvt" + m.query},
		MinZoom:     0,
		MaxZoom:     MaxZoom,
		VectorLayers: []vectorLayer{
			{ID: l.Level, Description: m.title + " (Flächen; Objekt-ID = Gebietsversion)", Fields: fields, MaxZoom: MaxZoom},
			{ID: LabelsLayer(l.Level), Description: m.title + " (Beschriftungspunkte)",
				Fields: map[string]string{"code": "String", "name": "String"}, MaxZoom: MaxZoom},
		},
	}
	if l.Facility != "" {
		doc.Description = m.title + ", Stand " + l.Day.Format("02.01.2006")
		doc.VectorLayers = []vectorLayer{{ID: l.Level, Description: m.title + " (Punkte; Objekt-ID = Einrichtungsstand)",
			Fields: fields, MaxZoom: MaxZoom}}
	}
	if b := m.bbox; b != nil {
		doc.Bounds = []float64{round6(b[0]), round6(b[1]), round6(b[2]), round6(b[3])}
		doc.Center = []float64{round6((b[0] + b[2]) / 2), round6((b[1] + b[3]) / 2), float64(fitZoom(*b))}
	}
	return doc
}

func round6(f float64) float64 { return math.Round(f*1e6) / 1e6 }

// fitZoom is the zoom at which the box spans about two 256-pixel tiles
// across, a start view showing all of it.
func fitZoom(b [4]float64) int {
	w := b[2] - b[0]
	if w <= 0 {
		return MaxZoom
	}
	z := int(math.Floor(math.Log2(360 / w)))
	return max(0, min(z, MaxZoom))
}

// tileRange is the tiles of zoom z that cover the lon/lat box.
func tileRange(b [4]float64, z int) (minX, minY, maxX, maxY int) {
	n := 1 << z
	x := func(lon float64) int { return clamp(int(math.Floor((lon+180)/360*float64(n))), n) }
	y := func(lat float64) int {
		lat = math.Max(-mercatorMaxLat, math.Min(mercatorMaxLat, lat))
		r := lat * math.Pi / 180
		return clamp(int(math.Floor((1-math.Log(math.Tan(r)+1/math.Cos(r))/math.Pi)/2*float64(n))), n)
	}
	// A box that ends on a tile edge does not reach into the next tile;
	// the nudge (about 0.1 mm) keeps rounding from adding it.
	const nudge = 1e-9
	return x(b[0]), y(b[3]), x(b[2] - nudge), y(b[1] + nudge)
}

func clamp(v, n int) int { return max(0, min(v, n-1)) }

// tilesetDoc is a tileset metadata document (OGC 17-083r4, 20-057).
type tilesetDoc struct {
	Title               string         `json:"title"`
	Description         string         `json:"description,omitempty"`
	Attribution         string         `json:"attribution,omitempty"`
	DataType            string         `json:"dataType"`
	CRS                 string         `json:"crs"`
	TileMatrixSetURI    string         `json:"tileMatrixSetURI"`
	TileMatrixSetLimits []matrixLimits `json:"tileMatrixSetLimits,omitempty"`
	BoundingBox         *boundingBox   `json:"boundingBox,omitempty"`
	Layers              []tileLayer    `json:"layers,omitempty"`
	Links               []link         `json:"links"`
}

type matrixLimits struct {
	TileMatrix string `json:"tileMatrix"`
	MinTileRow int    `json:"minTileRow"`
	MaxTileRow int    `json:"maxTileRow"`
	MinTileCol int    `json:"minTileCol"`
	MaxTileCol int    `json:"maxTileCol"`
}

type boundingBox struct {
	LowerLeft  [2]float64 `json:"lowerLeft"`
	UpperRight [2]float64 `json:"upperRight"`
	CRS        string     `json:"crs"`
}

type tileLayer struct {
	ID                string         `json:"id"`
	Title             string         `json:"title,omitempty"`
	DataType          string         `json:"dataType"`
	GeometryDimension int            `json:"geometryDimension"`
	MinTileMatrix     string         `json:"minTileMatrix"`
	MaxTileMatrix     string         `json:"maxTileMatrix"`
	PropertiesSchema  map[string]any `json:"propertiesSchema"`
}

// tilesetOf is the WebMercatorQuad tileset of a layer.
func (s *Server) tilesetOf(r *http.Request, m *meta) tilesetDoc {
	l := m.layer
	coll := s.base.For(r) + "/collections/" + url.PathEscape(l.Level)
	self := coll + "/tiles/" + tmsID
	doc := tilesetDoc{
		Title:            m.title + " (Vektorkacheln)",
		Description:      m.title + ", Gebietsstand " + l.Day.Format("02.01.2006"),
		Attribution:      m.attribution,
		DataType:         "vector",
		CRS:              crs3857,
		TileMatrixSetURI: tmsURI,
		Links: []link{
			{Href: self + m.query, Rel: "self", Type: mediaJSON, Title: "this tileset"},
			{Href: s.base.For(r) + "/tileMatrixSets/" + tmsID, Rel: relTilingSheme, Type: mediaJSON, Title: "the tile matrix set " + tmsID},
			{Href: self + "/{tileMatrix}/{tileRow}/{tileCol}" + m.query, Rel: "item", Type: MediaType,
				Title: "a tile (Mapbox Vector Tile)", Templated: true},
			{Href: s.base.For(r) + "/tiles/" + url.PathEscape(l.Level) + ".json" + m.query, Rel: "describedby", Type: mediaTileJSON, Title: "TileJSON"},
			{Href: coll, Rel: "collection", Type: mediaJSON, Title: "the collection"},
		},
	}
	if b := m.bbox; b != nil {
		doc.BoundingBox = &boundingBox{LowerLeft: [2]float64{b[0], b[1]}, UpperRight: [2]float64{b[2], b[3]}, CRS: crs84}
		for z := 0; z <= MaxZoom; z++ {
			minX, minY, maxX, maxY := tileRange(*b, z)
			doc.TileMatrixSetLimits = append(doc.TileMatrixSetLimits, matrixLimits{
				TileMatrix: strconv.Itoa(z), MinTileRow: minY, MaxTileRow: maxY, MinTileCol: minX, MaxTileCol: maxX})
		}
	}
	props := map[string]any{}
	for _, f := range m.fields {
		typ := "string"
		if f.typ == "Number" {
			typ = "number"
			for _, li := range l.Indicators {
				if li.Key == f.name && li.Decimals == 0 {
					typ = "integer"
				}
			}
		}
		props[f.name] = map[string]any{"type": typ, "description": f.description}
	}
	doc.Layers = []tileLayer{
		{ID: l.Level, Title: m.title, DataType: "vector", GeometryDimension: 2, MinTileMatrix: "0", MaxTileMatrix: strconv.Itoa(MaxZoom),
			PropertiesSchema: map[string]any{"type": "object", "properties": props}},
		{ID: LabelsLayer(l.Level), Title: m.title + " (Beschriftung)", DataType: "vector", GeometryDimension: 0, MinTileMatrix: "0", MaxTileMatrix: strconv.Itoa(MaxZoom),
			PropertiesSchema: map[string]any{"type": "object", "properties": map[string]any{
				"code": map[string]any{"type": "string"}, "name": map[string]any{"type": "string"}}}},
	}
	if l.Facility != "" {
		doc.Description = m.title + ", Stand " + l.Day.Format("02.01.2006")
		doc.Layers = []tileLayer{{ID: l.Level, Title: m.title, DataType: "vector", GeometryDimension: 0,
			MinTileMatrix: "0", MaxTileMatrix: strconv.Itoa(MaxZoom),
			PropertiesSchema: map[string]any{"type": "object", "properties": props}}}
	}
	return doc
}

func (s *Server) tilesets(w http.ResponseWriter, r *http.Request) {
	m, err := s.metaFor(r.Context(), r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ts := s.tilesetOf(r, m)
	coll := s.base.For(r) + "/collections/" + url.PathEscape(m.layer.Level)
	web.WriteJSON(w, r, s.log, http.StatusOK, mediaJSON, struct {
		Links    []link       `json:"links"`
		Tilesets []tilesetDoc `json:"tilesets"`
	}{
		Links: []link{
			{Href: coll + "/tiles" + m.query, Rel: "self", Type: mediaJSON, Title: "the tilesets of this collection"},
			{Href: coll, Rel: "collection", Type: mediaJSON, Title: "the collection"},
		},
		// The list repeats each tileset's summary; its self link leads to the
		// full metadata.
		Tilesets: []tilesetDoc{{Title: ts.Title, DataType: ts.DataType, CRS: ts.CRS,
			TileMatrixSetURI: ts.TileMatrixSetURI, Links: ts.Links[:3]}},
	})
}

func (s *Server) tileset(w http.ResponseWriter, r *http.Request) {
	m, err := s.metaFor(r.Context(), r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	web.WriteJSON(w, r, s.log, http.StatusOK, mediaJSON, s.tilesetOf(r, m))
}

// tileMatrix is one zoom of a tile matrix set. It carries the keys of both
// JSON encodings of OGC 17-083: 2.0 (17-083r4: id, pointOfOrigin,
// cornerOfOrigin, cellSize) and 1.0 (17-083r2: identifier,
// topLeftCorner), which GDAL up to 3.6 reads.
type tileMatrix struct {
	ID               string     `json:"id"`
	Identifier       string     `json:"identifier"`
	ScaleDenominator float64    `json:"scaleDenominator"`
	CellSize         float64    `json:"cellSize"`
	CornerOfOrigin   string     `json:"cornerOfOrigin"`
	PointOfOrigin    [2]float64 `json:"pointOfOrigin"`
	TopLeftCorner    [2]float64 `json:"topLeftCorner"`
	TileWidth        int        `json:"tileWidth"`
	TileHeight       int        `json:"tileHeight"`
	MatrixWidth      int        `json:"matrixWidth"`
	MatrixHeight     int        `json:"matrixHeight"`
}

// tileMatrixSet is a tile matrix set definition in both encodings (see
// tileMatrix): id, crs, orderedAxes and tileMatrices of 2.0 next to
// identifier, supportedCRS and boundingBox of 1.0.
type tileMatrixSet struct {
	ID                string       `json:"id"`
	Identifier        string       `json:"identifier"`
	Title             string       `json:"title"`
	URI               string       `json:"uri"`
	CRS               string       `json:"crs"`
	SupportedCRS      string       `json:"supportedCRS"`
	OrderedAxes       []string     `json:"orderedAxes"`
	WellKnownScaleSet string       `json:"wellKnownScaleSet"`
	BoundingBox       tmsBBox      `json:"boundingBox"`
	TileMatrices      []tileMatrix `json:"tileMatrices"`
	Links             []link       `json:"links,omitempty"`
}

type tmsBBox struct {
	CRS         string     `json:"crs"`
	LowerLeft   [2]float64 `json:"lowerLeft"`
	UpperRight  [2]float64 `json:"upperRight"`
	LowerCorner [2]float64 `json:"lowerCorner"`
	UpperCorner [2]float64 `json:"upperCorner"`
}

// webMercatorQuadDoc is the definition of WebMercatorQuad up to MaxZoom.
func webMercatorQuadDoc() tileMatrixSet {
	lo, hi := [2]float64{-mercatorHalf, -mercatorHalf}, [2]float64{mercatorHalf, mercatorHalf}
	t := tileMatrixSet{
		ID: tmsID, Identifier: tmsID, Title: "Google Maps Compatible for the World", URI: tmsURI,
		CRS: crs3857, SupportedCRS: crs3857, OrderedAxes: []string{"X", "Y"}, WellKnownScaleSet: tmsWellKnownGMCS,
		BoundingBox: tmsBBox{CRS: crs3857, LowerLeft: lo, UpperRight: hi, LowerCorner: lo, UpperCorner: hi},
	}
	origin := [2]float64{-mercatorHalf, mercatorHalf}
	for z := 0; z <= MaxZoom; z++ {
		f := float64(int(1) << z)
		t.TileMatrices = append(t.TileMatrices, tileMatrix{
			ID: strconv.Itoa(z), Identifier: strconv.Itoa(z),
			ScaleDenominator: zoom0ScaleDenom / f, CellSize: zoom0CellSize / f,
			CornerOfOrigin: "topLeft", PointOfOrigin: origin, TopLeftCorner: origin,
			TileWidth: tmsTileWidthPx, TileHeight: tmsTileWidthPx, MatrixWidth: 1 << z, MatrixHeight: 1 << z,
		})
	}
	return t
}

func (s *Server) tileMatrixSets(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.Query()) > 0 {
		web.BadRequest(w, r, "this resource takes no query parameters")
		return
	}
	href := s.base.For(r) + "/tileMatrixSets/" + tmsID
	web.WriteJSON(w, r, s.log, http.StatusOK, mediaJSON, struct {
		TileMatrixSets []any `json:"tileMatrixSets"`
	}{[]any{map[string]any{"id": tmsID, "title": "Google Maps Compatible for the World", "uri": tmsURI,
		"links": []link{{Href: href, Rel: relTilingSheme, Type: mediaJSON, Title: "the tile matrix set " + tmsID}}}}})
}

func (s *Server) webMercatorQuad(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.Query()) > 0 {
		web.BadRequest(w, r, "this resource takes no query parameters")
		return
	}
	doc := webMercatorQuadDoc()
	doc.Links = []link{{Href: s.base.For(r) + "/tileMatrixSets/" + tmsID, Rel: "self", Type: mediaJSON, Title: "this document"}}
	web.WriteJSON(w, r, s.log, http.StatusOK, mediaJSON, doc)
}

// CollectionLinks are the links from a collection of OGC API Features (a
// level) to its vector tiles, for oapif.Config.CollectionLinks: GDAL's
// OGCAPI driver and QGIS find the tilesets through the tilesets-vector
// relation.
func CollectionLinks(root, level string) []oapif.Link {
	coll := root + "/collections/" + url.PathEscape(level)
	return []oapif.Link{
		{Href: coll + "/tiles", Rel: RelTilesetsVector, Type: mediaJSON, Title: "vector tilesets of this collection"},
		{Href: root + "/tiles/" + url.PathEscape(level) + ".json", Rel: "describedby", Type: mediaTileJSON, Title: "TileJSON of the vector tiles"},
	}
}
