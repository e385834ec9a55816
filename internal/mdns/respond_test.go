package mdns

import (
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
)

const inst = `DAAP\ Server._daap._tcp.local.`

// established returns a harness with the host and DAAP Server announced,
// and enough time passed that the 1 s rate limit does not interfere.
func established(t *testing.T, cfg Config, addrs ...netip.Prefix) *harness {
	h := newHarness(t, cfg, addrs...)
	h.settle()
	h.establish(daap())
	return h
}

func TestRespondRFC6763Sec12PTRAnswerCarriesSRVTXTAndAddresses(t *testing.T) {
	h := established(t, Config{})
	h.inject(peerSrc, mkQuery(qm("_daap._tcp.local.", dns.TypePTR)))
	h.advance(200 * time.Millisecond)
	out := responses(h.takeV4())
	if len(out) != 1 {
		t.Fatalf("%d responses, want 1", len(out))
	}
	m := out[0].msg
	if len(m.Answer) != 1 || hasRecord(m.Answer, "_daap._tcp.local.", dns.TypePTR) == nil {
		t.Fatalf("answer %v", m.Answer)
	}
	for _, want := range []struct {
		n string
		t uint16
	}{{inst, dns.TypeSRV}, {inst, dns.TypeTXT}, {"host.local.", dns.TypeA}, {"host.local.", dns.TypeNSEC}} {
		if hasRecord(m.Extra, want.n, want.t) == nil {
			t.Errorf("additional section lacks %s %s: %v", want.n, dns.TypeToString[want.t], m.Extra)
		}
	}
	// RFC 6762 §6.2/§6.1: v4 only, so the NSEC says the host has A only.
	nsec := hasRecord(m.Extra, "host.local.", dns.TypeNSEC).(*dns.NSEC)
	if len(nsec.TypeBitMap) != 1 || nsec.TypeBitMap[0] != dns.TypeA {
		t.Errorf("host NSEC bitmap %v", nsec.TypeBitMap)
	}
	seen := map[string]bool{}
	for _, r := range append(append([]dns.RR{}, m.Answer...), m.Extra...) {
		k := recordKey(r)
		if seen[k] {
			t.Errorf("record %v twice in one packet", r)
		}
		seen[k] = true
	}
}

func TestRespondRFC6762Sec6SharedAnswersDelayed20To120ms(t *testing.T) {
	for seed := uint64(0); seed < 30; seed++ {
		h := established(t, Config{Seed: seed})
		start := h.now
		h.inject(peerSrc, mkQuery(qm("_daap._tcp.local.", dns.TypePTR)))
		h.advance(time.Second)
		out := responses(h.takeV4())
		if len(out) != 1 {
			t.Fatalf("seed %d: %d responses", seed, len(out))
		}
		if d := out[0].at.Sub(start); d < 20*time.Millisecond || d > 120*time.Millisecond {
			t.Errorf("seed %d: shared answer after %v, want 20–120 ms", seed, d)
		}
	}
}

func TestRespondRFC6762Sec6UniqueAnswersAtOnce(t *testing.T) {
	h := established(t, Config{})
	start := h.now
	h.inject(peerSrc, mkQuery(qm(inst, dns.TypeSRV)))
	out := responses(h.takeV4())
	if len(out) != 1 || out[0].at != start {
		t.Fatalf("unique answer: %d responses at %v, want 1 at once", len(out), out)
	}
	m := out[0].msg
	if hasRecord(m.Answer, inst, dns.TypeSRV) == nil || hasRecord(m.Extra, "host.local.", dns.TypeA) == nil {
		t.Fatalf("SRV answer %v, want SRV with the host's A in additional", m)
	}
}

func TestRespondRFC6762Sec6_4AggregatesAnswersFallingDueTogether(t *testing.T) {
	h := established(t, Config{})
	h.inject(peerSrc, mkQuery(qm("_daap._tcp.local.", dns.TypePTR)))
	h.advance(5 * time.Millisecond)
	h.inject(netip.AddrPortFrom(netip.MustParseAddr("10.0.0.3"), Port), mkQuery(qm("_services._dns-sd._udp.local.", dns.TypePTR)))
	h.advance(time.Second)
	out := responses(h.takeV4())
	if len(out) != 1 {
		t.Fatalf("%d responses, want both answers in one", len(out))
	}
	if hasRecord(out[0].msg.Answer, "_daap._tcp.local.", dns.TypePTR) == nil || hasRecord(out[0].msg.Answer, "_services._dns-sd._udp.local.", dns.TypePTR) == nil {
		t.Fatalf("aggregated response %v", out[0].msg)
	}
}

