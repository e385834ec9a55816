package sim

import (
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/rendezvous-mdns/rendezvous/internal/mdns"
)

// The virtual LAN: segments (links) that hosts are attached to, the
// addresses hosts have on them, and the fault model every delivery goes
// through. All randomness comes from one source seeded from the run's seed,
// drawn in a fixed order (receivers by host index), so the fate of every
// packet is reproducible.

// segment is one virtual link.
type segment struct {
	idx   int
	name  string
	hosts []*attachment // in host index order
}

// attachment is one host's interface on one segment.
type attachment struct {
	h    *host
	seg  *segment
	link mdns.Link
	// up is false while the link is flapped away (the engine does not have
	// it); cut counts the partitions in force (the engine does not know).
	up  bool
	cut int
}

// reachable reports whether traffic passes between this attachment and the
// segment.
func (a *attachment) reachable() bool { return a.up && a.cut == 0 }

// linkID is the engine link ID of segment s on every host.
func linkID(s int) mdns.LinkID { return mdns.LinkID(s + 1) }

// hostV4 is host h's IPv4 address on segment s: 10.0.s.(h+1), in a /24.
func hostV4(s, h int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, 0, byte(s), byte(h + 1)})
}

// hostV6 is host h's IPv6 link-local address on segment s: fe80::s:(h+1).
func hostV6(s, h int) netip.Addr {
	return netip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80, 12: byte(s >> 8), 13: byte(s), 14: byte((h + 1) >> 8), 15: byte(h + 1)})
}

// lan decides the fate of deliveries.
type lan struct {
	rand   *rand.Rand
	faults Faults
	segs   []*segment
}

func newLAN(f Faults, seed uint64) *lan {
	return &lan{rand: rand.New(rand.NewPCG(seed, 0x6c616e2d6661756c)), faults: f}
}

// fate is what happens to one delivery: the delays of the copies that
// arrive (none when lost, two when duplicated).
type fate struct {
	delays [2]time.Duration
	n      int
}

// decide draws the fate of one delivery to another host. A host's own
// multicast looped back by its network stack never goes on the wire, so
// callers deliver it at once without asking.
func (l *lan) decide() fate {
	var f fate
	if l.faults.Loss > 0 && l.rand.Float64() < l.faults.Loss {
		return f
	}
	f.n = 1
	if l.faults.Dup > 0 && l.rand.Float64() < l.faults.Dup {
		f.n = 2
	}
	for i := range f.n {
		d := l.faults.MinDelay
		if span := l.faults.MaxDelay - l.faults.MinDelay; span > 0 {
			d += time.Duration(l.rand.Int64N(int64(span) + 1))
		}
		f.delays[i] = d
	}
	return f
}

// srcAddr returns the address a host sends from on an attachment to reach
// dst: its address of the same family.
func (a *attachment) srcAddr(dst netip.Addr) (netip.Addr, bool) {
	for _, p := range a.link.Addrs {
		if p.Addr().Is4() == dst.Unmap().Is4() {
			return p.Addr(), true
		}
	}
	return netip.Addr{}, false
}

// owns reports whether addr is one of the attachment's addresses.
func (a *attachment) owns(addr netip.Addr) bool {
	for _, p := range a.link.Addrs {
		if p.Addr() == addr.Unmap().WithZone("") {
			return true
		}
	}
	return false
}
