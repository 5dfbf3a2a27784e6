// Package tiles serves the areas of a level with indicator values as
// Mapbox Vector Tiles (MVT 2.1) cut from Web Mercator geometry precomputed
// per zoom band (table tile_geom), with TileJSON 3.0 and OGC API – Tiles
// metadata, and keeps finished tiles gzip-compressed in a bytes-bounded
// memory cache keyed by the data version.
package tiles

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/facility"
	"github.com/sozialatlas/sozialatlas/geo/web"
	"github.com/sozialatlas/sozialatlas/indicators"
	"github.com/sozialatlas/sozialatlas/tiles/pmtiles"
)

// MediaType is the media type of a vector tile.
const MediaType = "application/vnd.mapbox-vector-tile"

// DefaultCacheBytes bounds the tile cache unless configured otherwise.
const DefaultCacheBytes = 256 << 20

// cacheControl lets browsers and proxies reuse a tile for a minute without
// asking: a planner panning back and forth gets the tiles from the browser,
// and an import reaches a map at most a minute late; after that the ETag
// makes asking again cheap (304).
const cacheControl = "public, max-age=60"

// Config configures the tile service.
type Config struct {
	// CacheBytes bounds the tile cache; 0 takes DefaultCacheBytes, a
	// negative value caches nothing.
	CacheBytes int64
	// VersionMaxAge is how long a data version read from the database is
	// trusted (default one second); negative reads it for every request.
	VersionMaxAge time.Duration
	// BaseURL is the service's public root URL for links; empty takes
	// scheme and host from each request.
	BaseURL string
	// Attribution credits the boundary data; the indicators' sources are
	// added to it.
	Attribution string
	Logger      *slog.Logger
}

// Server answers tile and tile metadata requests.
type Server struct {
	pool  *pgxpool.Pool
	areas *geo.Store
	ind   *indicators.Store
	// facilities are the point layers served beside the levels
	facilities *facility.Store
	cfg        Config
	base       web.BaseURL
	log        *slog.Logger
	cache      *Cache
	version    *versionSource

	mu      sync.Mutex
	seen    int64             // the data version the cache and layers belong to
	layers  map[string]*Layer // resolved layers of that version, by request key
	flights map[string]*flight
}

// maxLayers bounds the resolved layers kept per data version.
const maxLayers = 4096

