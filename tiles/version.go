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
	// want is a version announced by a NOTIFY: until the database this
	// instance reads from (a replica may lag) shows it, the version is
	// read again for every tile instead of trusted for maxAge.
	want int64
}

// announce makes the next get read the version from the database: version
// is the one a NOTIFY announced, 0 when notifications may have been missed
// (the listening connection was lost).
func (v *versionSource) announce(version int64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.read = time.Time{}
	v.want = max(v.want, version)
}

func (v *versionSource) get(ctx context.Context) (int64, error) {
	if v.maxAge > 0 {
		v.mu.Lock()
		if !v.read.IsZero() && time.Since(v.read) < v.maxAge && v.version >= v.want {
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