func TestRespondRFC6762Sec6MulticastRateLimitOnePerSecond(t *testing.T) {
	h := established(t, Config{})
	h.inject(peerSrc, mkQuery(qm(inst, dns.TypeSRV)))
	first := h.now
	// 100 ms later (say, the IPv6 copy of the same query): the answer just
	// went out; nothing more is sent.
	h.advance(100 * time.Millisecond)
	h.inject(peerSrc, mkQuery(qm(inst, dns.TypeSRV)))
	// 500 ms later: answered again, but not before a second has passed.
	h.advance(400 * time.Millisecond)
	h.inject(peerSrc, mkQuery(qm(inst, dns.TypeSRV)))
	h.advance(2 * time.Second)
	out := responses(h.takeV4())
	if len(out) != 2 {
		t.Fatalf("%d responses, want 2", len(out))
	}
	if d := out[1].at.Sub(first); d != time.Second {
		t.Fatalf("second multicast of the SRV %v after the first, want 1 s", d)
	}
	if h.e.Stats().MulticastRateLimited != 2 {
		t.Errorf("rate limit counted %d times, want 2", h.e.Stats().MulticastRateLimited)
	}
}

func TestRespondRFC6762Sec6ProbeDefenceRateLimit250ms(t *testing.T) {
	h := established(t, Config{})
	h.inject(peerSrc, mkQuery(qm(inst, dns.TypeSRV)))
	first := h.now
	h.advance(50 * time.Millisecond)
	h.inject(peerSrc, probeFrom(inst, rr(t, inst+` 120 IN SRV 0 0 1 other.local.`)))
	h.advance(time.Second)
	var srvAt []time.Time
	for _, s := range responses(h.takeV4()) {
		if hasRecord(s.msg.Answer, inst, dns.TypeSRV) != nil {
			srvAt = append(srvAt, s.at)
		}
	}
	if len(srvAt) != 2 || srvAt[1].Sub(first) != 250*time.Millisecond {
		t.Fatalf("probe defence: SRV multicast at %v; want the second 250 ms after the first (%v)", srvAt, first)
	}
}

func TestRespondRFC6762Sec7_1KnownAnswerSuppression(t *testing.T) {
	for _, tc := range []struct {
		ttl      uint32
		suppress bool
	}{{4500, true}, {2250, true}, {2249, false}} {
		h := established(t, Config{})
		q := mkQuery(qm("_daap._tcp.local.", dns.TypePTR))
		q.Answer = []dns.RR{rr(t, "_daap._tcp.local. 0 IN PTR "+inst)}
		q.Answer[0].Header().Ttl = tc.ttl
		h.inject(peerSrc, q)
		h.advance(time.Second)
		out := responses(h.takeV4())
		if got := len(out) == 0; got != tc.suppress {
			t.Errorf("known answer with TTL %d: suppressed=%v, want %v", tc.ttl, got, tc.suppress)
		}
	}
}

func TestRespondRFC6762Sec7_2MultiPacketKnownAnswers(t *testing.T) {
	for seed := uint64(0); seed < 10; seed++ {
		h := established(t, Config{Seed: seed})
		start := h.now
		q := mkQuery(qm("_daap._tcp.local.", dns.TypePTR))
		q.Truncated = true
		h.inject(peerSrc, q)
		// The continuation lists our PTR: nothing must be sent.
		h.advance(50 * time.Millisecond)
		cont := &dns.Msg{Answer: []dns.RR{rr(t, "_daap._tcp.local. 4500 IN PTR "+inst)}}
		h.inject(peerSrc, cont)
		h.advance(time.Second)
		if out := responses(h.takeV4()); len(out) != 0 {
			t.Fatalf("seed %d: answered %v although a continuation packet listed it", seed, out[0].msg)
		}
		// Without the continuation: answered 400–500 ms after the query.
		h.advance(2 * time.Second)
		start = h.now
		h.inject(peerSrc, q)
		h.advance(time.Second)
		out := responses(h.takeV4())
		if len(out) != 1 {
			t.Fatalf("seed %d: %d responses to a TC query", seed, len(out))
		}
		if d := out[0].at.Sub(start); d < 400*time.Millisecond || d > 500*time.Millisecond {
			t.Errorf("seed %d: TC query answered after %v, want 400–500 ms", seed, d)
		}
	}
}

func TestRespondRFC6762Sec7_4DuplicateAnswerSuppression(t *testing.T) {
	h := established(t, Config{})
	h.inject(peerSrc, mkQuery(qm("_daap._tcp.local.", dns.TypePTR)))
	// Another responder multicasts the same PTR before our delay runs out.
	h.inject(netip.AddrPortFrom(netip.MustParseAddr("10.0.0.7"), Port), response(rr(t, "_daap._tcp.local. 4500 IN PTR "+inst)))
	h.advance(time.Second)
	if out := responses(h.takeV4()); len(out) != 0 {
		t.Fatalf("sent %v after another host multicast the same answer", out[0].msg)
	}
	if h.e.Stats().AnswersSuppressedDup != 1 {
		t.Error("not counted")
	}
}

