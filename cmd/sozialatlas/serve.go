package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/sozialatlas/sozialatlas/cmd/sozialatlas/viewer"
	"github.com/sozialatlas/sozialatlas/data/demo"
	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/facility"
	"github.com/sozialatlas/sozialatlas/geo/oapif"
	"github.com/sozialatlas/sozialatlas/geo/web"
	"github.com/sozialatlas/sozialatlas/indicators"
	"github.com/sozialatlas/sozialatlas/metrics"
	"github.com/sozialatlas/sozialatlas/tiles"
)

type serveFlags struct {
	db              dbFlags
	addr            string
	baseURL         string
	demoDir         string
	logFormat       string
	logLevel        string
	stmtTimeout     time.Duration
	shutdownTimeout time.Duration
	maxLimit        int
	tileCacheMiB    int64
	tileVersionAge  time.Duration
	replicas        string
	access          accessFlags
	corsOrigins     string
	frameAncestors  string
	maxBBoxKm2      float64
}

func serveCmd(ctx context.Context, args []string, stderr io.Writer) error {
	var f serveFlags
	fs := newFlagSet("serve", stderr)
	f.db.register(fs)
	fs.StringVar(&f.addr, "addr", envOr("SOZIALATLAS_ADDR", "127.0.0.1:8080"), "listen address (env SOZIALATLAS_ADDR)")
	fs.StringVar(&f.baseURL, "base-url", envOr("SOZIALATLAS_BASE_URL", ""), "public URL of the service for links, if behind a proxy (env SOZIALATLAS_BASE_URL)")
	fs.StringVar(&f.demoDir, "demo", "", "load the demo atlas from this directory when it is not loaded yet (e.g. data/demo)")
	fs.StringVar(&f.logFormat, "log-format", envOr("SOZIALATLAS_LOG_FORMAT", "text"), "log format: text or json")
	fs.StringVar(&f.logLevel, "log-level", envOr("SOZIALATLAS_LOG_LEVEL", "info"), "log level: debug, info, warn, error")
	fs.DurationVar(&f.stmtTimeout, "statement-timeout", 30*time.Second, "PostgreSQL statement_timeout for requests")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 20*time.Second, "how long shutdown waits for requests in flight")
	fs.IntVar(&f.maxLimit, "max-limit", 20000, "largest page of features one request may ask for")
	fs.Int64Var(&f.tileCacheMiB, "tile-cache", tiles.DefaultCacheBytes>>20, "MiB of memory for finished vector tiles; 0 caches none")
	fs.DurationVar(&f.tileVersionAge, "tile-version-age", time.Second, "how long the data version read for the tile cache is trusted; 0 reads it for every tile")
	fs.StringVar(&f.replicas, "database-url-replicas", os.Getenv("DATABASE_URL_REPLICAS"),
		"comma-separated connection strings of streaming replicas that answer reads (env DATABASE_URL_REPLICAS)")
	f.access.register(fs)
	fs.StringVar(&f.corsOrigins, "cors-origins", "", "origins whose pages may read the API, comma-separated (https://atlas.example.de); empty allows none")
	fs.StringVar(&f.frameAncestors, "frame-ancestors", "", "origins that may embed the viewer in a frame, comma-separated; empty allows none")
	fs.Float64Var(&f.maxBBoxKm2, "max-bbox-km2", 0, "largest bbox area in km² that /items accepts; 0 accepts any")
	config := fs.String("config", "", "configuration file (YAML, keys are flag names); env SOZIALATLAS_CONFIG")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if err := applyConfig(fs, *config); err != nil {
		return err
	}
	if err := f.access.check(); err != nil {
		return err
	}
	log, err := newLogger(stderr, f.logFormat, f.logLevel)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, f.db, log)
	if err != nil {
		return err
	}
	defer db.close()
	if f.demoDir != "" {
		// The demo loads without the requests' statement timeout: the
		// first start imports all of Germany's boundaries.
		areas, ind := stores(db.pool)
		if err := demo.Load(ctx, areas, ind, f.demoDir, log); err != nil {
			return err
		}
	}
	// Areas imported before tile geometry existed get it now, once.
	if levels, err := tiles.EnsureGeometry(ctx, db.pool); err != nil {
		return err
	} else if len(levels) > 0 {
		log.Info("tile geometry built", "levels", levels)
	}
	pool, err := db.readPool(ctx, f.stmtTimeout, splitReplicas(f.replicas))
	if err != nil {
		return err
	}
	defer pool.Close()
	areas, ind := stores(pool)
	// imports over HTTP run like the command line's: on the primary,
	// without the requests' statement timeout
	primaryAreas, primaryInd := stores(db.pool)

	handler, tileServer := newRoutes(areas, ind, storesOn{primaryAreas, primaryInd}, f, log)
	stopWatch := watchVersion(ctx, db.config.ConnConfig, log, tileServer)
	defer stopWatch()
	srv := &http.Server{
		Addr:              f.addr,
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	log.Info("listening", "addr", "http://"+ln.Addr().String())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", f.shutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), f.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// maxRequestBody bounds request bodies; uploads have their own limit.
const maxRequestBody = 1 << 20

func newRouter(store *geo.Store, ind *indicators.Store, f serveFlags, log *slog.Logger) http.Handler {
	h, _ := newRoutes(store, ind, storesOn{store, ind}, f, log)
	return h
}

// storesOn are the stores on one pool.
type storesOn struct {
	areas *geo.Store
	ind   *indicators.Store
}

// newRoutes is newRouter, also returning the tile server for the data
// version notifications. store and ind answer reads (on replicas, when
// there are some); primary takes what writes: imports, reverts, the audit
// log and the tokens' last use, which a replica would refuse.
func newRoutes(store *geo.Store, ind *indicators.Store, primary storesOn, f serveFlags, log *slog.Logger) (http.Handler, *tiles.Server) {
	r := chi.NewRouter()
	m := metrics.New()
	m.Pool("serving", store.Pool())
	if primary.areas.Pool() != store.Pool() {
		m.Pool("primary", primary.areas.Pool())
	}
	// CORS answers preflights before authentication, which a browser's
	// preflight cannot pass: it carries no credentials
	r.Use(m.Middleware, web.RequestID, web.AccessLog(log), web.Recoverer(log),
		securityHeaders(splitList(f.frameAncestors)), corsHandler(splitList(f.corsOrigins)),
		limitBody(maxRequestBody, ownBodyLimit), authenticate(primary.areas, f.access, log), compress)
	r.NotFound(func(w http.ResponseWriter, req *http.Request) {
		web.NotFound(w, req, "no resource at this path; the API is described at /api")
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, req *http.Request) {
		web.WriteProblem(w, req, web.Problem{Status: http.StatusMethodNotAllowed,
			Title: "Method Not Allowed", Detail: req.Method + " is not allowed here"})
	})
	r.Get("/healthz", liveness)
	r.Get("/readyz", readiness(store.Pool(), log))
	r.Method(http.MethodGet, "/metrics", m.Handler())
	features := oapif.New(store, oapif.Config{
		Title:       "Sozialatlas",
		Description: "Gebiete, Indikatoren und Karten für die integrierte Sozialplanung",
		Attribution: attribution,
		MaxLimit:    f.maxLimit,
		MaxBBoxKm2:  f.maxBBoxKm2,
		BaseURL:     f.baseURL,
		Logger:      log,
		Properties:  ind.Join(),
		// The tiles answer under the same root as the features.
		CollectionLinks: tiles.CollectionLinks,
		// Browsers opening the root get the map viewer.
		LandingHTML: viewer.Page,
		// Facility types are point-layer collections beside the levels.
		Layers: facility.NewStore(store.Pool()),
	})
	features.Routes(r)
	r.Handle(viewer.Prefix+"*", viewer.Assets())
	ind.MetaRoutes(r, indicators.MetaConfig{Base: web.BaseURL{Public: f.baseURL}, Logger: log})
	ind.OutputRoutes(r, indicators.OutputConfig{Logger: log})
	ts := tiles.New(store, ind, tiles.Config{
		CacheBytes:    tileCacheBytes(f.tileCacheMiB),
		VersionMaxAge: versionAge(f.tileVersionAge),
		BaseURL:       f.baseURL,
		Attribution:   attribution,
		Logger:        log,
	})
	m.TileCache(ts.Cache())
	ts.Routes(r)
	importRoutes(r, primary.areas, primary.ind, f.access, log)
	return r, ts
}

// attribution credits the boundary data of the demo atlas.
const attribution = "© GeoBasis-DE / BKG 2021 (Daten verändert); Geoportal Berlin (LOR), CC BY 4.0"

// tileCacheBytes is the --tile-cache flag in bytes: 0 turns the cache off.
func tileCacheBytes(mib int64) int64 {
	if mib <= 0 {
		return -1
	}
	return mib << 20
}

// versionAge is the --tile-version-age flag for tiles.Config: 0 reads the
// version for every tile.
func versionAge(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}

// compress gzips text answers for clients that accept it: the GeoJSON of
// all Gemeinden shrinks from about 7 MB to a fraction. Level 5 keeps the
// server's cost per megabyte low; XLSX is compressed already.
var compress = middleware.Compress(5,
	"application/json", "application/geo+json", "application/problem+json",
	"application/vnd.oai.openapi+json", "text/csv", "text/html", "text/plain")

// limitBody bounds request bodies to n bytes, except those of requests for
// which own is true: their handlers set limits of their own.
func limitBody(n int64, own func(*http.Request) bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if own(r) {
				next.ServeHTTP(w, r)
				return
			}
			if r.ContentLength > n {
				web.WriteProblem(w, r, web.Problem{Status: http.StatusRequestEntityTooLarge,
					Title: "Request body too large", Detail: fmt.Sprintf("at most %d bytes", n)})
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, n)
			next.ServeHTTP(w, r)
		})
	}
}
