package sim

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/miekg/dns"

	"github.com/rendezvous-mdns/rendezvous/internal/mdns"
)

// host is one simulated machine: an engine, its link, its registrations and
// what its browsers see.
type host struct {
	s      *Sim
	i      int
	e      *mdns.Engine
	link   mdns.Link
	up     bool // link present (flaps)
	cutOff bool // partitioned
	nextAt time.Duration
	armed  bool

	regs     map[mdns.RegID]int // registration → service plan index
	browsers map[mdns.QueryID]*browser
}

// browser is what one continuous browse currently shows: instance names
// (lower-case FQDNs) and when each was last added or removed.
type browser struct {
	plan    int
	typ     string
	present map[string]bool
}

func newHost(s *Sim, i int, seed uint64) *host {
	addrs := []netip.Prefix{netip.PrefixFrom(hostV4(i), 16)}
	if s.sc.IPv6 {
		addrs = append(addrs, netip.PrefixFrom(hostV6(i), 64))
	}
	h := &host{
		s:        s,
		i:        i,
		e:        mdns.New(mdns.Config{HostName: fmt.Sprintf("host%d", i), Seed: seed ^ uint64(i+1)*0x9e3779b97f4a7c15}),
		link:     mdns.Link{ID: 1, Name: "eth0", Addrs: addrs},
		up:       true,
		regs:     map[mdns.RegID]int{},
		browsers: map[mdns.QueryID]*browser{},
	}
	return h
}

// after runs the engine's outputs after any call: transmissions become
// deliveries, events update the host's view, the timeout is re-armed.
func (h *host) after() {
	s := h.s
	for {
		p, ok := h.e.PollTransmit()
		if !ok {
			break
		}
		s.transmit(h, p)
	}
	for {
		ev, ok := h.e.PollEvent()
		if !ok {
			break
		}
		s.onEvent(h, ev)
	}
	if at, ok := h.e.NextTimeout(); ok {
		d := at.Sub(s.epoch)
		if !h.armed || d != h.nextAt {
			h.nextAt, h.armed = d, true
			s.push(&event{at: max(d, s.now), host: h.i, kind: evTimeout})
		}
	} else {
		h.armed = false
	}
}

func (h *host) ptrTarget(ev mdns.Event) string {
	if p, ok := ev.Record.(*dns.PTR); ok {
		return dns.CanonicalName(p.Ptr)
	}
	return ""
}
