package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/cors"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sozialatlas/sozialatlas/data"
	"github.com/sozialatlas/sozialatlas/geo/web"
)

// liveness answers /healthz: the process runs and serves HTTP. It asks
// nothing of the database, so that an orchestrator does not restart a
// healthy process because PostgreSQL is away for a while; /readyz tells
// that instead.
func liveness(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = io.WriteString(w, "ok\n")
}

// readiness answers /readyz: 200 when the database answers and its schema
// is the one this build expects, 503 otherwise, so that a load balancer
// sends no requests to an instance that would fail them — as during a
// rolling upgrade whose migration another instance has not yet applied.
func readiness(pool *pgxpool.Pool, log *slog.Logger) http.HandlerFunc {
	want := data.LatestVersion()
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		got, err := data.SchemaVersion(ctx, pool)
		if err != nil {
			log.Warn("not ready", "err", err)
			web.Unavailable(w, r, "the database is not reachable")
			return
		}
		if got != want {
			log.Warn("not ready", "schema_version", got, "want", want)
			web.Unavailable(w, r, fmt.Sprintf("the database schema is at version %d, this build needs %d: run 'sozialatlas migrate'", got, want))
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = io.WriteString(w, "ready\n")
	}
}

// contentSecurityPolicy fits the viewer: its script, style, MapLibre and
// MapLibre's worker all come from /viewer/ on this origin (MapLibre starts
// a same-origin worker from its URL, no blob:), tiles and API answers are
// fetched from here too; MapLibre's CSS carries its control icons as data:
// images and it decodes images through blob: URLs. No inline script or
// style is allowed. frame-ancestors is filled in from the configuration.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data: blob:; worker-src 'self'; connect-src 'self'; font-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors %s"

// securityHeaders sets the headers that make a browser treat every answer
// as what it says it is and keep the viewer from being framed or made to
// run foreign script. frameAncestors are the origins that may embed the
// viewer (a county's own web site); none forbids framing.
func securityHeaders(frameAncestors []string) func(http.Handler) http.Handler {
	fa := "'none'"
	if len(frameAncestors) > 0 {
		fa = strings.Join(frameAncestors, " ")
	}
	csp := fmt.Sprintf(contentSecurityPolicy, fa)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Security-Policy", csp)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "same-origin")
			if len(frameAncestors) == 0 {
				// for browsers that predate frame-ancestors
				h.Set("X-Frame-Options", "DENY")
			}
			next.ServeHTTP(w, r)
		})
	}
}

// corsHandler lets the given origins' pages read the API (a county's own
// web site drawing its maps); without origins it adds nothing and browsers
// keep other origins out. Preflight requests are answered here, before
// routing, since the routes know no OPTIONS.
func corsHandler(origins []string) func(http.Handler) http.Handler {
	if len(origins) == 0 {
		return func(next http.Handler) http.Handler { return next }
	}
	return cors.Handler(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
		AllowedHeaders: []string{"Accept", "Authorization", "Content-Type", "If-None-Match"},
		// what the API's clients read: tile and page tags, CRS, links
		ExposedHeaders: []string{"ETag", "Content-Crs", "Link", "Retry-After"},
		MaxAge:         600,
	})
}

// splitList reads a comma-separated setting, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
