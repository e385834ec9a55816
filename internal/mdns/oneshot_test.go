package mdns

import (
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestQueryRFC6762Sec5_1OneShotFirstThenContinuousQM(t *testing.T) {
	h := newHarness(t, Config{OneShotFirst: true})
	h.settle()
	q, err := h.e.StartQuery(h.now, Question{Name: "_ipp._tcp.local.", Type: dns.TypePTR})
	if err != nil {
		t.Fatal(err)
	}
	h.drain()
	var first *dns.Msg
	for _, s := range h.take() {
		if s.dst == GroupV4 && s.oneShot {
			first = s.msg
		}
	}
	if first == nil || first.Id == 0 || first.Question[0].Qclass != dns.ClassINET {
		t.Fatalf("one-shot query %v: want one at once, with a nonzero ID and no QU bit", first)
	}
	// The one-shot answer: unicast from port 5353, legacy style (TTL 10).
	ans := response(rr(t, `_ipp._tcp.local. 10 IN PTR Printer._ipp._tcp.local.`))
	ans.Id = first.Id
	ans.Question = first.Question
	h.injectTo(netip.AddrPortFrom(peerV4, Port), netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), 41000), ans)
	evs := h.takeEvents()
	if len(evs) != 1 || evs[0].Kind != EventAdded || evs[0].Query != q {
		t.Fatalf("events %+v", evs)
	}
	// The series continues from port 5353 as QM queries.
	h.advance(1100 * time.Millisecond)
	var next []*dns.Msg
	for _, s := range h.sent {
		if s.dst == GroupV4 && !s.msg.Response && !s.oneShot {
			next = append(next, s.msg)
		}
	}
	h.take()
	if len(next) != 1 || next[0].Question[0].Qclass != dns.ClassINET {
		t.Fatalf("continuous queries after the one-shot: %v", next)
	}
}
