package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pressly/goose/v3"

	"github.com/sozialatlas/sozialatlas/data"
	"github.com/sozialatlas/sozialatlas/data/pgcluster"
	"github.com/sozialatlas/sozialatlas/geo"
	"github.com/sozialatlas/sozialatlas/indicators"
	"github.com/sozialatlas/sozialatlas/tiles"
)

// dbFlags are the database settings every command shares.
type dbFlags struct {
	url     string
	dataDir string
}

func (d *dbFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.url, "database-url", os.Getenv("DATABASE_URL"),
		"PostgreSQL connection string (env DATABASE_URL); empty runs the private cluster in --data-dir")
	fs.StringVar(&d.dataDir, "data-dir", envOr("SOZIALATLAS_DATA_DIR", ".data"),
		"directory of the private PostgreSQL cluster (env SOZIALATLAS_DATA_DIR)")
}

// database is an open, migrated database and whatever runs it.
type database struct {
	pool    *pgxpool.Pool
	cluster *pgcluster.Cluster
	log     *slog.Logger
	config  *pgxpool.Config
}

// servingConfig is base with the settings of the connections that answer
// requests, where the connection string does not set them: the statement
// timeout, and no JIT compilation. PostGIS declares its functions costly,
// so a query writing a few hundred GeoJSON geometries is estimated above
// jit_above_cost and compiled; for the filter of BenchmarkFilterGemeinden
// compiling took 60 ms of a query that runs in 44 ms without it.
func servingConfig(base *pgxpool.Config, stmtTimeout time.Duration) *pgxpool.Config {
	cfg := base.Copy()
	if _, ok := cfg.ConnConfig.RuntimeParams["statement_timeout"]; !ok && stmtTimeout > 0 {
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = fmt.Sprint(stmtTimeout.Milliseconds())
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["jit"]; !ok {
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	return cfg
}

// openDB connects to DATABASE_URL, or starts the private cluster, and
// applies pending migrations.
func openDB(ctx context.Context, f dbFlags, log *slog.Logger) (*database, error) {
	db := &database{log: log}
	url := f.url
	if url == "" {
		c, err := pgcluster.Start(ctx, pgcluster.Config{Dir: f.dataDir, Logger: log})
		if err != nil {
			return nil, err
		}
		db.cluster = c
		url = c.ConnString("sozialatlas")
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		db.close()
		return nil, fmt.Errorf("database url: %w", err)
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "sozialatlas"
	failFast(cfg)
	db.config = cfg
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		db.close()
		return nil, fmt.Errorf("connect: %w", err)
	}
	db.pool = pool
	pingCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		db.close()
		return nil, fmt.Errorf("connect: %w", err)
	}
	res, err := data.Migrate(ctx, pool)
	if err != nil {
		db.close()
		return nil, err
	}
	for _, r := range res {
		log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "ms", r.Duration.Milliseconds())
	}
	return db, nil
}

func (db *database) close() {
	if db.pool != nil {
		db.pool.Close()
	}
	if db.cluster != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := db.cluster.Stop(ctx); err != nil {
			db.log.Error("stop database cluster", "err", err)
		}
	}
}

func migrationStatus(ctx context.Context, d *database) ([]*goose.MigrationStatus, error) {
	return data.MigrationStatus(ctx, d.pool)
}

// withDB opens (and migrates) the database for a one-shot command, runs fn
// and closes it again, stopping the private cluster if it started one.
func withDB(ctx context.Context, f dbFlags, stderr io.Writer, logLevel string, fn func(*database) error) error {
	log, err := newLogger(stderr, "text", logLevel)
	if err != nil {
		return err
	}
	d, err := openDB(ctx, f, log)
	if err != nil {
		return err
	}
	defer d.close()
	return fn(d)
}

// stores returns the area and indicator stores on a pool, wired so that
// every change to areas republishes indicator cells and rebuilds the tile
// geometry of the levels it touched, in the same transaction.
func stores(pool *pgxpool.Pool) (*geo.Store, *indicators.Store) {
	areas := geo.NewStore(pool)
	ind := indicators.NewStore(pool, areas)
	areas.OnChange(func(ctx context.Context, tx pgx.Tx) error {
		if err := ind.Publish(ctx, tx); err != nil {
			return err
		}
		_, err := tiles.GeneralizeChanged(ctx, tx)
		return err
	})
	return areas, ind
}

// indicatorStore is stores' indicator store, for commands that need no more.
func indicatorStore(pool *pgxpool.Pool) *indicators.Store {
	_, ind := stores(pool)
	return ind
}

// areaStore is stores' area store, for commands that need no more.
func areaStore(pool *pgxpool.Pool) *geo.Store {
	areas, _ := stores(pool)
	return areas
}
