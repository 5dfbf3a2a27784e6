package tiles

import (
	"container/list"
	"sync"
)

// entry is a finished tile: its bytes gzip-compressed as served to the
// clients that accept gzip (nearly all), nil for an empty tile, and its
// entity tag.
type entry struct {
	key  string
	gz   []byte
	etag string
}

// entryOverhead approximates what an entry costs besides its bytes (list
// element, map slot, key and tag strings), so that a cache full of empty
// tiles is bounded too.
const entryOverhead = 160

func (e *entry) size() int64 { return int64(len(e.gz)+len(e.key)+len(e.etag)) + entryOverhead }

// Cache is a least-recently-used tile cache bounded by bytes. It is safe
// for concurrent use.
type Cache struct {
	mu    sync.Mutex
	limit int64
	used  int64
	order *list.List // front: most recently used; values *entry
	byKey map[string]*list.Element
	// Counted since the cache was made, for the service's metrics: a
	// falling hit rate says the cache is too small for the maps in use.
	hits, misses, evictions uint64
}

// NewCache returns a cache holding at most limit bytes; limit ≤ 0 caches
// nothing.
func NewCache(limit int64) *Cache {
	return &Cache{limit: limit, order: list.New(), byKey: map[string]*list.Element{}}
}

// get returns the entry of key and marks it used.
func (c *Cache) get(key string) (*entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if !ok {
		c.misses++
		return nil, false
	}
	c.hits++
	c.order.MoveToFront(el)
	return el.Value.(*entry), true
}

// put stores e, evicting the least recently used entries until it fits.
// An entry larger than the whole cache is not stored.
func (c *Cache) put(e *entry) {
	n := e.size()
	c.mu.Lock()
	defer c.mu.Unlock()
	if n > c.limit {
		return
	}
	if el, ok := c.byKey[e.key]; ok {
		c.used -= el.Value.(*entry).size()
		c.order.Remove(el)
		delete(c.byKey, e.key)
	}
	for c.used+n > c.limit {
		last := c.order.Back()
		old := last.Value.(*entry)
		c.order.Remove(last)
		delete(c.byKey, old.key)
		c.used -= old.size()
		c.evictions++
	}
	c.byKey[e.key] = c.order.PushFront(e)
	c.used += n
}

// purge drops every entry: after a change of the data version none of them
// can be served again.
func (c *Cache) purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.order.Init()
	clear(c.byKey)
	c.used = 0
}

// Stats are a cache's current entries and bytes, and its lookups and
// evictions since it was made. Purges after a change of the data version
// are not evictions: they drop tiles that could not be served again.
type Stats struct {
	Entries   int
	Bytes     int64
	Hits      uint64
	Misses    uint64
	Evictions uint64
}

// Stats returns the cache's counts.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{Entries: len(c.byKey), Bytes: c.used, Hits: c.hits, Misses: c.misses, Evictions: c.evictions}
}