func TestRespondRFC6762Sec6_1NSECForMissingType(t *testing.T) {
	h := established(t, Config{})
	h.inject(peerSrc, mkQuery(qm("host.local.", dns.TypeAAAA)))
	out := responses(h.takeV4())
	if len(out) != 1 {
		t.Fatalf("%d responses to AAAA on a v4-only host", len(out))
	}
	nsec, ok := out[0].msg.Answer[0].(*dns.NSEC)
	if !ok || nsec.NextDomain != "host.local." || len(nsec.TypeBitMap) != 1 || nsec.TypeBitMap[0] != dns.TypeA || nsec.Hdr.Class&cacheFlushBit == 0 {
		t.Fatalf("negative answer %v", out[0].msg.Answer)
	}
	// An instance has SRV and TXT; asked for A it says so.
	h.inject(peerSrc, mkQuery(qm(inst, dns.TypeA)))
	out = responses(h.takeV4())
	if len(out) != 1 {
		t.Fatal("no NSEC for the instance")
	}
	if nsec := out[0].msg.Answer[0].(*dns.NSEC); len(nsec.TypeBitMap) != 2 || nsec.TypeBitMap[0] != dns.TypeTXT || nsec.TypeBitMap[1] != dns.TypeSRV {
		t.Fatalf("instance NSEC %v", nsec)
	}
	// A name we do not own gets no answer at all.
	h.inject(peerSrc, mkQuery(qm("nobody.local.", dns.TypeA)))
	if out := h.take(); len(out) != 0 {
		t.Fatal("answered for a name we do not own")
	}
}

func TestRespondRFC6762Sec5_4QUUnicastWhenRecentlyMulticast(t *testing.T) {
	h := established(t, Config{})
	// The SRV was announced within ¼ of its TTL (120 s): unicast.
	h.inject(peerSrc, mkQuery(qu(inst, dns.TypeSRV)))
	out := h.take()
	if len(out) != 1 || out[0].dst != peerSrc {
		t.Fatalf("QU answer went to %v, want unicast to %v", out, peerSrc)
	}
	// After ¼ TTL without a multicast: multicast instead.
	h.advance(31 * time.Second)
	h.take()
	h.inject(peerSrc, mkQuery(qu(inst, dns.TypeSRV)))
	out = h.takeV4()
	if len(out) != 1 || !out[0].dst.Addr().IsMulticast() {
		t.Fatalf("QU answer for a record not multicast lately went to %v, want multicast", out)
	}
}

func TestRespondRFC6762Sec6_7LegacyUnicast(t *testing.T) {
	h := established(t, Config{})
	src := netip.AddrPortFrom(peerV4, 40000)
	q := mkQuery(qm("_daap._tcp.local.", dns.TypePTR))
	q.Id = 0x4c55
	h.inject(src, q)
	out := h.take()
	if len(out) != 1 || out[0].dst != src {
		t.Fatalf("legacy answer went to %v, want %v at once", out, src)
	}
	m := out[0].msg
	if m.Id != 0x4c55 || len(m.Question) != 1 || m.Question[0].Name != "_daap._tcp.local." {
		t.Fatalf("legacy reply does not echo ID and question: %v", m)
	}
	for _, r := range append(append([]dns.RR{}, m.Answer...), m.Extra...) {
		if r.Header().Ttl > 10 {
			t.Errorf("%v: TTL %d > 10", r, r.Header().Ttl)
		}
		if r.Header().Class&cacheFlushBit != 0 {
			t.Errorf("%v: cache-flush bit in a legacy reply", r)
		}
	}
	if hasRecord(m.Extra, inst, dns.TypeSRV) == nil {
		t.Error("legacy reply lacks the additional SRV")
	}
}

func TestRespondRFC6763Sec9ServiceTypeEnumeration(t *testing.T) {
	h := established(t, Config{})
	h.inject(peerSrc, mkQuery(qm("_services._dns-sd._udp.local.", dns.TypePTR)))
	h.advance(time.Second)
	out := responses(h.takeV4())
	if len(out) != 1 {
		t.Fatal("no answer to service type enumeration")
	}
	if p, ok := out[0].msg.Answer[0].(*dns.PTR); !ok || p.Ptr != "_daap._tcp.local." {
		t.Fatalf("answer %v", out[0].msg.Answer)
	}
}

