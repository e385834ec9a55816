package mdnsclient

import (
	"net"
	"sync"
	"time"
)

// ifNames maps the interface indexes of replies to the names RecordEvent
// carries, remembering each answer for a few seconds (net.InterfaceByIndex
// lists every interface each time).
type ifNames struct {
	mu sync.Mutex
	m  map[uint32]ifName
}

type ifName struct {
	name string
	when time.Time
}

const ifNameTTL = 5 * time.Second

// name returns the name of interface idx, "" for 0 or an unknown index.
func (c *ifNames) name(idx uint32) string {
	if idx == 0 || idx >= 1<<31 {
		return "" // any, or the special local-only/unicast/P2P values
	}
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[idx]; ok && now.Sub(e.when) < ifNameTTL {
		return e.name
	}
	var name string
	if ifi, err := net.InterfaceByIndex(int(idx)); err == nil {
		name = ifi.Name
	}
	if c.m == nil || len(c.m) > 1024 {
		c.m = map[uint32]ifName{}
	}
	c.m[idx] = ifName{name, now}
	return name
}
