package mdns

import (
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestProbeRFC6762Sec8_1ThreeProbes250msApartAfterRandomDelay(t *testing.T) {
	for seed := uint64(0); seed < 20; seed++ {
		h := newHarness(t, Config{Seed: seed})
		h.advance(5 * time.Second) // host name settles
		h.take()
		start := h.now
		h.publish(daap())
		h.advance(900 * time.Millisecond)
		var probes []sent
		for _, s := range h.takeV4() {
			if !s.msg.Response && len(s.msg.Ns) > 0 {
				probes = append(probes, s)
			}
		}
		if len(probes) != 3 {
			t.Fatalf("seed %d: %d probes, want 3", seed, len(probes))
		}
		first := probes[0].at.Sub(start)
		if first < 0 || first > 250*time.Millisecond {
			t.Errorf("seed %d: first probe after %v, want 0–250 ms", seed, first)
		}
		for i := 1; i < 3; i++ {
			if d := probes[i].at.Sub(probes[i-1].at); d != 250*time.Millisecond {
				t.Errorf("seed %d: probe %d after %v, want 250 ms", seed, i+1, d)
			}
		}
		for i, p := range probes {
			q := p.msg.Question[0]
			if q.Name != `DAAP\ Server._daap._tcp.local.` || q.Qtype != dns.TypeANY {
				t.Fatalf("probe question %v", q)
			}
			if gotQU := q.Qclass&cacheFlushBit != 0; gotQU != (i == 0) {
				t.Errorf("probe %d: QU=%v, want QU on the first only", i+1, gotQU)
			}
			if hasRecord(p.msg.Ns, q.Name, dns.TypeSRV) == nil || hasRecord(p.msg.Ns, q.Name, dns.TypeTXT) == nil {
				t.Errorf("probe %d: authority %v lacks SRV and TXT", i+1, p.msg.Ns)
			}
			for _, r := range p.msg.Ns {
				if r.Header().Class&cacheFlushBit != 0 {
					t.Errorf("probe %d: cache-flush bit on %v in Authority", i+1, r)
				}
			}
		}
	}
}

// probeFrom builds another host's probe for name with the given Authority.
func probeFrom(name string, auth ...dns.RR) *dns.Msg {
	return &dns.Msg{Question: []dns.Question{qm(name, dns.TypeANY)}, Ns: auth}
}

func TestProbeRFC6762Sec8_1ConflictDuringProbingRenames(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	id := h.publish(daap())
	h.advance(300 * time.Millisecond) // first probe is out
	if len(h.takeV4()) == 0 {
		t.Fatal("no probe sent")
	}
	// Another host already owns the name and answers.
	h.inject(peerSrc, response(rr(t, `DAAP\ Server._daap._tcp.local. 120 IN SRV 0 0 3689 other.local.`)))
	h.advance(3 * time.Second)
	var probed []string
	for _, s := range h.takeV4() {
		if !s.msg.Response && len(s.msg.Ns) > 0 {
			probed = append(probed, s.msg.Question[0].Name)
		}
	}
	want := `DAAP\ Server\ \(2\)._daap._tcp.local.`
	if len(probed) != 3 || probed[0] != want {
		t.Fatalf("probes after conflict: %q, want 3 for %s", probed, want)
	}
	evs := h.takeEvents()
	if len(evs) != 1 || evs[0].Kind != EventEstablished || evs[0].Reg != id || evs[0].Name != "DAAP Server (2)" {
		t.Fatalf("events %+v, want one Established with the new name", evs)
	}
}

func TestProbeRFC6762Sec8_1ResponsesBeforeFirstProbeIgnored(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	h.publish(daap())
	// Before our first probe, a stale answer is not a conflict (§8.2).
	h.inject(peerSrc, response(rr(t, `DAAP\ Server._daap._tcp.local. 120 IN SRV 0 0 3689 other.local.`)))
	h.advance(5 * time.Second)
	if n, _ := h.e.Name(2); n != "DAAP Server" {
		t.Fatalf("name %q, want unchanged", n)
	}
}

func TestProbeRFC6762Sec8_1FifteenConflictsInTenSecondsBackOff(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	h.publish(daap())
	var probeTimes []time.Time
	for i := 0; i < 17; i++ {
		// Wait for a probe, then conflict with whatever name it asks for.
		var name string
		for name == "" {
			h.advance(10 * time.Millisecond)
			for _, s := range h.takeV4() {
				if !s.msg.Response && len(s.msg.Ns) > 0 {
					name = s.msg.Question[0].Name
					probeTimes = append(probeTimes, s.at)
				}
			}
		}
		h.inject(peerSrc, response(rr(t, name+` 120 IN SRV 0 0 3689 other.local.`)))
	}
	// The first 15 renames re-probe within 250 ms; from the 15th conflict in
	// 10 s on, the next probe waits 5 s.
	for i := 1; i < len(probeTimes); i++ {
		gap := probeTimes[i].Sub(probeTimes[i-1])
		if i < 15 && gap > 260*time.Millisecond {
			t.Errorf("probe %d came %v after the conflict, want ≤ 250 ms", i, gap)
		}
		if i >= 15 && gap < 5*time.Second {
			t.Errorf("probe %d came %v after the conflict, want ≥ 5 s back-off", i, gap)
		}
	}
	if h.e.Stats().ConflictBackoffs == 0 {
		t.Error("no back-off counted")
	}
}

func TestProbeRFC6762Sec8_2SimultaneousProbeTiebreak(t *testing.T) {
	name := `DAAP\ Server._daap._tcp.local.`
	for _, tc := range []struct {
		desc    string
		theirs  string
		wantRe  bool // we lose and re-probe after 1 s
		wantEst bool // we carry on and establish on schedule
	}{
		// Our SRV: 0 0 3689 host.local. A higher port is later: they win.
		{"they are later: we lose", name + ` 120 IN SRV 0 0 9999 host.local.`, true, false},
		{"they are earlier: we win", name + ` 120 IN SRV 0 0 1 host.local.`, false, true},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			h := newHarness(t, Config{})
			h.settle()
			h.publish(daap())
			// Wait for our first probe.
			for len(h.takeV4()) == 0 {
				h.advance(10 * time.Millisecond)
			}
			lostAt := h.now
			txt := rr(t, name+` 4500 IN TXT "txtvers=1"`)
			h.inject(peerSrc, probeFrom(name, rr(t, tc.theirs), txt))
			h.advance(5 * time.Second)
			var probes []time.Time
			for _, s := range h.takeV4() {
				if !s.msg.Response && len(s.msg.Ns) > 0 {
					probes = append(probes, s.at)
				}
			}
			if tc.wantRe {
				if len(probes) != 3 || probes[0].Sub(lostAt) != time.Second {
					t.Fatalf("after losing: probes at %v (lost at %v), want 3 starting 1 s later", probes, lostAt)
				}
			} else if len(probes) != 2 {
				t.Fatalf("after winning: %d more probes, want the 2 remaining", len(probes))
			}
			if n, _ := h.e.Name(2); n != "DAAP Server" {
				t.Errorf("name %q: a tie-break never renames", n)
			}
		})
	}
}

