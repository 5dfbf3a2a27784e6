package indicators

import (
	"context"
	"fmt"
	"testing"
)

func TestRevertRefusesAreaImports(t *testing.T) {
	pool, s := impFixture(t)
	var id int64
	if err := pool.QueryRow(context.Background(), `INSERT INTO import_batch (kind, source) VALUES ('areas', 'VG5000_GEM.shp') RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	_, err := s.RevertBatch(context.Background(), id)
	want := fmt.Sprintf("revert batch %d: it is an import of areas (VG5000_GEM.shp); only indicator imports can be reverted", id)
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
}
