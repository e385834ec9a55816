package mdns

import (
	"testing"
	"time"

	"github.com/miekg/dns"
)

// responsesV4 returns the multicast responses among packets sent to IPv4.
func responses(ss []sent) []sent {
	var out []sent
	for _, s := range ss {
		if s.msg.Response && s.dst.Addr().IsMulticast() {
			out = append(out, s)
		}
	}
	return out
}

func TestAnnounceRFC6762Sec8_3ThreeAnnouncementsDoublingFromOneSecond(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	h.publish(daap())
	h.advance(20 * time.Second)
	ann := responses(h.takeV4())
	if len(ann) != 3 {
		t.Fatalf("%d announcements, want 3", len(ann))
	}
	if d1, d2 := ann[1].at.Sub(ann[0].at), ann[2].at.Sub(ann[1].at); d1 != time.Second || d2 != 2*time.Second {
		t.Fatalf("announcement gaps %v, %v; want 1 s, 2 s", d1, d2)
	}
	inst := `DAAP\ Server._daap._tcp.local.`
	for _, a := range ann {
		m := a.msg
		for _, want := range []struct {
			name  string
			t     uint16
			flush bool
		}{
			{"_daap._tcp.local.", dns.TypePTR, false},
			{"_services._dns-sd._udp.local.", dns.TypePTR, false},
			{inst, dns.TypeSRV, true},
			{inst, dns.TypeTXT, true},
		} {
			r := hasRecord(m.Answer, want.name, want.t)
			if r == nil {
				t.Fatalf("announcement lacks %s %s: %v", want.name, dns.TypeToString[want.t], m)
			}
			// RFC 6762 §10.2: cache-flush on unique records, never on shared.
			if got := r.Header().Class&cacheFlushBit != 0; got != want.flush {
				t.Errorf("%v: cache-flush %v, want %v", r, got, want.flush)
			}
		}
		if srv := hasRecord(m.Answer, inst, dns.TypeSRV).(*dns.SRV); srv.Port != 3689 || srv.Target != "host.local." || srv.Hdr.Ttl != 120 {
			t.Errorf("SRV %v", srv)
		}
		if ptr := hasRecord(m.Answer, "_daap._tcp.local.", dns.TypePTR); ptr.Header().Ttl != 4500 {
			t.Errorf("PTR TTL %d, want 4500", ptr.Header().Ttl)
		}
	}
}

func TestAnnounceRFC6762Sec8_3HostNameAddressesAndReversePTR(t *testing.T) {
	h := newHarness(t, Config{PublishReverse: true}, ourV4, ourV6)
	h.advance(10 * time.Second)
	ann := responses(h.takeV4())
	if len(ann) != 3 {
		t.Fatalf("%d host announcements, want 3", len(ann))
	}
	m := ann[0].msg
	a := hasRecord(m.Answer, "host.local.", dns.TypeA)
	aaaa := hasRecord(m.Answer, "host.local.", dns.TypeAAAA)
	if a == nil || aaaa == nil || a.(*dns.A).A.String() != "10.0.0.1" || aaaa.(*dns.AAAA).AAAA.String() != "fe80::1" {
		t.Fatalf("host announcement %v", m)
	}
	if r := hasRecord(m.Answer, "1.0.0.10.in-addr.arpa.", dns.TypePTR); r == nil || r.(*dns.PTR).Ptr != "host.local." || r.Header().Class&cacheFlushBit == 0 {
		t.Fatalf("reverse PTR %v", r)
	}
	if evs := h.takeEvents(); len(evs) != 1 || evs[0].Kind != EventEstablished || evs[0].Reg != HostReg {
		t.Fatalf("events %+v", evs)
	}
}

func TestAnnounceRFC6762Sec8_4TXTUpdateReannouncesWithoutProbing(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	id := h.establish(daap())
	if err := h.e.UpdateTXT(h.now, id, []string{"txtvers=2"}); err != nil {
		t.Fatal(err)
	}
	h.drain()
	h.advance(10 * time.Second)
	out := h.takeV4()
	for _, s := range out {
		if !s.msg.Response {
			t.Fatalf("update sent a query/probe: %v", s.msg)
		}
	}
	ann := responses(out)
	if len(ann) != 3 {
		t.Fatalf("%d re-announcements, want 3", len(ann))
	}
	for _, a := range ann {
		if len(a.msg.Answer) != 1 {
			t.Fatalf("re-announcement carries %v, want the TXT only", a.msg.Answer)
		}
		txt, ok := a.msg.Answer[0].(*dns.TXT)
		if !ok || txt.Txt[0] != "txtvers=2" || txt.Hdr.Class&cacheFlushBit == 0 {
			t.Fatalf("re-announced %v", a.msg.Answer[0])
		}
	}
}

func TestGoodbyeRFC6762Sec10_1WithdrawSendsTTLZeroTwice(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	id := h.establish(daap())
	other := daap()
	other.Instance = "Other"
	h.establish(other)
	if err := h.e.Withdraw(h.now, id); err != nil {
		t.Fatal(err)
	}
	h.drain()
	h.advance(2 * time.Second)
	bye := responses(h.takeV4())
	if len(bye) != 2 || bye[1].at.Sub(bye[0].at) != 250*time.Millisecond {
		t.Fatalf("%d goodbye packets, want 2, 250 ms apart", len(bye))
	}
	for _, b := range bye {
		for _, r := range b.msg.Answer {
			if r.Header().Ttl != 0 {
				t.Errorf("goodbye record %v has TTL %d", r, r.Header().Ttl)
			}
			// Another _daap._tcp service remains: its type stays enumerated.
			if r.Header().Name == "_services._dns-sd._udp.local." {
				t.Errorf("goodbye for the shared _services PTR while another service of the type remains")
			}
		}
		if hasRecord(b.msg.Answer, "_daap._tcp.local.", dns.TypePTR) == nil {
			t.Errorf("goodbye lacks the PTR: %v", b.msg)
		}
	}
	if evs := h.takeEvents(); len(evs) != 1 || evs[0].Kind != EventWithdrawn || evs[0].Reg != id {
		t.Fatalf("events %+v", evs)
	}
	if h.e.Pending() {
		t.Error("engine still pending after goodbyes")
	}
}

func TestGoodbyeRFC6762Sec10_1WithdrawDuringProbingSendsNothing(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	id := h.publish(daap())
	h.advance(300 * time.Millisecond)
	h.take()
	if err := h.e.Withdraw(h.now, id); err != nil {
		t.Fatal(err)
	}
	h.drain()
	h.advance(5 * time.Second)
	if out := h.take(); len(out) != 0 {
		t.Fatalf("sent %d packets for a registration never announced", len(out))
	}
}
