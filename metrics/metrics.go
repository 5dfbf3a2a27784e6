// Package metrics exposes the service's Prometheus metrics: HTTP requests
// and their latency by route, the vector tile cache and the database
// connection pools. Each service has a registry of its own, so that tests
// and several servers in one process never share counters.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sozialatlas/sozialatlas/tiles"
)

// namespace prefixes every metric of the service.
const namespace = "sozialatlas"

// unmatched is the route label of requests no route matched: raw paths
// would let any client create series without bound.
const unmatched = "unmatched"

// Metrics is one service's registry and HTTP instruments.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
	// pools are the connection pools Pool named, read by one collector
	pools *poolCollector
}

// New returns a registry holding the HTTP instruments and the Go runtime
// and process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests answered, by route pattern, method and status class (2xx, 3xx, 4xx, 5xx).",
		}, []string{"route", "method", "code"}),
		// Buckets from 5 ms (a cached tile) to 30 s (the default statement
		// timeout, beyond which a request fails anyway).
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time from a request's arrival to the end of its answer, by route pattern and method.",
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "http", Name: "requests_in_flight",
			Help: "Requests being answered now.",
		}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.inFlight,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry returns the registry, for registering further collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Middleware counts and times every request by the pattern of the route
// that answered it. It must be used on the chi router whose routes it
// names, so that the route context is filled in when the handler returns.
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		m.inFlight.Inc()
		defer func() {
			m.inFlight.Dec()
			route := unmatched
			if rc := chi.RouteContext(r.Context()); rc != nil {
				if p := rc.RoutePattern(); p != "" {
					route = p
				}
			}
			method := methodLabel(r.Method)
			m.requests.WithLabelValues(route, method, statusClass(ww.Status())).Inc()
			m.duration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(ww, r)
	})
}

// methodLabel keeps the method label bounded: a client may send any token
// as a method.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// statusClass is "2xx" for 200 to 299 and so on; nothing written is the
// 200 net/http sends.
func statusClass(code int) string {
	if code == 0 {
		code = http.StatusOK
	}
	return strconv.Itoa(code/100) + "xx"
}

// TileCache registers a collector reading the tile cache's counts at each
// scrape: the cache keeps them itself, so nothing is counted twice.
func (m *Metrics) TileCache(c *tiles.Cache) {
	m.reg.MustRegister(tileCacheCollector{c})
}

var (
	tileHits = prometheus.NewDesc(namespace+"_tile_cache_hits_total",
		"Tile lookups answered from the cache.", nil, nil)
	tileMisses = prometheus.NewDesc(namespace+"_tile_cache_misses_total",
		"Tile lookups not in the cache (the tile was built, or joined one being built).", nil, nil)
	tileEvictions = prometheus.NewDesc(namespace+"_tile_cache_evictions_total",
		"Tiles dropped to make room for others.", nil, nil)
	tileBytes = prometheus.NewDesc(namespace+"_tile_cache_bytes",
		"Bytes the cached tiles take, overhead included.", nil, nil)
	tileEntries = prometheus.NewDesc(namespace+"_tile_cache_entries",
		"Tiles in the cache.", nil, nil)
)

type tileCacheCollector struct{ c *tiles.Cache }

func (tileCacheCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{tileHits, tileMisses, tileEvictions, tileBytes, tileEntries} {
		ch <- d
	}
}

func (t tileCacheCollector) Collect(ch chan<- prometheus.Metric) {
	s := t.c.Stats()
	ch <- prometheus.MustNewConstMetric(tileHits, prometheus.CounterValue, float64(s.Hits))
	ch <- prometheus.MustNewConstMetric(tileMisses, prometheus.CounterValue, float64(s.Misses))
	ch <- prometheus.MustNewConstMetric(tileEvictions, prometheus.CounterValue, float64(s.Evictions))
	ch <- prometheus.MustNewConstMetric(tileBytes, prometheus.GaugeValue, float64(s.Bytes))
	ch <- prometheus.MustNewConstMetric(tileEntries, prometheus.GaugeValue, float64(s.Entries))
}