// New returns a tile server on the stores.
func New(areas *geo.Store, ind *indicators.Store, cfg Config) *Server {
	if cfg.CacheBytes == 0 {
		cfg.CacheBytes = DefaultCacheBytes
	}
	switch {
	case cfg.VersionMaxAge == 0:
		cfg.VersionMaxAge = time.Second
	case cfg.VersionMaxAge < 0:
		cfg.VersionMaxAge = 0
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Server{
		pool:  areas.Pool(),
		areas: areas,
		ind:   ind,
		// the facilities live in the same database as the areas
		facilities: facility.NewStore(areas.Pool()),
		cfg:        cfg,
		base:       web.BaseURL{Public: cfg.BaseURL},
		log:        log,
		cache:      NewCache(cfg.CacheBytes),
		version:    &versionSource{pool: areas.Pool(), maxAge: cfg.VersionMaxAge},
		layers:     map[string]*Layer{},
		flights:    map[string]*flight{},
	}
}

// Cache returns the server's tile cache.
func (s *Server) Cache() *Cache { return s.cache }

// Routes mounts the tile resources on r:
//
//	GET /tiles/{level}/{z}/{x}/{y}.mvt?indicators=&period=&datetime=
//	GET /tiles/{level}.json                          TileJSON 3.0
//	GET /collections/{level}/tiles                   OGC API – Tiles: tilesets
//	GET /collections/{level}/tiles/WebMercatorQuad   tileset metadata
//	GET /collections/{level}/tiles/WebMercatorQuad/{z}/{y}/{x}
//	GET /tileMatrixSets, /tileMatrixSets/WebMercatorQuad
func (s *Server) Routes(r chi.Router) {
	r.Get("/tiles/{level}/{z}/{x}/{y}.mvt", s.xyzTile)
	r.Get("/tiles/{level}.json", s.tileJSON)
	r.Get("/collections/{level}/tiles", s.tilesets)
	r.Get("/collections/{level}/tiles/WebMercatorQuad", s.tileset)
	r.Get("/collections/{level}/tiles/WebMercatorQuad/{z}/{y}/{x}", s.ogcTile)
	r.Get("/tileMatrixSets", s.tileMatrixSets)
	r.Get("/tileMatrixSets/WebMercatorQuad", s.webMercatorQuad)
}

// layerParams are the query parameters of tiles and their metadata.
var layerParams = []string{"indicators", "period", "period2", "datetime"}

// request is a tile request's parameters as given.
type request struct {
	level      string
	indicators []string
	period     *time.Time
	// period2 is the earlier period of KEY_change properties.
	period2 *time.Time
	day     time.Time
}

// key identifies the request's tiles in the cache (with the tile and the
// data version).
func (q *request) key() string {
	p := ""
	if q.period != nil {
		p = q.period.Format(time.DateOnly)
	}
	p2 := ""
	if q.period2 != nil {
		p2 = q.period2.Format(time.DateOnly)
	}
	return q.level + "|" + strings.Join(q.indicators, ",") + "|" + p + "|" + p2 + "|" + q.day.Format(time.DateOnly)
}

// paramError is a bad query parameter, answered 400.
type paramError struct{ param, reason string }

func (e *paramError) Error() string { return fmt.Sprintf("query parameter %s: %s", e.param, e.reason) }

// notFoundError is a level, indicator or period without tiles, answered 404.
type notFoundError struct{ detail string }

func (e *notFoundError) Error() string { return e.detail }

// parseRequest reads level, indicators, period and datetime.
func parseRequest(r *http.Request, level string) (*request, error) {
	q := r.URL.Query()
	for name, vs := range q {
		if !slices.Contains(layerParams, name) {
			return nil, &paramError{strconv.Quote(name), "unknown; tiles take " + strings.Join(layerParams, ", ")}
		}
		if len(vs) > 1 {
			return nil, &paramError{name, fmt.Sprintf("given %d times; give it once", len(vs))}
		}
	}
	req := &request{level: level}
	if list := q.Get("indicators"); list != "" {
		for _, k := range strings.Split(list, ",") {
			k = strings.TrimSpace(k)
			if k == "" {
				return nil, &paramError{"indicators", fmt.Sprintf("%q has an empty key; separate keys by single commas", list)}
			}
			if slices.Contains(req.indicators, k) {
				return nil, &paramError{"indicators", fmt.Sprintf("%q is named twice", k)}
			}
			req.indicators = append(req.indicators, k)
		}
	}
	if v := q.Get("period"); v != "" {
		if req.indicators == nil {
			return nil, &paramError{"period", "only with indicators: name the indicators whose period it is"}
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return nil, &paramError{"period", fmt.Sprintf("%q is not a date (2022-12-31)", v)}
		}
		req.period = &t
	}
	if v := q.Get("period2"); v != "" {
		if !slices.ContainsFunc(req.indicators, func(k string) bool { return strings.HasSuffix(k, indicators.ChangeSuffix) }) {
			return nil, &paramError{"period2", "only with a change, e.g. indicators=einwohner" + indicators.ChangeSuffix + ": the period the change is counted from"}
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return nil, &paramError{"period2", fmt.Sprintf("%q is not a date (2018-12-31)", v)}
		}
		req.period2 = &t
	}
	req.day = today()
	if v := q.Get("datetime"); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			t, err = time.Parse(time.RFC3339, v)
		}
		if err != nil {
			return nil, &paramError{"datetime", fmt.Sprintf("%q is not a date (2022-12-31) or a date-time (2022-12-31T00:00:00Z)", v)}
		}
		req.day = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	return req, nil
}

// today is the local calendar day, as a UTC date.
func today() time.Time {
	n := time.Now()
	return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC)
}

