package daemon

import (
	"net"
	"sync"
	"time"
)

// ifIndexTTL is how long an interface lookup is remembered: replies carry
// interface indexes (README "Reply bodies"), events carry names, and
// net.InterfaceByName lists every interface each time.
const ifIndexTTL = 5 * time.Second

// ifIndexCache maps interface names to indexes and back.
type ifIndexCache struct {
	mu     sync.Mutex
	byName map[string]ifEntry
	byIdx  map[uint32]ifEntry
}

type ifEntry struct {
	idx  uint32
	ok   bool
	when time.Time
}

// index returns the index of the interface named name, 0 if it is unknown
// (or name is empty).
func (c *ifIndexCache) index(name string) uint32 {
	if name == "" {
		return 0
	}
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byName[name]; ok && now.Sub(e.when) < ifIndexTTL {
		return e.idx
	}
	var idx uint32
	if ifi, err := net.InterfaceByName(name); err == nil && ifi.Index > 0 {
		idx = uint32(ifi.Index)
	}
	if c.byName == nil {
		c.byName = map[string]ifEntry{}
	}
	if len(c.byName) > 1024 {
		clear(c.byName)
	}
	c.byName[name] = ifEntry{idx: idx, when: now}
	return idx
}

// exists reports whether an interface has index idx.
func (c *ifIndexCache) exists(idx uint32) bool {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byIdx[idx]; ok && now.Sub(e.when) < ifIndexTTL {
		return e.ok
	}
	_, err := net.InterfaceByIndex(int(idx))
	if c.byIdx == nil {
		c.byIdx = map[uint32]ifEntry{}
	}
	if len(c.byIdx) > 1024 {
		clear(c.byIdx)
	}
	c.byIdx[idx] = ifEntry{ok: err == nil, when: now}
	return err == nil
}
