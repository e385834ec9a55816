package mdns

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// queriesFor returns the multicast queries (IPv4 copies) asking for name.
func queriesFor(ss []sent, name string) []sent {
	var out []sent
	for _, s := range ss {
		if s.msg.Response || !s.dst.Addr().Is4() || !s.dst.Addr().IsMulticast() {
			continue
		}
		for _, q := range s.msg.Question {
			if dns.CanonicalName(q.Name) == dns.CanonicalName(name) {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

func startQuery(t *testing.T, h *harness, name string, qt uint16) QueryID {
	t.Helper()
	id, err := h.e.StartQuery(h.now, Question{Name: name, Type: qt})
	if err != nil {
		t.Fatal(err)
	}
	h.drain()
	return id
}

func TestQueryRFC6762Sec5_2FirstQueryAfter20To120msWithQU(t *testing.T) {
	for seed := uint64(0); seed < 30; seed++ {
		h := newHarness(t, Config{Seed: seed})
		h.settle()
		start := h.now
		startQuery(t, h, "_ipp._tcp.local.", dns.TypePTR)
		h.advance(200 * time.Millisecond)
		qs := queriesFor(h.take(), "_ipp._tcp.local.")
		if len(qs) != 1 {
			t.Fatalf("seed %d: %d queries in 200 ms", seed, len(qs))
		}
		if d := qs[0].at.Sub(start); d < 20*time.Millisecond || d > 120*time.Millisecond {
			t.Errorf("seed %d: first query after %v, want 20–120 ms", seed, d)
		}
		if qs[0].msg.Question[0].Qclass&cacheFlushBit == 0 {
			t.Errorf("seed %d: first query is not QU (RFC 6762 §5.4)", seed)
		}
	}
}

func TestQueryRFC6762Sec5_2IntervalsDoubleToOneHour(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	id := startQuery(t, h, "_ipp._tcp.local.", dns.TypePTR)
	h.advance(5 * time.Hour)
	qs := queriesFor(h.take(), "_ipp._tcp.local.")
	want := time.Second
	for i := 1; i < len(qs); i++ {
		if d := qs[i].at.Sub(qs[i-1].at); d != want {
			t.Fatalf("gap %d is %v, want %v", i, d, want)
		}
		if i > 1 && qs[i].msg.Question[0].Qclass&cacheFlushBit != 0 {
			t.Errorf("query %d is QU; only the first is", i+1)
		}
		want = min(want*2, time.Hour)
	}
	if len(qs) < 14 {
		t.Fatalf("%d queries in 5 h", len(qs))
	}
	if err := h.e.StopQuery(h.now, id); err != nil {
		t.Fatal(err)
	}
	h.advance(3 * time.Hour)
	if qs := queriesFor(h.take(), "_ipp._tcp.local."); len(qs) != 0 {
		t.Fatalf("%d queries after StopQuery", len(qs))
	}
}

// answer injects a response with the given records from the peer.
func answer(t *testing.T, h *harness, records ...string) {
	t.Helper()
	var rrs []dns.RR
	for _, s := range records {
		rrs = append(rrs, rr(t, s))
	}
	h.inject(peerSrc, response(rrs...))
}

func TestQueryRFC6762Sec7_1KnownAnswersWithMoreThanHalfTTL(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	startQuery(t, h, "_ipp._tcp.local.", dns.TypePTR)
	h.advance(200 * time.Millisecond)
	answer(t, h, "_ipp._tcp.local. 100 IN PTR A._ipp._tcp.local.", "_ipp._tcp.local. 4500 IN PTR B._ipp._tcp.local.")
	h.take()
	// At the second query (1 s after the first) both are fresh.
	h.advance(1200 * time.Millisecond)
	qs := queriesFor(h.take(), "_ipp._tcp.local.")
	if len(qs) != 1 || len(qs[0].msg.Answer) != 2 {
		t.Fatalf("second query: %v", qs)
	}
	for _, ka := range qs[0].msg.Answer {
		if ka.Header().Class&cacheFlushBit != 0 {
			t.Errorf("known answer %v has the cache-flush bit", ka)
		}
	}
	// The query ~63 s after the answers: A has 37 of 100 s left (< half),
	// so it is not listed; B is.
	h.advance(62 * time.Second)
	var last sent
	for _, q := range queriesFor(h.take(), "_ipp._tcp.local.") {
		last = q
	}
	if last.msg == nil || len(last.msg.Answer) != 1 || last.msg.Answer[0].(*dns.PTR).Ptr != "B._ipp._tcp.local." {
		t.Fatalf("later query known answers %v, want B only", last.msg)
	}
	if ttl := last.msg.Answer[0].Header().Ttl; ttl >= 4500 || ttl < 4400 {
		t.Errorf("known answer TTL %d: want the remaining TTL", ttl)
	}
}

func TestQueryRFC6762Sec7_2KnownAnswersSplitWithTC(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	startQuery(t, h, "_ipp._tcp.local.", dns.TypePTR)
	h.advance(200 * time.Millisecond)
	var rrs []dns.RR
	for i := 0; i < 150; i++ {
		rrs = append(rrs, rr(t, fmt.Sprintf("_ipp._tcp.local. 4500 IN PTR Printer\\ number\\ %d._ipp._tcp.local.", i)))
	}
	for i := 0; i < len(rrs); i += 30 {
		h.inject(peerSrc, response(rrs[i:i+30]...))
	}
	h.take()
	h.advance(time.Second)
	var pkts []sent
	for _, s := range h.take() {
		if !s.msg.Response && s.dst == GroupV4 {
			pkts = append(pkts, s)
		}
	}
	if len(pkts) < 3 {
		t.Fatalf("150 known answers went out in %d packets", len(pkts))
	}
	total := 0
	for i, p := range pkts {
		total += len(p.msg.Answer)
		if len(p.raw) > 1440 {
			t.Errorf("packet %d is %d bytes", i, len(p.raw))
		}
		if got, want := p.msg.Truncated, i < len(pkts)-1; got != want {
			t.Errorf("packet %d: TC=%v, want %v", i, got, want)
		}
		if got := len(p.msg.Question) > 0; got != (i == 0) {
			t.Errorf("packet %d: has questions=%v; only the first carries them", i, got)
		}
	}
	if total != 150 {
		t.Errorf("%d known answers in all, want 150", total)
	}
}

func TestQueryRFC6762Sec7_3DuplicateQuestionSuppression(t *testing.T) {
	for _, tc := range []struct {
		desc     string
		theirKA  []string
		qu       bool
		suppress bool
	}{
		{"same question, no known answers", nil, false, true},
		{"their known answers are ours", []string{"A"}, false, true},
		{"they list one we lack", []string{"A", "Z"}, false, false},
		{"QU question", nil, true, false},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			h := newHarness(t, Config{})
			h.settle()
			startQuery(t, h, "_ipp._tcp.local.", dns.TypePTR)
			h.advance(200 * time.Millisecond)
			answer(t, h, "_ipp._tcp.local. 4500 IN PTR A._ipp._tcp.local.")
			h.take()
			// Our second query is due 1 s after the first; another host asks
			// the same 500 ms before that.
			h.advance(300 * time.Millisecond)
			q := mkQuery(qm("_ipp._tcp.local.", dns.TypePTR))
			if tc.qu {
				q.Question[0].Qclass |= cacheFlushBit
			}
			for _, n := range tc.theirKA {
				q.Answer = append(q.Answer, rr(t, "_ipp._tcp.local. 4500 IN PTR "+n+"._ipp._tcp.local."))
			}
			h.inject(netip.AddrPortFrom(netip.MustParseAddr("10.0.0.7"), Port), q)
			h.advance(900 * time.Millisecond)
			sentOurs := len(queriesFor(h.take(), "_ipp._tcp.local.")) > 0
			if sentOurs == tc.suppress {
				t.Fatalf("our query sent=%v, want suppressed=%v", sentOurs, tc.suppress)
			}
		})
	}
}

func TestCacheRFC6762Sec5_2RefreshAt80To95PercentOfTTL(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	startQuery(t, h, "_ipp._tcp.local.", dns.TypePTR)
	h.advance(200 * time.Millisecond)
	h.take()
	// A TTL-1000 s record: refresh queries at 800/850/900/950 s (+ ≤ 2 %).
	answer(t, h, "_ipp._tcp.local. 1000 IN PTR A._ipp._tcp.local.")
	got := h.now
	h.advance(2 * time.Minute) // let the continuous query's own rhythm pass its early part
	h.take()
	h.advance(1001*time.Second - 2*time.Minute)
	var refresh []time.Duration
	for _, q := range queriesFor(h.take(), "_ipp._tcp.local.") {
		d := q.at.Sub(got)
		if d > 700*time.Second {
			refresh = append(refresh, d)
		}
	}
	if len(refresh) != 4 {
		t.Fatalf("refresh queries at %v, want 4 between 80 %% and 97 %%", refresh)
	}
	for i, d := range refresh {
		lo := time.Duration(800+50*i) * time.Second
		if d < lo || d > lo+20*time.Second {
			t.Errorf("refresh %d at %v, want %v–%v", i+1, d, lo, lo+20*time.Second)
		}
	}
	evs := h.takeEvents()
	if len(evs) < 2 || evs[len(evs)-1].Kind != EventRemoved {
		t.Fatalf("after the TTL: events %+v, want the record removed", evs)
	}
}

func TestCacheRFC6762Sec5_2NoRefreshWithoutInterest(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	answer(t, h, "_ipp._tcp.local. 1000 IN PTR A._ipp._tcp.local.")
	h.advance(1001 * time.Second)
	if qs := queriesFor(h.take(), "_ipp._tcp.local."); len(qs) != 0 {
		t.Fatalf("%d refresh queries for a record nobody asked for", len(qs))
	}
	if h.e.Stats().CacheRecords != 0 {
		t.Error("record still cached after its TTL")
	}
}

func TestCacheRFC6762Sec10_2CacheFlushAfterOneSecond(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	q := startQuery(t, h, "printer.local.", dns.TypeA)
	answer(t, h, "printer.local. 120 IN A 10.0.0.50")
	// A second address of the same RRset in another packet, within 1 s:
	// both kept (RFC 6762 §10.2).
	h.advance(500 * time.Millisecond)
	a2 := rr(t, "printer.local. 120 IN A 10.0.0.51")
	a2.Header().Class |= cacheFlushBit
	h.inject(peerSrc, response(a2))
	h.advance(3 * time.Second)
	for _, ev := range h.takeEvents() {
		if ev.Kind == EventRemoved {
			t.Fatalf("a record of the RRset received within 1 s was flushed: %+v", ev)
		}
	}
	// Later the host announces a new address with cache-flush: the old two
	// expire one second later.
	a3 := rr(t, "printer.local. 120 IN A 10.0.0.52")
	a3.Header().Class |= cacheFlushBit
	h.inject(peerSrc, response(a3))
	flushAt := h.now
	if evs := h.takeEvents(); len(evs) != 1 || evs[0].Kind != EventUpdated || evs[0].Record.(*dns.A).A.String() != "10.0.0.52" {
		t.Fatalf("events on the new address: %+v, want one Updated", evs)
	}
	h.advance(999 * time.Millisecond)
	if h.e.Stats().CacheRecords != 3 {
		t.Errorf("old records gone before 1 s")
	}
	h.advance(2 * time.Millisecond)
	evs := h.takeEvents()
	if len(evs) != 1 || evs[0].Kind != EventRemoved || evs[0].Query != q || h.now.Sub(flushAt) > 1001*time.Millisecond {
		t.Fatalf("events %+v, want the other old address Removed 1 s after the flush", evs)
	}
	if h.e.Stats().CacheRecords != 1 {
		t.Errorf("%d records cached after the flush, want 1", h.e.Stats().CacheRecords)
	}
}

func TestCacheRFC6762Sec10_2UpdatedEventWhenTXTChanges(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	q := startQuery(t, h, "A._ipp._tcp.local.", dns.TypeTXT)
	txt1 := rr(t, `A._ipp._tcp.local. 4500 IN TXT "v=1"`)
	txt1.Header().Class |= cacheFlushBit
	h.inject(peerSrc, response(txt1))
	h.advance(5 * time.Second)
	h.takeEvents()
	txt2 := rr(t, `A._ipp._tcp.local. 4500 IN TXT "v=2"`)
	txt2.Header().Class |= cacheFlushBit
	h.inject(peerSrc, response(txt2))
	h.advance(3 * time.Second)
	evs := h.takeEvents()
	if len(evs) != 1 || evs[0].Kind != EventUpdated || evs[0].Query != q || evs[0].Link != testLink ||
		evs[0].Record.(*dns.TXT).Txt[0] != "v=2" || evs[0].Old.(*dns.TXT).Txt[0] != "v=1" {
		t.Fatalf("events %+v, want one Updated v=1 → v=2", evs)
	}
}

func TestCacheRFC6762Sec10_1GoodbyeExpiresInOneSecond(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	q := startQuery(t, h, "_ipp._tcp.local.", dns.TypePTR)
	answer(t, h, "_ipp._tcp.local. 4500 IN PTR A._ipp._tcp.local.")
	h.advance(2 * time.Second)
	h.takeEvents()
	answer(t, h, "_ipp._tcp.local. 0 IN PTR A._ipp._tcp.local.")
	bye := h.now
	h.advance(999 * time.Millisecond)
	if evs := h.takeEvents(); len(evs) != 0 {
		t.Fatalf("removed before 1 s: %+v", evs)
	}
	h.advance(2 * time.Millisecond)
	evs := h.takeEvents()
	if len(evs) != 1 || evs[0].Kind != EventRemoved || evs[0].Query != q || h.now.Sub(bye) > 1001*time.Millisecond {
		t.Fatalf("events %+v, want Removed 1 s after the goodbye", evs)
	}
}

func TestCacheRFC6762Sec10_5POOF(t *testing.T) {
	other := netip.AddrPortFrom(netip.MustParseAddr("10.0.0.7"), Port)
	for _, answered := range []bool{false, true} {
		h := newHarness(t, Config{})
		h.settle()
		startQuery(t, h, "_ipp._tcp.local.", dns.TypePTR)
		answer(t, h, "_ipp._tcp.local. 4500 IN PTR A._ipp._tcp.local.")
		h.advance(5 * time.Second)
		h.takeEvents()
		// Queries from two other hosts that do not list the record (one
		// host's repeated queries do not count: it may be the owner).
		h.inject(other, mkQuery(qm("_ipp._tcp.local.", dns.TypePTR)))
		h.advance(2 * time.Second)
		h.inject(other, mkQuery(qm("_ipp._tcp.local.", dns.TypePTR)))
		h.inject(netip.AddrPortFrom(netip.MustParseAddr("10.0.0.8"), Port), mkQuery(qm("_ipp._tcp.local.", dns.TypePTR)))
		if answered {
			h.advance(time.Second)
			answer(t, h, "_ipp._tcp.local. 4500 IN PTR A._ipp._tcp.local.")
		}
		h.advance(9 * time.Second)
		removed := false
		for _, ev := range h.takeEvents() {
			removed = removed || ev.Kind == EventRemoved
		}
		if removed == answered {
			t.Fatalf("answered=%v: removed=%v", answered, removed)
		}
	}
}

func TestCacheRFC6762Sec10_4Reconfirm(t *testing.T) {
	for _, answered := range []bool{false, true} {
		h := newHarness(t, Config{})
		h.settle()
		startQuery(t, h, "_ipp._tcp.local.", dns.TypePTR)
		answer(t, h, "_ipp._tcp.local. 4500 IN PTR A._ipp._tcp.local.")
		h.advance(5 * time.Second)
		h.take()
		h.takeEvents()
		if !h.e.Reconfirm(h.now, testLink, rr(t, "_ipp._tcp.local. 4500 IN PTR A._ipp._tcp.local.")) {
			t.Fatal("Reconfirm did not find the record")
		}
		h.drain()
		h.advance(2 * time.Second)
		qs := queriesFor(h.take(), "_ipp._tcp.local.")
		if len(qs) < 2 {
			t.Fatalf("%d reconfirmation queries, want 2", len(qs))
		}
		for _, q := range qs {
			if len(q.msg.Answer) != 0 {
				t.Errorf("reconfirmation query lists the record as known: %v", q.msg.Answer)
			}
		}
		if answered {
			answer(t, h, "_ipp._tcp.local. 4500 IN PTR A._ipp._tcp.local.")
		}
		h.advance(9 * time.Second)
		removed := false
		for _, ev := range h.takeEvents() {
			removed = removed || ev.Kind == EventRemoved
		}
		if removed == answered {
			t.Fatalf("answered=%v: removed=%v", answered, removed)
		}
	}
}

func TestQueryCachedRecordsReportedAtStartWithLink(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	answer(t, h, "_ipp._tcp.local. 4500 IN PTR A._ipp._tcp.local.")
	q := startQuery(t, h, "_IPP._TCP.local.", dns.TypePTR)
	evs := h.takeEvents()
	if len(evs) != 1 || evs[0].Kind != EventAdded || evs[0].Query != q || evs[0].Link != testLink {
		t.Fatalf("events %+v, want the cached record as Added on link %d (names are case-insensitive)", evs, testLink)
	}
}

func TestCacheLimitEvictsUnwantedFirst(t *testing.T) {
	h := newHarness(t, Config{MaxCacheRecords: 50})
	h.settle()
	startQuery(t, h, "_ipp._tcp.local.", dns.TypePTR)
	// The wanted records are the oldest in the cache, more of them than
	// any fixed look-ahead would cover.
	for i := 0; i < 30; i++ {
		answer(t, h, fmt.Sprintf("_ipp._tcp.local. 4500 IN PTR Wanted%d._ipp._tcp.local.", i))
	}
	for i := 0; i < 500; i++ {
		answer(t, h, fmt.Sprintf("flood%d.local. 120 IN A 10.0.1.%d", i, i%250))
	}
	st := h.e.Stats()
	if st.CacheRecords != 50 || st.CacheEvictions != 480 {
		t.Fatalf("cache %d records, %d evictions; want 50 and 480", st.CacheRecords, st.CacheEvictions)
	}
	for _, ev := range h.takeEvents() {
		if ev.Kind == EventRemoved {
			t.Fatalf("a record a query wants was evicted: %+v", ev)
		}
	}
	if n := len(h.e.cache.lookup(testLink, "_ipp._tcp.local.", dns.TypePTR)); n != 30 {
		t.Fatalf("%d wanted records left, want 30", n)
	}
}

func TestCacheRecordsNoLongerWantedAfterStopQueryAreEvictable(t *testing.T) {
	h := newHarness(t, Config{MaxCacheRecords: 10})
	h.settle()
	startQuery(t, h, "_http._tcp.local.", dns.TypePTR)
	for i := 0; i < 5; i++ {
		answer(t, h, fmt.Sprintf("_http._tcp.local. 4500 IN PTR Old%d._http._tcp.local.", i))
	}
	// Newer records of a query that then stops: no longer wanted, they go
	// before the older records a running query still wants.
	id := startQuery(t, h, "_ipp._tcp.local.", dns.TypePTR)
	for i := 0; i < 5; i++ {
		answer(t, h, fmt.Sprintf("_ipp._tcp.local. 4500 IN PTR P%d._ipp._tcp.local.", i))
	}
	if err := h.e.StopQuery(h.now, id); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		answer(t, h, fmt.Sprintf("_http._tcp.local. 4500 IN PTR New%d._http._tcp.local.", i))
	}
	if n := len(h.e.cache.lookup(testLink, "_http._tcp.local.", dns.TypePTR)); n != 8 {
		t.Fatalf("%d wanted records left, want all 8", n)
	}
	if n := len(h.e.cache.lookup(testLink, "_ipp._tcp.local.", dns.TypePTR)); n != 2 {
		t.Fatalf("%d records of the stopped query left, want 2 (3 evicted)", n)
	}
}

// Two queries for one question (two Browse calls for a type) share one
// series (RFC 6762 §5.2 intervals, and §7.3's point that a question asked
// once is enough): the second gets the cached answers at once and adds no
// query; the series runs until the last of them stops.
func TestQueryRFC6762Sec5_2SameQuestionSharesOneSeries(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	a := startQuery(t, h, "_ipp._tcp.local.", dns.TypePTR)
	h.advance(1500 * time.Millisecond)
	answer(t, h, "_ipp._tcp.local. 4500 IN PTR A._ipp._tcp.local.")
	h.takeEvents()
	b := startQuery(t, h, "_IPP._tcp.local.", dns.TypePTR)
	if evs := h.takeEvents(); len(evs) != 1 || evs[0].Query != b || evs[0].Kind != EventAdded {
		t.Fatalf("second query's events %+v, want the cached PTR as Added", evs)
	}
	h.advance(time.Minute)
	qs := queriesFor(h.take(), "_ipp._tcp.local.")
	// One series: 20–120 ms, then +1 s, +2 s, +4 s… within 61.5 s.
	var gaps []time.Duration
	for i := 1; i < len(qs); i++ {
		gaps = append(gaps, qs[i].at.Sub(qs[i-1].at))
	}
	for i, g := range gaps {
		if want := time.Second << i; g != want {
			t.Fatalf("query gaps %v: a second series runs (want 1 s, 2 s, 4 s…)", gaps)
		}
	}
	if err := h.e.StopQuery(h.now, a); err != nil {
		t.Fatal(err)
	}
	h.advance(2 * time.Hour)
	if qs := queriesFor(h.take(), "_ipp._tcp.local."); len(qs) == 0 {
		t.Fatal("the series stopped with the first query while the second runs")
	}
	if err := h.e.StopQuery(h.now, b); err != nil {
		t.Fatal(err)
	}
	h.advance(3 * time.Hour)
	if qs := queriesFor(h.take(), "_ipp._tcp.local."); len(qs) != 0 {
		t.Fatalf("%d queries after both queries stopped", len(qs))
	}
}

func TestInputRFC6762Sec6ResponsesFromOtherPortsIgnored(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	startQuery(t, h, "_ipp._tcp.local.", dns.TypePTR)
	h.inject(netip.AddrPortFrom(peerV4, 40000), response(rr(t, "_ipp._tcp.local. 4500 IN PTR A._ipp._tcp.local.")))
	if len(h.takeEvents()) != 0 || h.e.Stats().DroppedSourcePort != 1 {
		t.Fatal("a response from port 40000 was used")
	}
}

func TestInputRFC6762Sec18QuestionsInResponsesIgnored(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	h.establish(daap())
	startQuery(t, h, "_ipp._tcp.local.", dns.TypePTR)
	m := response(rr(t, "_ipp._tcp.local. 4500 IN PTR A._ipp._tcp.local."))
	m.Question = []dns.Question{qm(inst, dns.TypeSRV)}
	h.inject(peerSrc, m)
	if out := h.take(); len(out) != 0 {
		t.Fatalf("answered a question inside a response: %v", out[0].msg)
	}
	if evs := h.takeEvents(); len(evs) != 1 || evs[0].Kind != EventAdded {
		t.Fatalf("the response's answers were not cached: %+v", evs)
	}
}

func TestInputOwnMulticastLoopedBackIgnored(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	h.establish(daap())
	startQuery(t, h, "_ipp._tcp.local.", dns.TypePTR)
	h.advance(200 * time.Millisecond)
	var ours sent
	for _, s := range h.take() {
		if !s.msg.Response && s.dst == GroupV4 {
			ours = s
		}
	}
	if ours.msg == nil {
		t.Fatal("no query sent")
	}
	before := h.e.Stats()
	h.e.HandlePacket(h.now, Packet{Link: testLink, Src: netip.AddrPortFrom(ourV4.Addr(), Port), Dst: GroupV4, HopLimit: 255, Data: ours.raw})
	h.drain()
	after := h.e.Stats()
	if after.DroppedOwn != before.DroppedOwn+1 || after.QueriesSuppressedDup != before.QueriesSuppressedDup {
		t.Fatalf("own query not recognised: %+v", after)
	}
	// Our own announcement looped back is no conflict.
	id2 := h.publish(ServiceSpec{Instance: "Looped", Type: "_x._tcp", Port: 1})
	_ = id2
	h.advance(time.Second)
	for _, s := range h.take() {
		h.e.HandlePacket(h.now, Packet{Link: testLink, Src: netip.AddrPortFrom(ourV4.Addr(), Port), Dst: s.dst, HopLimit: 255, Data: s.raw})
		h.drain()
	}
	h.advance(5 * time.Second)
	if h.e.Stats().Conflicts != 0 {
		t.Fatal("own packets caused a conflict")
	}
}

func TestCacheRFC6762Sec10_5NoPOOFFromOneHostsQueries(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	startQuery(t, h, "_ipp._tcp.local.", dns.TypePTR)
	answer(t, h, "_ipp._tcp.local. 4500 IN PTR A._ipp._tcp.local.")
	h.advance(5 * time.Second)
	owner := netip.AddrPortFrom(netip.MustParseAddr("10.0.0.7"), Port)
	for i := 0; i < 4; i++ {
		h.inject(owner, mkQuery(qm("_ipp._tcp.local.", dns.TypePTR)))
		h.advance(2 * time.Second)
	}
	h.advance(10 * time.Second)
	if h.e.Stats().RecordsPoofed != 0 {
		t.Fatal("one host's unanswered queries expired the record; it may be the record's owner")
	}
}

func TestLinkRemovalReportsItsRecordsRemoved(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	q := startQuery(t, h, "_ipp._tcp.local.", dns.TypePTR)
	answer(t, h, "_ipp._tcp.local. 4500 IN PTR A._ipp._tcp.local.")
	h.takeEvents()
	h.e.SetLinks(h.now, nil)
	h.drain()
	evs := h.takeEvents()
	if len(evs) != 1 || evs[0].Kind != EventRemoved || evs[0].Query != q || evs[0].Link != testLink {
		t.Fatalf("events %+v, want the record Removed when its link went away", evs)
	}
}

func TestCacheRFC6762Sec10_2RRsetAcrossPacketsStaysConsistent(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	q := startQuery(t, h, "printer.local.", dns.TypeA)
	answer(t, h, "printer.local. 120 IN A 10.0.0.50")
	h.advance(2 * time.Second)
	h.takeEvents()
	flush := func(s string) {
		r := rr(t, s)
		r.Header().Class |= cacheFlushBit
		h.inject(peerSrc, response(r))
	}
	flush("printer.local. 120 IN A 10.0.0.51")
	h.advance(300 * time.Millisecond)
	flush("printer.local. 120 IN A 10.0.0.50") // the rest of the RRset
	h.advance(3 * time.Second)
	shown := map[string]bool{"10.0.0.50": true}
	for _, ev := range h.takeEvents() {
		if ev.Query != q {
			continue
		}
		a := ev.Record.(*dns.A).A.String()
		switch ev.Kind {
		case EventAdded:
			shown[a] = true
		case EventUpdated:
			delete(shown, ev.Old.(*dns.A).A.String())
			shown[a] = true
		case EventRemoved:
			delete(shown, a)
		}
	}
	if !shown["10.0.0.50"] || !shown["10.0.0.51"] || len(shown) != 2 || h.e.Stats().CacheRecords != 2 {
		t.Fatalf("the query shows %v; the cache holds %d; want both addresses", shown, h.e.Stats().CacheRecords)
	}
}

func TestQueryStartedDuringAFlushSeesOnlyTheCurrentData(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	v1 := rr(t, `A._ipp._tcp.local. 4500 IN TXT "v=1"`)
	v1.Header().Class |= cacheFlushBit
	h.inject(peerSrc, response(v1))
	h.advance(2 * time.Second)
	v2 := rr(t, `A._ipp._tcp.local. 4500 IN TXT "v=2"`)
	v2.Header().Class |= cacheFlushBit
	h.inject(peerSrc, response(v2))
	h.advance(500 * time.Millisecond)
	startQuery(t, h, "A._ipp._tcp.local.", dns.TypeTXT)
	evs := h.takeEvents()
	if len(evs) != 1 || evs[0].Record.(*dns.TXT).Txt[0] != "v=2" {
		t.Fatalf("events %+v, want only v=2", evs)
	}
}