func TestRespondRFC6763Sec7_1Subtypes(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	s := daap()
	s.Subtypes = []string{"_music"}
	h.establish(s)
	h.inject(peerSrc, mkQuery(qm("_music._sub._daap._tcp.local.", dns.TypePTR)))
	h.advance(time.Second)
	out := responses(h.takeV4())
	if len(out) != 1 || hasRecord(out[0].msg.Answer, "_music._sub._daap._tcp.local.", dns.TypePTR) == nil {
		t.Fatalf("subtype browse answered with %v", out)
	}
}

func TestRespondReversePTR(t *testing.T) {
	h := established(t, Config{PublishReverse: true})
	h.inject(peerSrc, mkQuery(qm("1.0.0.10.in-addr.arpa.", dns.TypePTR)))
	out := responses(h.takeV4())
	if len(out) != 1 || out[0].msg.Answer[0].(*dns.PTR).Ptr != "host.local." {
		t.Fatalf("reverse lookup answered with %v", out)
	}
}

func TestRespondRFC6762Sec16NamesCaseInsensitive(t *testing.T) {
	h := established(t, Config{})
	h.inject(peerSrc, mkQuery(qm(`daap\ SERVER._DAAP._TCP.LOCAL.`, dns.TypeSRV)))
	if out := responses(h.takeV4()); len(out) != 1 {
		t.Fatal("mixed-case question not answered")
	}
}

func TestRespondRFC6762Sec11OffLinkUnicastIgnored(t *testing.T) {
	h := established(t, Config{})
	off := netip.AddrPortFrom(netip.MustParseAddr("192.0.2.9"), 40000)
	h.injectTo(off, netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), Port), mkQuery(qm(inst, dns.TypeSRV)))
	if out := h.take(); len(out) != 0 {
		t.Fatalf("answered an off-link unicast query: %v", out[0].msg)
	}
	if h.e.Stats().DroppedOffLink != 1 {
		t.Error("not counted")
	}
}

func TestRespondRFC6762Sec11HopLimitNot255Dropped(t *testing.T) {
	h := established(t, Config{})
	b, _ := mkQuery(qm(inst, dns.TypeSRV)).Pack()
	h.e.HandlePacket(h.now, Packet{Link: testLink, Src: peerSrc, HopLimit: 64, Data: b})
	h.drain()
	if out := h.take(); len(out) != 0 {
		t.Fatal("answered a packet with IP TTL 64")
	}
}

func TestRespondRFC6762Sec18NonZeroOpcodeDropped(t *testing.T) {
	h := established(t, Config{})
	q := mkQuery(qm(inst, dns.TypeSRV))
	q.Opcode = dns.OpcodeUpdate
	h.inject(peerSrc, q)
	q = mkQuery(qm(inst, dns.TypeSRV))
	q.Rcode = dns.RcodeServerFailure
	h.inject(peerSrc, q)
	if out := h.take(); len(out) != 0 {
		t.Fatal("answered a query with opcode/rcode ≠ 0")
	}
	if h.e.Stats().DroppedOpcode != 2 {
		t.Error("not counted")
	}
}

func TestRespondDoesNotAnswerBeforeProbingCompletes(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	h.publish(daap())
	h.advance(100 * time.Millisecond)
	h.take()
	h.inject(peerSrc, mkQuery(qm("_daap._tcp.local.", dns.TypePTR)))
	h.advance(200 * time.Millisecond)
	if out := responses(h.take()); len(out) != 0 {
		t.Fatalf("answered during probing: %v", out[0].msg)
	}
}

func TestRespondRFC6762Sec17LargeAnswerSplitAcrossPackets(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	for i := 0; i < 200; i++ {
		h.publish(ServiceSpec{Instance: "Printer number " + string(rune('A'+i%26)) + string(rune('a'+i/26)), Type: "_ipp._tcp", Port: 631})
	}
	h.advance(10 * time.Second)
	h.take()
	h.inject(peerSrc, mkQuery(qm("_ipp._tcp.local.", dns.TypePTR)))
	h.advance(time.Second)
	out := responses(h.takeV4())
	if len(out) < 3 {
		t.Fatalf("%d packets for 200 PTR answers", len(out))
	}
	seen := map[string]bool{}
	for _, s := range out {
		if len(s.raw) > 1440 {
			t.Errorf("packet of %d bytes", len(s.raw))
		}
		if s.msg.Truncated {
			t.Error("TC set on a multicast response")
		}
		for _, r := range s.msg.Answer {
			seen[r.(*dns.PTR).Ptr] = true
		}
		if len(s.msg.Extra) != 0 {
			t.Error("additional records sent with an answer that needs several packets")
		}
	}
	if len(seen) != 200 {
		t.Fatalf("%d distinct instances answered, want 200", len(seen))
	}
}
