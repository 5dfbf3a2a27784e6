package tiles

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sozialatlas/sozialatlas/indicators"
)

// Reconnecting waits grow from listenRetryMin to listenRetryMax, so that a
// PostgreSQL that is back is heard again within two seconds without a dead
// one being asked in a tight loop.
const (
	listenRetryMin = 100 * time.Millisecond
	listenRetryMax = 2 * time.Second
)

// sqlListen subscribes the connection to the version announcements.
var sqlListen = "LISTEN " + pgx.Identifier{indicators.VersionChannel}.Sanitize()

// WatchVersion listens on a connection of its own (cfg: the primary's; a
// replica delivers no notifications) for the data version announced by
// every publish, and passes each to announce, e.g. Server.Announce. When the
// connection is lost it connects again and announces 0, since versions may
// have been published meanwhile. It returns when ctx is done.
func WatchVersion(ctx context.Context, cfg *pgx.ConnConfig, log *slog.Logger, announce func(version int64)) {
	wait := listenRetryMin
	for ctx.Err() == nil {
		heard, err := listenOnce(ctx, cfg, log, announce)
		if ctx.Err() != nil {
			return
		}
		if heard {
			wait = listenRetryMin
		}
		log.WarnContext(ctx, "data version notifications lost; reconnecting", "err", err, "in", wait.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, listenRetryMax)
	}
}

// listenOnce connects, listens and announces until the connection fails;
// connected reports whether it got as far as listening.
func listenOnce(ctx context.Context, cfg *pgx.ConnConfig, log *slog.Logger, announce func(int64)) (connected bool, err error) {
	conn, err := pgx.ConnectConfig(ctx, cfg.Copy())
	if err != nil {
		return false, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, sqlListen); err != nil {
		return false, fmt.Errorf("listen: %w", err)
	}
	log.InfoContext(ctx, "listening for data version notifications", "channel", indicators.VersionChannel)
	// Whatever was published while no one listened must show.
	announce(0)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, fmt.Errorf("wait for notification: %w", err)
		}
		v, err := strconv.ParseInt(n.Payload, 10, 64)
		if err != nil {
			// Someone else's NOTIFY on the channel: still a hint to look.
			log.WarnContext(ctx, "notification without a version", "channel", n.Channel, "payload", n.Payload)
			v = 0
		}
		log.DebugContext(ctx, "data version announced", "version", v)
		announce(v)
	}
}
