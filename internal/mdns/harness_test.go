package mdns

import (
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// The hand-driven harness: one engine, explicit virtual time, packets in and
// out as parsed messages. Nothing here sleeps.

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const testLink LinkID = 2

var (
	ourV4   = netip.MustParsePrefix("10.0.0.1/24")
	ourV6   = netip.MustParsePrefix("fe80::1/64")
	peerV4  = netip.MustParseAddr("10.0.0.2")
	peerSrc = netip.AddrPortFrom(peerV4, Port)
)

type sent struct {
	at  time.Time
	dst netip.AddrPort
	msg *dns.Msg
	raw []byte
	// oneShot: to go out from the ephemeral port (Packet.OneShot).
	oneShot bool
}

type harness struct {
	t      *testing.T
	e      *Engine
	now    time.Time
	sent   []sent
	events []Event
}

func newHarness(t *testing.T, cfg Config, addrs ...netip.Prefix) *harness {
	t.Helper()
	if cfg.HostName == "" {
		cfg.HostName = "host"
	}
	if len(addrs) == 0 {
		addrs = []netip.Prefix{ourV4}
	}
	h := &harness{t: t, e: New(cfg), now: t0}
	h.e.SetLinks(h.now, []Link{{ID: testLink, Name: "eth0", Addrs: addrs}})
	h.drain()
	return h
}

func (h *harness) drain() {
	for {
		p, ok := h.e.PollTransmit()
		if !ok {
			break
		}
		m := new(dns.Msg)
		if err := m.Unpack(p.Data); err != nil {
			h.t.Fatalf("engine sent a packet that does not parse: %v", err)
		}
		h.sent = append(h.sent, sent{at: h.now, dst: p.Dst, msg: m, raw: p.Data, oneShot: p.OneShot})
	}
	for {
		ev, ok := h.e.PollEvent()
		if !ok {
			break
		}
		h.events = append(h.events, ev)
	}
}

// advance runs the engine's timers until now+d.
func (h *harness) advance(d time.Duration) {
	end := h.now.Add(d)
	for {
		at, ok := h.e.NextTimeout()
		if !ok || at.After(end) {
			break
		}
		if at.After(h.now) {
			h.now = at
		}
		h.e.HandleTimeout(h.now)
		h.drain()
	}
	h.now = end
}

// take returns and forgets the packets sent so far.
func (h *harness) take() []sent {
	s := h.sent
	h.sent = nil
	return s
}

// takeV4 returns the packets sent so far to IPv4 destinations only (every
// multicast goes out once per family).
func (h *harness) takeV4() []sent {
	var out []sent
	for _, s := range h.take() {
		if s.dst.Addr().Is4() {
			out = append(out, s)
		}
	}
	return out
}

func (h *harness) takeEvents() []Event {
	e := h.events
	h.events = nil
	return e
}

// inject delivers a message from src at the current time.
func (h *harness) inject(src netip.AddrPort, m *dns.Msg) {
	h.injectTo(src, netip.AddrPort{}, m)
}

func (h *harness) injectTo(src, dst netip.AddrPort, m *dns.Msg) {
	h.t.Helper()
	b, err := m.Pack()
	if err != nil {
		h.t.Fatal(err)
	}
	h.e.HandlePacket(h.now, Packet{Link: testLink, Src: src, Dst: dst, HopLimit: 255, Data: b})
	h.drain()
}

// publish registers a service and returns its id.
func (h *harness) publish(s ServiceSpec) RegID {
	h.t.Helper()
	id, err := h.e.Publish(h.now, s)
	if err != nil {
		h.t.Fatal(err)
	}
	h.drain()
	return id
}

// establish publishes and runs time until probing and announcing are over.
func (h *harness) establish(s ServiceSpec) RegID {
	id := h.publish(s)
	h.advance(10 * time.Second)
	h.take()
	h.takeEvents()
	return id
}

func daap() ServiceSpec {
	return ServiceSpec{Instance: "DAAP Server", Type: "_daap._tcp", Port: 3689, TXT: []string{"txtvers=1"}}
}

func rr(t *testing.T, s string) dns.RR {
	t.Helper()
	r, err := dns.NewRR(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mkQuery(qs ...dns.Question) *dns.Msg {
	return &dns.Msg{Question: qs}
}

func qm(name string, t uint16) dns.Question {
	return dns.Question{Name: name, Qtype: t, Qclass: dns.ClassINET}
}

func qu(name string, t uint16) dns.Question {
	return dns.Question{Name: name, Qtype: t, Qclass: dns.ClassINET | cacheFlushBit}
}

func response(rrs ...dns.RR) *dns.Msg {
	return &dns.Msg{MsgHdr: dns.MsgHdr{Response: true, Authoritative: true}, Answer: rrs}
}

// hasRecord reports whether a section holds a record of that name and type.
func hasRecord(sec []dns.RR, name string, t uint16) dns.RR {
	for _, r := range sec {
		if dns.CanonicalName(r.Header().Name) == dns.CanonicalName(name) && r.Header().Rrtype == t {
			return r
		}
	}
	return nil
}

// settle lets the host name finish probing and announcing, and forgets what
// that sent.
func (h *harness) settle() {
	h.advance(10 * time.Second)
	h.take()
	h.takeEvents()
}
