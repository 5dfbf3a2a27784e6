package metrics

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// Pool adds a connection pool whose statistics are read at each scrape,
// labelled with name ("serving" for the pool that answers requests,
// "primary" for the one that writes). One collector reads them all: a
// registry takes each metric's description once.
func (m *Metrics) Pool(name string, p *pgxpool.Pool) {
	if m.pools == nil {
		m.pools = &poolCollector{}
		m.reg.MustRegister(m.pools)
	}
	m.pools.pools = append(m.pools.pools, namedPool{name, p})
}

func poolDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc(namespace+"_db_pool_"+name, help, []string{"pool"}, nil)
}

var (
	poolAcquired = poolDesc("acquired_conns", "Connections in use by a request now.")
	poolIdle     = poolDesc("idle_conns", "Open connections not in use now.")
	poolTotal    = poolDesc("total_conns", "Open connections, in use, idle and being opened.")
	poolMax      = poolDesc("max_conns", "The most connections the pool opens.")
	poolAcquires = poolDesc("acquires_total", "Connections handed out.")
	poolWait     = poolDesc("acquire_duration_seconds_total",
		"Time spent waiting for connections handed out, summed; its rate over acquires_total's is the mean wait.")
	poolEmpty = poolDesc("empty_acquires_total",
		"Acquires that found no idle connection and waited for one to open or come back: many say the pool is too small.")
	poolCanceled = poolDesc("canceled_acquires_total", "Acquires given up because the request ended first.")
)

type namedPool struct {
	name string
	pool *pgxpool.Pool
}

// poolCollector's pools are added before the server answers its first
// scrape, so reading them needs no lock.
type poolCollector struct{ pools []namedPool }

func (*poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolAcquired, poolIdle, poolTotal, poolMax, poolAcquires, poolWait, poolEmpty, poolCanceled} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.pools {
		collectPool(ch, p)
	}
}

func collectPool(ch chan<- prometheus.Metric, p namedPool) {
	s := p.pool.Stat()
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, p.name)
	}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, p.name)
	}
	gauge(poolAcquired, float64(s.AcquiredConns()))
	gauge(poolIdle, float64(s.IdleConns()))
	gauge(poolTotal, float64(s.TotalConns()))
	gauge(poolMax, float64(s.MaxConns()))
	counter(poolAcquires, float64(s.AcquireCount()))
	counter(poolWait, s.AcquireDuration().Seconds())
	counter(poolEmpty, float64(s.EmptyAcquireCount()))
	counter(poolCanceled, float64(s.CanceledAcquireCount()))
}
