package main

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// replicaConnLifetime bounds how long a read connection lives when there
// are replicas: one that fell back to the primary while the replicas were
// away goes back to a replica within this time.
const replicaConnLifetime = 2 * time.Minute

// splitReplicas splits DATABASE_URL_REPLICAS: connection strings separated
// by commas (a key/value string must then name a single host).
func splitReplicas(list string) []string {
	var out []string
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// readConfig is the configuration of the pool that answers requests: with
// replicas, each new connection tries the streaming replicas, starting with
// the next one in turn, takes the first that is in recovery (a standby),
// and falls back to the primary when none is reachable. User, password,
// database and settings are the primary's: a streaming replica is a copy of
// the primary, roles and databases included, so only the replicas' hosts,
// ports and TLS settings are taken from their connection strings.
func readConfig(primary *pgxpool.Config, replicas []string) (*pgxpool.Config, error) {
	cfg := primary.Copy()
	if len(replicas) == 0 {
		return cfg, nil
	}
	var standbys []*pgconn.FallbackConfig
	for _, r := range replicas {
		rc, err := pgconn.ParseConfig(r)
		if err != nil {
			return nil, fmt.Errorf("replica %d of %d: %w", len(standbys)+1, len(replicas), err)
		}
		standbys = append(standbys, &pgconn.FallbackConfig{Host: rc.Host, Port: rc.Port, TLSConfig: rc.TLSConfig})
		standbys = append(standbys, rc.Fallbacks...)
	}
	cc := cfg.ConnConfig
	primaries := append([]*pgconn.FallbackConfig{{Host: cc.Host, Port: cc.Port, TLSConfig: cc.TLSConfig}}, cc.Fallbacks...)
	cc.ValidateConnect = pgconn.ValidateConnectTargetSessionAttrsPreferStandby
	cfg.MaxConnLifetime = replicaConnLifetime
	var next atomic.Uint64
	cfg.BeforeConnect = func(_ context.Context, c *pgx.ConnConfig) error {
		// Round robin: each connection starts at another replica.
		n := int(next.Add(1)-1) % len(standbys)
		order := append(append(append([]*pgconn.FallbackConfig{}, standbys[n:]...), standbys[:n]...), primaries...)
		c.Host, c.Port, c.TLSConfig = order[0].Host, order[0].Port, order[0].TLSConfig
		c.Fallbacks = order[1:]
		return nil
	}
	return cfg, nil
}

// readPool opens a second pool for answering requests, whose statements
// time out (servingConfig), on the replicas when there are any; the first
// pool (migrations, imports, the listener) stays on the primary without a
// limit.
func (db *database) readPool(ctx context.Context, stmtTimeout time.Duration, replicas []string) (*pgxpool.Pool, error) {
	cfg, err := readConfig(servingConfig(db.config, stmtTimeout), replicas)
	if err != nil {
		return nil, fmt.Errorf("read replicas: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	return pool, nil
}
