package tiles

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkCachedTile serves a cached tile through the handler, reading
// the data version for every request or at most once a second.
func BenchmarkCachedTile(b *testing.B) {
	for _, tc := range []struct {
		name string
		age  time.Duration
	}{{"version-per-request", -1}, {"version-per-second", time.Second}} {
		b.Run(tc.name, func(b *testing.B) {
			f := newFixture(b, Config{VersionMaxAge: tc.age})
			h := f.srv.Config.Handler
			req := httptest.NewRequest(http.MethodGet, "/tiles/gemeinde/8/136/85.mvt?indicators=einwohner,quote", nil)
			req.Header.Set("Accept-Encoding", "gzip")
			h.ServeHTTP(httptest.NewRecorder(), req)
			b.ResetTimer()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatal(w.Code)
				}
			}
		})
	}
}
