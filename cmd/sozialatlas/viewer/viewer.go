// Package viewer is the atlas's web page: a map viewer built on the
// service's own vector tiles and API, served at the root for browsers.
// Its assets, MapLibre GL JS included, are embedded in the binary, so a
// county's atlas needs no CDN and no network at run time.
package viewer

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

// static holds the page, its script and style, and vendor/ the pinned
// MapLibre GL JS (scripts/vendor-viewer.sh copies it from npm).
//
//go:embed static
var static embed.FS

// Prefix is the path the assets are served under.
const Prefix = "/viewer/"

// Assets serves the viewer's files under Prefix.
func Assets() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.StripPrefix(Prefix, http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A name that no file system path can have (invalid UTF-8, such
		// as the overlong "%c0%ae" for a dot) makes the embedded file
		// system's Open fail with ErrInvalid, which the file server
		// answers 500: it is a path that does not exist.
		if name := strings.Trim(strings.TrimPrefix(r.URL.Path, Prefix), "/"); name != "" && !fs.ValidPath(name) {
			http.NotFound(w, r)
			return
		}
		// The page and its script change with the binary; MapLibre only
		// with its pinned version, which its path does not carry, so
		// everything is revalidated (embedded files have no modification
		// time, so the ETag-less answer is cheap and always current).
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}

// Page serves the viewer's page.
func Page(w http.ResponseWriter, r *http.Request) {
	page, err := static.ReadFile("static/index.html")
	if err != nil {
		http.Error(w, "viewer missing", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(page)
}
