package main

import (
	"flag"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/geo/web/access"
	"github.com/sozialatlas/sozialatlas/indicators"
)

// accessFlags are serve's settings of access control and uploads.
type accessFlags struct {
	mode         string
	maxUploadMiB int64
}

// defaultMaxUploadMiB fits a Shapefile of all of Germany's Gemeinden in
// full resolution with room to spare.
const defaultMaxUploadMiB = 200

func (a *accessFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.mode, "access", envOr("SOZIALATLAS_ACCESS", string(access.Public)),
		"public: anyone reads the published data; login: every request but /healthz and /readyz needs a token (env SOZIALATLAS_ACCESS)")
	fs.Int64Var(&a.maxUploadMiB, "max-upload", defaultMaxUploadMiB, "MiB an import upload may have (POST /imports/…)")
}

// check refuses settings the service cannot run with.
func (a accessFlags) check() error {
	if _, err := access.ParseMode(a.mode); err != nil {
		return usageError{err.Error()}
	}
	if a.maxUploadMiB <= 0 {
		return usageError{"--max-upload: give a positive number of MiB"}
	}
	return nil
}

// modeOf is the access mode to run with. The zero value is the default,
// public; anything not understood (check refuses it at startup) fails
// closed.
func (a accessFlags) modeOf() access.Mode {
	if a.mode == "" {
		return access.Public
	}
	if m, err := access.ParseMode(a.mode); err == nil {
		return m
	}
	return access.Login
}

// maxUploadBytes is the upload limit; the zero value is the default.
func (a accessFlags) maxUploadBytes() int64 {
	if a.maxUploadMiB <= 0 {
		return defaultMaxUploadMiB << 20
	}
	return a.maxUploadMiB << 20
}

// openPaths answer without credentials in either mode: orchestrators'
// probes hold no token.
var openPaths = []string{"/healthz", "/readyz"}

// authenticate is the middleware that puts a request's principal into its
// context, with the tokens on the store's pool.
func authenticate(store *geo.Store, a accessFlags, log *slog.Logger) func(http.Handler) http.Handler {
	return access.Authenticate(access.Config{Mode: a.modeOf(), Tokens: access.NewTokens(store.Pool()), Open: openPaths, Logger: log})
}

// importRoutes adds the upload, import list, revert and audit endpoints,
// and the administration of tokens, catalogue, indices and raw values.
func importRoutes(r chi.Router, areas *geo.Store, ind *indicators.Store, a accessFlags, log *slog.Logger) {
	h := &importHandlers{areas: areas, ind: ind, audit: access.NewAudit(areas.Pool()),
		tokens: access.NewTokens(areas.Pool()), log: log,
		maxBody: a.maxUploadBytes() + formSlack}
	h.routes(r)
}