// parseTile reads z, x and y from the path.
func parseTile(r *http.Request) (TileID, error) {
	var t TileID
	for _, p := range []struct {
		name string
		dst  *int
	}{{"z", &t.Z}, {"x", &t.X}, {"y", &t.Y}} {
		v := chi.URLParam(r, p.name)
		n, err := strconv.Atoi(v)
		if err != nil {
			return t, &paramError{p.name, fmt.Sprintf("%q is not a whole number", v)}
		}
		*p.dst = n
	}
	if t.Z < 0 || t.Z > MaxZoom {
		return t, &rangeError{fmt.Sprintf("zoom %d is outside the zoom levels 0 to %d", t.Z, MaxZoom)}
	}
	if !t.Valid() {
		return t, &rangeError{fmt.Sprintf("tile %d/%d is outside zoom %d, which has tiles 0 to %d each way", t.X, t.Y, t.Z, 1<<t.Z-1)}
	}
	return t, nil
}

// rangeError is a tile outside the tiling: 400 for /tiles, 404 for OGC API
// – Tiles, which answers a tile outside the tile matrix set limits so.
type rangeError struct{ reason string }

func (e *rangeError) Error() string { return e.reason }

// currentVersion reads the data version and, when it changed, drops what
// belonged to the old one.
func (s *Server) currentVersion(ctx context.Context) (int64, error) {
	v, err := s.version.get(ctx)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	changed := v > s.seen
	if changed {
		s.seen = v
		clear(s.layers)
	}
	s.mu.Unlock()
	if changed {
		s.cache.purge()
	}
	return v, nil
}

// layer resolves a request against the database: the level exists, the
// indicators are in the catalogue, and each has a period with values at
// the level. Layers are kept per data version.
func (s *Server) layer(ctx context.Context, version int64, req *request) (*Layer, error) {
	key := req.key()
	s.mu.Lock()
	l, ok := s.layers[key]
	s.mu.Unlock()
	if ok && s.seenVersion() == version {
		return l, nil
	}
	if isFacilityLayer(req.level) {
		l, _, err := s.facilityLayer(ctx, req)
		if err != nil {
			return nil, err
		}
		s.keepLayer(version, key, l)
		return l, nil
	}
	if _, err := s.areas.Level(ctx, req.level); err != nil {
		if errors.Is(err, geo.ErrNotFound) {
			return nil, &notFoundError{fmt.Sprintf("There is no level %q; /collections lists them.", req.level)}
		}
		return nil, err
	}
	l = &Layer{Level: req.level, Day: req.day}
	if len(req.indicators) > 0 {
		catalogue, err := s.ind.Indicators(ctx)
		if err != nil {
			return nil, err
		}
		// KEY_lisa shows the clusters of KEY's values and KEY_change their
		// change since period2: KEY's period
		keys := make([]string, len(req.indicators))
		kinds := make([]string, len(req.indicators))
		for n, k := range req.indicators {
			keys[n] = k
			if slices.ContainsFunc(catalogue, func(ind indicators.Indicator) bool { return ind.Key == k }) {
				continue
			}
			for _, suffix := range []string{indicators.LISASuffix, indicators.ChangeSuffix} {
				if base, ok := strings.CutSuffix(k, suffix); ok &&
					slices.ContainsFunc(catalogue, func(ind indicators.Indicator) bool { return ind.Key == base }) {
					keys[n], kinds[n] = base, suffix
				}
			}
		}
		periods, err := s.ind.LatestPeriods(ctx, req.level, keys, req.period, req.day)
		if err != nil {
			return nil, err
		}
		var earlier map[string]time.Time
		if slices.Contains(kinds, indicators.ChangeSuffix) {
			if req.period2 == nil {
				return nil, &paramError{"period2", "missing; a change (" + indicators.ChangeSuffix + ") needs the period it is counted from"}
			}
			if earlier, err = s.ind.LatestPeriods(ctx, req.level, keys, req.period2, req.day); err != nil {
				return nil, err
			}
		}
		for n, k := range keys {
			i := slices.IndexFunc(catalogue, func(ind indicators.Indicator) bool { return ind.Key == k })
			if i < 0 {
				return nil, &paramError{"indicators", fmt.Sprintf("%q is not an indicator; /indicators lists them", req.indicators[n])}
			}
			for _, name := range []string{k, k + "_status", k + "_suppressed"} {
				if name == "code" || name == "name" {
					return nil, &paramError{"indicators", fmt.Sprintf("%q would take the property %q, which the features have already", k, name)}
				}
			}
			p, ok := periods[k]
			if !ok {
				return nil, noValues(k, req.level, req.period, req.day)
			}
			li := LayerIndicator{Key: k, Period: p, Decimals: catalogue[i].Decimals}
			switch kinds[n] {
			case indicators.LISASuffix:
				if li.Clusters, err = s.ind.LISAClusters(ctx, catalogue[i], req.level, p, req.day); err != nil {
					return nil, err
				}
			case indicators.ChangeSuffix:
				from, ok := earlier[k]
				if !ok {
					return nil, noValues(k, req.level, req.period2, req.day)
				}
				li.Since = &from
			}
			l.Indicators = append(l.Indicators, li)
		}
	}
	s.keepLayer(version, key, l)
	return l, nil
}

