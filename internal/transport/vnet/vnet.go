// Package vnet is an in-memory multicast network for tests: segments join
// endpoints (hosts), and each endpoint is a driver.Transport. Delivery can
// lose, duplicate and delay (and so reorder) packets, all drawn from one
// seeded source. It uses only channels and time.AfterFunc, so it runs inside
// testing/synctest bubbles on virtual time.
package vnet

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"sync"
	"time"

	"github.com/rendezvous-mdns/rendezvous/internal/mdns"
)

// ErrClosed is returned by a closed endpoint.
var ErrClosed = errors.New("vnet: endpoint closed")

// Network is a set of segments.
type Network struct {
	mu   sync.Mutex
	rand *rand.Rand
	// Faults applied to every delivery.
	Loss     float64 // probability a delivery is lost
	Dup      float64 // probability a delivery is duplicated
	MinDelay time.Duration
	MaxDelay time.Duration

	segs map[string][]*attachment
}

// New returns a network whose faults are drawn from seed.
func New(seed uint64) *Network {
	return &Network{rand: rand.New(rand.NewPCG(seed, 0x766e6574)), segs: map[string][]*attachment{}}
}

type attachment struct {
	ep   *Endpoint
	seg  string
	link mdns.Link
	up   bool
}

// Endpoint is one host's network interface(s); it implements
// driver.Transport.
type Endpoint struct {
	n      *Network
	atts   []*attachment
	inbox  chan mdns.Packet
	closed chan struct{}
	once   sync.Once
}

// Port is an attachment request: link on segment.
type Port struct {
	Segment string
	Link    mdns.Link
}

// Attach creates an endpoint with the given links, each on a segment.
func (n *Network) Attach(ports ...Port) *Endpoint {
	n.mu.Lock()
	defer n.mu.Unlock()
	ep := &Endpoint{n: n, inbox: make(chan mdns.Packet, 1024), closed: make(chan struct{})}
	for _, p := range ports {
		a := &attachment{ep: ep, seg: p.Segment, link: p.Link, up: true}
		ep.atts = append(ep.atts, a)
		n.segs[p.Segment] = append(n.segs[p.Segment], a)
	}
	return ep
}

// Links returns the endpoint's links that are up.
func (ep *Endpoint) Links() []mdns.Link {
	ep.n.mu.Lock()
	defer ep.n.mu.Unlock()
	var out []mdns.Link
	for _, a := range ep.atts {
		if a.up {
			out = append(out, a.link)
		}
	}
	return out
}

// SetUp cuts (false) or restores (true) the endpoint's link on a segment:
// nothing is delivered to or from it while down.
func (ep *Endpoint) SetUp(segment string, up bool) {
	ep.n.mu.Lock()
	defer ep.n.mu.Unlock()
	for _, a := range ep.atts {
		if a.seg == segment {
			a.up = up
		}
	}
}

// SetLinks implements driver.Transport; the links are those of Attach.
func (ep *Endpoint) SetLinks([]mdns.Link) error { return nil }

// Send delivers p to the endpoints on the segment of p.Link.
func (ep *Endpoint) Send(p mdns.Packet) error {
	select {
	case <-ep.closed:
		return ErrClosed
	default:
	}
	n := ep.n
	n.mu.Lock()
	defer n.mu.Unlock()
	var from *attachment
	for _, a := range ep.atts {
		if a.link.ID == p.Link && a.up {
			from = a
		}
	}
	if from == nil {
		return errors.New("vnet: link down or unknown")
	}
	src, ok := sourceFor(from.link, p.Dst.Addr())
	if !ok {
		return errors.New("vnet: no source address of that family")
	}
	for _, to := range n.segs[from.seg] {
		if !to.up {
			continue
		}
		if !p.Dst.Addr().IsMulticast() && !hasAddr(to.link, p.Dst.Addr()) {
			continue
		}
		if to.ep != ep && n.rand.Float64() < n.Loss {
			continue
		}
		copies := 1
		if n.rand.Float64() < n.Dup {
			copies = 2
		}
		for range copies {
			delay := n.MinDelay
			if n.MaxDelay > n.MinDelay {
				delay += time.Duration(n.rand.Int64N(int64(n.MaxDelay - n.MinDelay)))
			}
			q := mdns.Packet{Link: to.link.ID, Src: netip.AddrPortFrom(src, p.Src.Port()), Dst: p.Dst, HopLimit: 255, Data: p.Data}
			if q.Src.Port() == 0 {
				q.Src = netip.AddrPortFrom(src, mdns.Port)
			}
			to.ep.deliver(q, delay)
		}
	}
	return nil
}

func (ep *Endpoint) deliver(p mdns.Packet, delay time.Duration) {
	put := func() {
		select {
		case <-ep.closed:
		case ep.inbox <- p:
		default: // a full receive buffer drops, like a socket's
		}
	}
	if delay <= 0 {
		put()
		return
	}
	time.AfterFunc(delay, put)
}

// Receive implements driver.Transport.
func (ep *Endpoint) Receive() (mdns.Packet, error) {
	select {
	case p := <-ep.inbox:
		return p, nil
	case <-ep.closed:
		return mdns.Packet{}, ErrClosed
	}
}

// Close implements driver.Transport.
func (ep *Endpoint) Close() error {
	ep.once.Do(func() { close(ep.closed) })
	return nil
}

func sourceFor(l mdns.Link, dst netip.Addr) (netip.Addr, bool) {
	want4 := dst.Unmap().Is4()
	for _, p := range l.Addrs {
		if p.Addr().Unmap().Is4() == want4 {
			return p.Addr(), true
		}
	}
	return netip.Addr{}, false
}

func hasAddr(l mdns.Link, a netip.Addr) bool {
	for _, p := range l.Addrs {
		if p.Addr().Unmap() == a.Unmap() {
			return true
		}
	}
	return false
}