func TestProbeRFC6762Sec8_2IdenticalRecordsAreNoConflict(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	h.publish(daap())
	for len(h.takeV4()) == 0 {
		h.advance(10 * time.Millisecond)
	}
	name := `DAAP\ Server._daap._tcp.local.`
	h.inject(peerSrc, probeFrom(name, rr(t, name+` 120 IN SRV 0 0 3689 host.local.`), rr(t, name+` 4500 IN TXT "txtvers=1"`)))
	h.advance(400 * time.Millisecond)
	if got := h.e.Stats().ProbeTiebreaksLost; got != 0 {
		t.Fatalf("identical records counted as %d lost tie-breaks", got)
	}
	h.advance(5 * time.Second)
	if evs := h.takeEvents(); len(evs) != 1 || evs[0].Name != "DAAP Server" {
		t.Fatalf("events %+v", evs)
	}
}

// The host name a first service brings (Config.LazyHost) is probed in the
// same packets as the service (RFC 6762 §8.1: probes may be combined), and
// the service is reported established only with its host name: a service
// whose SRV points at a name still being probed could lose that name to a
// simultaneous prober (§8.2) after its owner was told it is registered.
func TestProbeRFC6762Sec8_1ServiceAndItsHostNameProbeTogether(t *testing.T) {
	for seed := uint64(0); seed < 20; seed++ {
		h := newHarness(t, Config{Seed: seed, LazyHost: true})
		h.settle()
		id := h.publish(daap())
		var sentAll []sent
		var est time.Time
		for i := 0; i < 300; i++ { // 3 s in 10 ms steps
			h.advance(10 * time.Millisecond)
			sentAll = append(sentAll, h.takeV4()...)
			for _, ev := range h.takeEvents() {
				if ev.Kind == EventEstablished && ev.Reg == id && est.IsZero() {
					est = h.now
				}
			}
		}
		var probes []sent
		for _, s := range sentAll {
			if !s.msg.Response && len(s.msg.Ns) > 0 {
				probes = append(probes, s)
			}
		}
		if len(probes) != 3 {
			t.Fatalf("seed %d: %d probe packets, want 3 carrying both names", seed, len(probes))
		}
		for _, p := range probes {
			var names []string
			for _, q := range p.msg.Question {
				names = append(names, q.Name)
			}
			if len(names) != 2 {
				t.Fatalf("seed %d: probe asks %v, want the service and host.local. together", seed, names)
			}
		}
		if want := probes[2].at.Add(probeInterval); est.IsZero() || est.Before(want) {
			t.Fatalf("seed %d: established at %v, want at %v or just after (250 ms after the last probe)", seed, est, want)
		}
	}
}

// A simultaneous prober wins our host name while a service is probing:
// the service is reported established once, pointing at the renamed host
// name, not before.
func TestProbeRFC6762Sec8_2ServiceWaitsForItsHostName(t *testing.T) {
	h := newHarness(t, Config{LazyHost: true})
	h.settle()
	id := h.publish(daap())
	for len(h.takeV4()) == 0 {
		h.advance(10 * time.Millisecond)
	}
	// A peer probing host.local. with a later address: it wins (§8.2);
	// then it defends the name.
	h.inject(peerSrc, probeFrom("host.local.", rr(t, "host.local. 120 IN A 10.0.0.250")))
	var established []string   // the host name at each Established/Renamed
	for i := 0; i < 500; i++ { // 5 s in 10 ms steps
		h.advance(10 * time.Millisecond)
		if i == 120 { // we probe again 1 s after losing; the peer defends
			h.inject(peerSrc, response(rr(t, "host.local. 120 IN A 10.0.0.250")))
		}
		for _, ev := range h.takeEvents() {
			if ev.Reg == id && (ev.Kind == EventEstablished || ev.Kind == EventRenamed) {
				established = append(established, h.e.HostName())
			}
		}
	}
	if len(established) != 1 || established[0] == "host" {
		t.Fatalf("the service was reported established with host names %v, want once, after the host name moved from \"host\"", established)
	}
}