// keepLayer keeps a resolved layer while its data version is current.
func (s *Server) keepLayer(version int64, key string, l *Layer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == version {
		if len(s.layers) >= maxLayers {
			clear(s.layers)
		}
		s.layers[key] = l
	}
}

// noValues is the answer for an indicator without values at the level.
func noValues(key, level string, period *time.Time, day time.Time) error {
	in := ""
	if period != nil {
		in = " in period " + period.Format(time.DateOnly)
	}
	return &notFoundError{fmt.Sprintf("Indicator %q has no values for level %q%s on the boundaries valid %s; /indicators/%s lists its levels and periods.",
		key, level, in, day.Format(time.DateOnly), key)}
}

func (s *Server) seenVersion() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen
}

// flight is a tile being built; requests for the same tile wait for it
// instead of building it again.
type flight struct {
	done chan struct{}
	e    *entry
	err  error
}

// tile returns the finished tile for a request, from the cache or built and
// cached.
func (s *Server) tile(ctx context.Context, req *request, t TileID) (*entry, error) {
	version, err := s.currentVersion(ctx)
	if err != nil {
		return nil, err
	}
	return s.tileAt(ctx, version, req, t)
}

// tileAt is a tile of the given data version, from the cache or built and
// cached; requests for a tile being built wait for it.
func (s *Server) tileAt(ctx context.Context, version int64, req *request, t TileID) (*entry, error) {
	key := tileKey(version, req, t)
	if e, ok := s.cache.get(key); ok {
		return e, nil
	}
	s.mu.Lock()
	if f, ok := s.flights[key]; ok {
		s.mu.Unlock()
		select {
		case <-f.done:
			return f.e, f.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f := &flight{done: make(chan struct{})}
	s.flights[key] = f
	s.mu.Unlock()

	var behind bool
	f.e, behind, f.err = s.build(ctx, version, key, req, t)
	s.mu.Lock()
	delete(s.flights, key)
	s.mu.Unlock()
	close(f.done)
	if f.err == nil && !behind && s.seenVersion() == version {
		s.cache.put(f.e)
	}
	return f.e, f.err
}

// build renders, compresses and tags a tile. behind reports that the
// connection it was rendered on showed an older data version than the one
// the tile is keyed by: with read replicas that lag differently, or a
// replica and the primary it fell back to, the version and the tile can
// come from different servers, and such a tile must not be cached under the
// newer version.
func (s *Server) build(ctx context.Context, version int64, key string, req *request, t TileID) (e *entry, behind bool, err error) {
	l, err := s.layer(ctx, version, req)
	if err != nil {
		return nil, false, err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("tile %s/%s: %w", l.Level, t, err)
	}
	defer conn.Release()
	// Replay on a server only moves forward, so data read after this
	// version on the same connection is at least as new.
	var seen int64
	if err := conn.QueryRow(ctx, sqlDataVersion).Scan(&seen); err != nil {
		return nil, false, fmt.Errorf("tile %s/%s: data version: %w", l.Level, t, err)
	}
	mvt, err := Render(ctx, conn, l, t)
	if err != nil {
		return nil, false, err
	}
	// A tile from a server behind the version is tagged with the version it
	// shows, so that a client revalidating it later gets the newer one.
	behind = seen < version
	tagged, tagKey := version, key
	if behind {
		tagged, tagKey = seen, tileKey(seen, req, t)
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(tagKey))
	e = &entry{key: key, etag: fmt.Sprintf(`"%d-%016x`, tagged, h.Sum64())}
	if len(mvt) > 0 {
		// compressed once, for every client that accepts gzip
		if e.gz, err = pmtiles.Gzip(mvt, gzip.DefaultCompression); err != nil {
			return nil, false, fmt.Errorf("tile %s/%s: %w", l.Level, t, err)
		}
	}
	return e, behind, nil
}

// Announce tells the server that the data version changed to version (0:
// it may have changed unseen, e.g. while the notifications were lost): the
// next tile reads the version again instead of trusting the one it read
// last, and the cache is dropped once the change shows.
func (s *Server) Announce(version int64) { s.version.announce(version) }

func (s *Server) xyzTile(w http.ResponseWriter, r *http.Request) {
	t, err := parseTile(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.serveTile(w, r, t)
}

func (s *Server) ogcTile(w http.ResponseWriter, r *http.Request) {
	t, err := parseTile(r)
	var re *rangeError
	if errors.As(err, &re) {
		err = &notFoundError{"There is no such tile: " + re.reason + "."}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.serveTile(w, r, t)
}

// serveTile answers a tile: 204 when empty, 304 when the client has it,
// otherwise the tile, gzip-compressed for clients that accept it.
func (s *Server) serveTile(w http.ResponseWriter, r *http.Request, t TileID) {
	req, err := parseRequest(r, chi.URLParam(r, "level"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	e, err := s.tile(r.Context(), req, t)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Cache-Control", cacheControl)
	h.Add("Vary", "Accept-Encoding")
	if e.gz == nil {
		// An empty tile is always 204: no layer, no feature.
		w.WriteHeader(http.StatusNoContent)
		return
	}
	gz := acceptsGzip(r.Header.Get("Accept-Encoding"))
	etag := e.etag + `"`
	if gz {
		etag = e.etag + `-gz"`
	}
	h.Set("ETag", etag)
	if matchesETag(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", MediaType)
	body := e.gz
	if gz {
		h.Set("Content-Encoding", "gzip")
	} else if body, err = pmtiles.Gunzip(e.gz); err != nil {
		s.fail(w, r, err)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// acceptsGzip reads Accept-Encoding (RFC 9110 12.5.3): gzip or * with a
// non-zero weight.
func acceptsGzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "x-gzip" && coding != "*" {
			continue
		}
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			name, val, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(name), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
					q = f
				}
			}
		}
		if q > 0 {
			return true
		}
	}
	return false
}

// matchesETag reports whether If-None-Match names etag (weak comparison,
// RFC 9110 13.1.2) or is *.
func matchesETag(inm, etag string) bool {
	if inm == "" {
		return false
	}
	for _, t := range strings.Split(inm, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// fail answers an error: 400 for a bad parameter, 404 for what does not
// exist, otherwise as any store error.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var pe *paramError
	var re *rangeError
	var nf *notFoundError
	switch {
	case errors.As(err, &pe):
		web.BadRequest(w, r, pe.Error())
	case errors.As(err, &re):
		web.BadRequest(w, r, re.reason)
	case errors.As(err, &nf):
		web.NotFound(w, r, nf.detail)
	default:
		web.Fail(w, r, s.log, err)
	}
}
