package tiles

import (
	"strings"
	"testing"
)

func TestCacheEvictsLeastRecentlyUsedByBytes(t *testing.T) {
	// Each entry costs 100 bytes of tile, a 1-byte key, no tag and the
	// overhead: three fit into the limit, a fourth evicts the least recently
	// used.
	size := int64(100 + 1 + entryOverhead)
	c := NewCache(3 * size)
	put := func(k string) { c.put(&entry{key: k, gz: []byte(strings.Repeat("x", 100))}) }
	put("a")
	put("b")
	put("c")
	if _, ok := c.get("a"); !ok { // a is now the most recently used
		t.Fatal("a missing")
	}
	put("d")
	for k, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
		if _, ok := c.get(k); ok != want {
			t.Errorf("%s cached: %v, want %v", k, ok, want)
		}
	}
	// Lookups: a hit, then hits of a, c, d and the miss of b.
	if s := c.Stats(); s != (Stats{Entries: 3, Bytes: 3 * size, Hits: 4, Misses: 1, Evictions: 1}) {
		t.Errorf("stats %+v, want 3 entries, %d bytes, 4 hits, 1 miss, 1 eviction", s, 3*size)
	}
	// Replacing an entry does not count it twice; an entry larger than the
	// cache is not kept; purge empties it.
	put("d")
	c.put(&entry{key: "huge", gz: make([]byte, 4*size)})
	if s := c.Stats(); s.Entries != 3 || s.Bytes != 3*size {
		t.Errorf("after replace and oversize: %+v", s)
	}
	c.purge()
	if s := c.Stats(); s.Entries != 0 || s.Bytes != 0 {
		t.Errorf("after purge: %+v", s)
	}
	if s := NewCache(-1); func() bool { s.put(&entry{key: "a"}); _, ok := s.get("a"); return ok }() {
		t.Error("a cache of no bytes keeps entries")
	}
}

func TestAcceptsGzip(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   bool
	}{
		{"", false}, {"gzip", true}, {"deflate, gzip;q=0.5", true}, {"gzip;q=0", false},
		{"br, *", true}, {"identity", false}, {"GZIP", true}, {"x-gzip", true}, {"*;q=0", false},
	} {
		if got := acceptsGzip(tc.header); got != tc.want {
			t.Errorf("Accept-Encoding %q: %v, want %v", tc.header, got, tc.want)
		}
	}
}

func TestMatchesETag(t *testing.T) {
	for _, tc := range []struct {
		inm  string
		want bool
	}{
		{`"7-ab-gz"`, true}, {`W/"7-ab-gz"`, true}, {`"x", "7-ab-gz"`, true}, {"*", true},
		{`"6-ab-gz"`, false}, {"", false}, {`"7-ab"`, false},
	} {
		if got := matchesETag(tc.inm, `"7-ab-gz"`); got != tc.want {
			t.Errorf("If-None-Match %q: %v, want %v", tc.inm, got, tc.want)
		}
	}
}
