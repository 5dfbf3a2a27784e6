package tiles

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// sqlDataVersion is bumped by every publish: imports, reverts, catalogue
// loads and boundary changes.
const sqlDataVersion = `SELECT version FROM data_version`

// versionSource reads the data version, at most once per maxAge: a tile
// served from memory then costs no database round trip, and a change
// reaches the tiles within maxAge. With maxAge ≤ 0 every call reads it.
type versionSource struct {
	pool   *pgxpool.Pool
	maxAge time.Duration

	mu      sync.Mutex
	version int64
	read    time.Time
}

func (v *versionSource) get(ctx context.Context) (int64, error) {
	if v.maxAge > 0 {
		v.mu.Lock()
		if !v.read.IsZero() && time.Since(v.read) < v.maxAge {
			ver := v.version
			v.mu.Unlock()
			return ver, nil
		}
		v.mu.Unlock()
	}
	var ver int64
	if err := v.pool.QueryRow(ctx, sqlDataVersion).Scan(&ver); err != nil {
		return 0, fmt.Errorf("data version: %w", err)
	}
	v.mu.Lock()
	if ver >= v.version {
		v.version, v.read = ver, time.Now()
	}
	v.mu.Unlock()
	return ver, nil
}
