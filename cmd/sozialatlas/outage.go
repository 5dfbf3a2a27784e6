package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sozialatlas/sozialatlas/tiles"
)

// connectTimeout bounds one connection attempt where the connection string
// sets no connect_timeout: while PostgreSQL is away a request then fails
// with 503 within this time instead of hanging on a dead host.
const connectTimeout = 2 * time.Second

// healthCheckPeriod is how often the pool drops broken idle connections,
// so that after an outage none of them is handed to a request; connections
// idle over a second are pinged on acquire anyway.
const healthCheckPeriod = 5 * time.Second

// failFast sets the pool's connect timeout and health checks for outages.
func failFast(cfg *pgxpool.Config) {
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	cfg.HealthCheckPeriod = healthCheckPeriod
}

// watchVersion listens for the data version announcements of every
// instance's publishes on the primary (cfg) and passes them to the tile
// server, until ctx is done or the returned stop is called, which waits
// for the listener to end.
func watchVersion(ctx context.Context, cfg *pgx.ConnConfig, log *slog.Logger, ts *tiles.Server) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tiles.WatchVersion(ctx, cfg, log, ts.Announce)
	}()
	return func() {
		cancel()
		<-done
	}
}
