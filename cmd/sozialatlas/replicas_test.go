package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sozialatlas/sozialatlas/data/pgcluster"
	"github.com/sozialatlas/sozialatlas/indicators"
)

func TestSplitReplicas(t *testing.T) {
	got := fmt.Sprint(splitReplicas(" postgres://r1/db, ,postgres://r2:5433/db,host=/run/r3 port=5432 "))
	if want := "[postgres://r1/db postgres://r2:5433/db host=/run/r3 port=5432]"; got != want {
		t.Errorf("splitReplicas = %s, want %s", got, want)
	}
}

// fetchTile returns a tile's ETag and bytes from an instance.
func fetchTile(t *testing.T, base, path string) (string, []byte) {
	t.Helper()
	res, err := http.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v %s", path, res.StatusCode, err, b)
	}
	return res.Header.Get("ETag"), b
}

const sqlVersion = `SELECT version FROM data_version`

// TestReplicaServesReadsAndNotifiesInstances runs a primary with a streaming
// replica and two service instances reading from the replica, with a data
// version trusted for an hour, so that only the notification can change
// their tiles. An import on the primary while they serve: every read
// succeeds, from the replica, and afterwards both instances' tiles show the
// new data.
func TestReplicaServesReadsAndNotifiesInstances(t *testing.T) {
	ctx := context.Background()
	_, primary := ownCluster(t)
	rdir, err := os.MkdirTemp("", "sozialatlas-replica-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(rdir, 0o711); err != nil {
		t.Fatal(err)
	}
	rcfg := pgcluster.Config{Dir: rdir, Logger: primaryLog(t), Settings: map[string]string{"fsync": "off"}, ReplicaOf: primary}
	t.Cleanup(func() {
		if err := pgcluster.Destroy(context.Background(), rcfg); err != nil {
			t.Errorf("destroy replica: %v", err)
		}
		os.RemoveAll(rdir)
	})
	replica, err := pgcluster.Start(ctx, rcfg)
	if err != nil {
		t.Fatal(err)
	}

	flags := serveFlags{tileCacheMiB: 64, tileVersionAge: time.Hour}
	var ins []*instance
	for range 2 {
		ins = append(ins, startInstance(t, primary.ConnString(pgcluster.Database),
			[]string{replica.ConnString(pgcluster.Database)}, flags))
	}
	for n, in := range ins {
		var standby bool
		if err := in.readPool().QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&standby); err != nil || !standby {
			t.Fatalf("instance %d reads from a server with pg_is_in_recovery() = %v (%v), want the replica", n, standby, err)
		}
		if !waitFor(5*time.Second, func() bool { return in.heard.Load() > 0 }) {
			t.Fatalf("instance %d's listener did not connect", n)
		}
	}

	// zoom 5 tile holding Berlin and Brandenburg
	const tile = "/tiles/kreis/5/17/10.mvt?indicators=einwohner"
	var etags []string
	var bodies [][]byte
	for _, in := range ins {
		e, b := fetchTile(t, in.srv.URL, tile)
		etags, bodies = append(etags, e), append(bodies, b)
	}

	// Readers keep asking both instances while the primary imports.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	reads, failed := 0, []string{}
	for _, in := range ins {
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					res, err := http.Get(in.srv.URL + "/indicators/einwohner/values?level=kreis")
					mu.Lock()
					reads++
					if err != nil {
						failed = append(failed, err.Error())
					} else {
						_, _ = io.Copy(io.Discard, res.Body)
						res.Body.Close()
						if res.StatusCode != http.StatusOK {
							failed = append(failed, res.Status)
						}
					}
					mu.Unlock()
				}
			}()
		}
	}

	// A new period of einwohner, imported on the primary (the first
	// instance's write pool).
	path := filepath.Join(t.TempDir(), "einwohner-2019.csv")
	var csv bytes.Buffer
	csv.WriteString("area;indicator;period;value\n")
	rows, err := ins[0].db.pool.Query(ctx, `SELECT code FROM area WHERE level = 'kreis' ORDER BY code`)
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; rows.Next(); n++ {
		var code string
		if err := rows.Scan(&code); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&csv, "%s;einwohner;2019-12-31;%d\n", code, 1000+n*1000)
	}
	if err := os.WriteFile(path, csv.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var before int64
	if err := ins[0].db.pool.QueryRow(ctx, sqlVersion).Scan(&before); err != nil {
		t.Fatal(err)
	}
	_, ind := stores(ins[0].db.pool)
	importStart := time.Now()
	if _, err := ind.ImportTable(ctx, indicators.TableImport{Path: path, Level: "kreis"}); err != nil {
		t.Fatal(err)
	}
	imported := time.Now()
	close(stop)
	wg.Wait()
	if len(failed) > 0 {
		t.Errorf("%d of %d reads during the import failed, e.g. %s", len(failed), reads, failed[0])
	}

	var after int64
	if err := ins[0].db.pool.QueryRow(ctx, sqlVersion).Scan(&after); err != nil || after <= before {
		t.Fatalf("data version %d → %d (%v), want it raised", before, after, err)
	}
	for n, in := range ins {
		var e string
		var b []byte
		changed := waitFor(10*time.Second, func() bool {
			e, b = fetchTile(t, in.srv.URL, tile)
			return e != etags[n]
		})
		if !changed {
			t.Errorf("instance %d still serves the tile of before the import (ETag %s)", n, e)
			continue
		}
		if bytes.Equal(b, bodies[n]) {
			t.Errorf("instance %d: new ETag %s, but the same tile", n, e)
		}
		var seen int64
		if err := in.readPool().QueryRow(ctx, sqlVersion).Scan(&seen); err != nil || seen != after {
			t.Errorf("instance %d's replica at version %d (%v), want %d", n, seen, err, after)
		}
	}
	t.Logf("%d reads from the replica during the %s import; both instances' tiles changed %s after it committed",
		reads, imported.Sub(importStart).Round(time.Millisecond), time.Since(imported).Round(time.Millisecond))
}
