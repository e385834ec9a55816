package sim

import (
	"container/heap"
	"fmt"
	"hash"
	"hash/fnv"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/rendezvous-mdns/rendezvous/internal/dnsname"
	"github.com/rendezvous-mdns/rendezvous/internal/mdns"
)

// Result is what a run produced.
type Result struct {
	Seed uint64
	// FinalNames are the names the service plans ended with ("" if never
	// established).
	FinalNames []string
	// Established is when each service plan was last established or
	// renamed (virtual time since the start).
	Established []time.Duration
	// Seen is, per browser plan, the instance FQDNs it showed at the end of
	// the settle period.
	Seen [][]string
	// FastPairs counts (browser, live service) pairs where the browser showed
	// the service within FastWindow, out of Pairs.
	FastPairs, Pairs int
	// RemovedWithin counts (withdrawn service, browser) pairs removed within
	// GoodbyeWindow, out of WithdrawPairs.
	RemovedWithin, WithdrawPairs int
	// Packets and Bytes transmitted by all hosts.
	Packets, Bytes int
	// End is the virtual time the run ended.
	End        time.Duration
	Violations []string
	Trace      []string
	// TraceHash fingerprints every delivery and event, for determinism tests.
	TraceHash uint64
}

// Failed reports whether an invariant broke.
func (r *Result) Failed() bool { return len(r.Violations) > 0 }

// Sim is one run in progress.
type Sim struct {
	sc    Scenario
	seed  uint64
	lan   *lan
	hosts []*host
	queue eventQueue
	seq   uint64
	now   time.Duration
	epoch time.Time
	res   *Result
	hash  hash.Hash64

	withdrawnAt map[int]time.Duration       // service plan → when withdrawn
	firstSeen   map[[2]string]time.Duration // (browser plan, instance) → first Added
	browseStart map[int]time.Duration
	removedAt   map[[2]int]time.Duration
}

// Run runs a scenario with a seed.
func Run(sc Scenario, seed uint64) (res *Result) {
	if sc.Settle == 0 {
		sc.Settle = DefaultSettle
	}
	s := &Sim{hash: fnv.New64a(), sc: sc, seed: seed, lan: newLAN(&sc, seed), epoch: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		res:         &Result{Seed: seed, FinalNames: make([]string, len(sc.Services)), Established: make([]time.Duration, len(sc.Services)), Seen: make([][]string, len(sc.Browsers))},
		withdrawnAt: map[int]time.Duration{}, removedAt: map[[2]int]time.Duration{},
		firstSeen: map[[2]string]time.Duration{}, browseStart: map[int]time.Duration{}}
	defer func() {
		if r := recover(); r != nil {
			res = s.res
			res.Violations = append(res.Violations, fmt.Sprintf("engine panic at %v: %v", s.now, r))
		}
		res.TraceHash = s.hash.Sum64()
		for i := range res.Violations {
			res.Violations[i] = fmt.Sprintf("seed %d: %s (replay: go test ./internal/sim -run <test> -seed %d)", seed, res.Violations[i], seed)
		}
	}()
	for i := 0; i < sc.Hosts; i++ {
		s.hosts = append(s.hosts, newHost(s, i, seed))
	}
	for _, h := range s.hosts {
		h.e.SetLinks(s.epoch, []mdns.Link{h.link})
		h.after()
	}
	s.script()
	lastChange := s.lastScripted()
	for i, sp := range sc.Services {
		if sp.WithdrawAt > 0 && sp.WithdrawAt <= lastChange+sc.Settle {
			s.res.Violations = append(s.res.Violations, fmt.Sprintf("scenario: service %d is withdrawn at %v, before the convergence check at %v", i, sp.WithdrawAt, lastChange+sc.Settle))
			return s.res
		}
	}
	// Phase 1: run until everything settled and check names and browsers.
	s.runUntil(lastChange + sc.Settle)
	s.checkNames()
	s.checkBrowsers()
	// Phase 2: withdrawals. Run past every withdrawn record's TTL.
	var lastWithdraw time.Duration
	for _, sp := range sc.Services {
		lastWithdraw = max(lastWithdraw, sp.WithdrawAt)
	}
	if lastWithdraw > 0 {
		// RFC 6762 §10: PTRs live 4500 s; a browser that missed both
		// goodbyes drops the record by then (refresh queries at 80–95 %
		// go unanswered).
		s.runUntil(lastWithdraw + 4600*time.Second)
		s.checkWithdrawals()
	}
	s.res.End = s.now
	return s.res
}

func (s *Sim) trace(format string, args ...any) {
	line := fmt.Sprintf("%10.3fs ", s.now.Seconds()) + fmt.Sprintf(format, args...)
	s.hash.Write([]byte(line))
	if s.sc.Trace && (s.sc.TraceFilter == nil || s.sc.TraceFilter(line)) {
		s.res.Trace = append(s.res.Trace, line)
	}
}

// script queues the scenario's actions.
func (s *Sim) script() {
	for i, sp := range s.sc.Services {
		i, sp := i, sp
		s.push(&event{at: sp.At, kind: evAction, fn: func() {
			h := s.hosts[sp.Host]
			id, err := h.e.Publish(s.clock(), mdns.ServiceSpec{Instance: sp.Name, Type: sp.Type, Port: max(sp.Port, 1)})
			if err != nil {
				s.res.Violations = append(s.res.Violations, fmt.Sprintf("publish %q on host %d: %v", sp.Name, sp.Host, err))
				return
			}
			h.regs[id] = i
			s.trace("host%d publish %q", sp.Host, sp.Name)
			h.after()
		}})
		if sp.WithdrawAt > 0 {
			s.push(&event{at: sp.WithdrawAt, kind: evAction, fn: func() {
				h := s.hosts[sp.Host]
				for id, idx := range h.regs {
					if idx == i {
						_ = h.e.Withdraw(s.clock(), id)
						s.withdrawnAt[i] = s.now
						s.trace("host%d withdraw %q", sp.Host, s.res.FinalNames[i])
					}
				}
				h.after()
			}})
		}
	}
	for i, bp := range s.sc.Browsers {
		i, bp := i, bp
		s.push(&event{at: bp.At, kind: evAction, fn: func() {
			h := s.hosts[bp.Host]
			id, err := h.e.StartQuery(s.clock(), mdns.Question{Name: bp.Type + ".local.", Type: dns.TypePTR})
			if err != nil {
				s.res.Violations = append(s.res.Violations, fmt.Sprintf("browse on host %d: %v", bp.Host, err))
				return
			}
			h.browsers[id] = &browser{plan: i, typ: bp.Type, present: map[string]bool{}}
			s.browseStart[i] = s.now
			h.after()
		}})
	}
	for _, f := range s.sc.Flaps {
		f := f
		s.push(&event{at: f.At, kind: evAction, fn: func() {
			h := s.hosts[f.Host]
			h.up = false
			h.e.SetLinks(s.clock(), nil)
			s.trace("host%d link down", f.Host)
			h.after()
		}})
		s.push(&event{at: f.At + f.Down, kind: evAction, fn: func() {
			h := s.hosts[f.Host]
			h.up = true
			h.e.SetLinks(s.clock(), []mdns.Link{h.link})
			s.trace("host%d link up", f.Host)
			h.after()
		}})
	}
	for _, p := range s.sc.Partitions {
		p := p
		s.push(&event{at: p.From, kind: evAction, fn: func() { s.hosts[p.Host].cutOff = true; s.trace("host%d partitioned", p.Host) }})
		s.push(&event{at: p.To, kind: evAction, fn: func() { s.hosts[p.Host].cutOff = false; s.trace("host%d rejoined", p.Host) }})
	}
}

// lastScripted is the time of the last registration-affecting action
// before withdrawals start.
func (s *Sim) lastScripted() time.Duration {
	var t time.Duration
	for _, sp := range s.sc.Services {
		t = max(t, sp.At)
	}
	for _, f := range s.sc.Flaps {
		t = max(t, f.At+f.Down)
	}
	for _, p := range s.sc.Partitions {
		t = max(t, p.To)
	}
	for _, b := range s.sc.Browsers {
		t = max(t, b.At)
	}
	return t
}

func (s *Sim) clock() time.Time { return s.epoch.Add(s.now) }

// runUntil processes events up to and including time end. Withdrawals
// scheduled later wait for the next call.
func (s *Sim) runUntil(end time.Duration) {
	for len(s.queue) > 0 && s.queue[0].at <= end {
		e := heap.Pop(&s.queue).(*event)
		s.now = e.at
		switch e.kind {
		case evAction:
			e.fn()
		case evTimeout:
			h := s.hosts[e.host]
			if !h.armed || h.nextAt != e.at {
				continue // superseded
			}
			h.armed = false
			h.e.HandleTimeout(s.clock())
			h.after()
		case evDeliver:
			h := s.hosts[e.host]
			if !h.up || h.cutOff {
				continue
			}
			if s.sc.Trace {
				s.trace("host%d ← %s %s", h.i, e.pkt.Src, summary(e.pkt.Data))
			}
			h.e.HandlePacket(s.clock(), e.pkt)
			h.after()
		}
	}
	s.now = max(s.now, end)
}

// transmit turns one packet from h into deliveries.
func (s *Sim) transmit(h *host, p mdns.Packet) {
	s.res.Packets++
	s.res.Bytes += len(p.Data)
	if s.sc.Trace {
		s.trace("host%d → %s %d bytes %s", h.i, p.Dst, len(p.Data), summary(p.Data))
	} else {
		s.trace("host%d → %s %d bytes %x", h.i, p.Dst, len(p.Data), fnvSum(p.Data))
	}
	if !h.up || h.cutOff {
		return
	}
	src, ok := srcFor(h, p.Dst.Addr())
	if !ok {
		return
	}
	srcPort := uint16(mdns.Port)
	if p.OneShot {
		srcPort = 49152
	}
	for _, to := range s.hosts {
		if !to.up || to.cutOff {
			continue
		}
		if !p.Dst.Addr().IsMulticast() && !slices.ContainsFunc(to.link.Addrs, func(a netip.Prefix) bool { return a.Addr() == p.Dst.Addr() }) {
			continue
		}
		if p.Dst.Addr().IsMulticast() && !hasFamily(to, p.Dst.Addr()) {
			continue
		}
		for _, d := range s.lan.fates(to == h) {
			s.push(&event{at: s.now + d, host: to.i, kind: evDeliver,
				pkt: mdns.Packet{Link: 1, Src: netip.AddrPortFrom(src, srcPort), Dst: p.Dst, HopLimit: 255, Data: p.Data}})
		}
	}
}

func srcFor(h *host, dst netip.Addr) (netip.Addr, bool) {
	for _, a := range h.link.Addrs {
		if a.Addr().Is4() == dst.Is4() {
			return a.Addr(), true
		}
	}
	return netip.Addr{}, false
}

func hasFamily(h *host, dst netip.Addr) bool {
	_, ok := srcFor(h, dst)
	return ok
}

func fnvSum(b []byte) uint32 {
	h := fnv.New32a()
	h.Write(b)
	return h.Sum32()
}

func (s *Sim) onEvent(h *host, ev mdns.Event) {
	switch ev.Kind {
	case mdns.EventEstablished, mdns.EventRenamed:
		if idx, ok := h.regs[ev.Reg]; ok {
			s.res.FinalNames[idx] = ev.Name
			s.res.Established[idx] = s.now
			s.trace("host%d %s %q", h.i, ev.Kind, ev.Name)
		}
	case mdns.EventAdded, mdns.EventRemoved, mdns.EventUpdated:
		b := h.browsers[ev.Query]
		if b == nil {
			return
		}
		name := h.ptrTarget(ev)
		if ev.Kind == mdns.EventRemoved {
			delete(b.present, name)
			for idx, at := range s.withdrawnAt {
				if s.instanceName(idx) == name {
					if _, seen := s.removedAt[[2]int{idx, b.plan}]; !seen {
						s.removedAt[[2]int{idx, b.plan}] = s.now - at
					}
				}
			}
		} else {
			b.present[name] = true
			k := [2]string{fmt.Sprint(b.plan), name}
			if _, ok := s.firstSeen[k]; !ok {
				s.firstSeen[k] = s.now
			}
		}
		s.trace("host%d browse %s %s", h.i, ev.Kind, name)
	}
}

// instanceName is the lower-case FQDN service plan idx ended up with.
func (s *Sim) instanceName(idx int) string {
	sp := s.sc.Services[idx]
	return dnsname.Lower(dnsname.EscapeLabel(s.res.FinalNames[idx]) + "." + sp.Type + ".local.")
}

// checkNames: every established instance name (per type) is held by one
// service, every host name is unique, and every service got established.
func (s *Sim) checkNames() {
	owners := map[string][]int{}
	for i := range s.sc.Services {
		if s.res.FinalNames[i] == "" {
			s.res.Violations = append(s.res.Violations, fmt.Sprintf("service %d (%q on host %d) never established", i, s.sc.Services[i].Name, s.sc.Services[i].Host))
			continue
		}
		n := s.instanceName(i)
		owners[n] = append(owners[n], i)
	}
	for _, n := range sortedKeys(owners) {
		if len(owners[n]) > 1 {
			s.res.Violations = append(s.res.Violations, fmt.Sprintf("name %s held by services %v", n, owners[n]))
		}
	}
	hostNames := map[string]int{}
	for _, h := range s.hosts {
		n := strings.ToLower(h.e.HostName())
		if j, dup := hostNames[n]; dup {
			s.res.Violations = append(s.res.Violations, fmt.Sprintf("host name %s used by hosts %d and %d", n, j, h.i))
		}
		hostNames[n] = h.i
	}
}

// truth returns the live instance FQDNs of a type.
func (s *Sim) truth(typ string) map[string]bool {
	out := map[string]bool{}
	for i, sp := range s.sc.Services {
		if sp.Type != typ || s.res.FinalNames[i] == "" {
			continue
		}
		if _, gone := s.withdrawnAt[i]; gone {
			continue
		}
		out[s.instanceName(i)] = true
	}
	return out
}

// checkBrowsers: every browser shows exactly the live instances of its type.
func (s *Sim) checkBrowsers() {
	for _, h := range s.hosts {
		for _, b := range h.browsers {
			want := s.truth(b.typ)
			var seen []string
			for n := range b.present {
				seen = append(seen, n)
			}
			sort.Strings(seen)
			s.res.Seen[b.plan] = seen
			for idx, sp := range s.sc.Services {
				if sp.Type != b.typ || !want[s.instanceName(idx)] {
					continue
				}
				s.res.Pairs++
				from := max(s.res.Established[idx], s.browseStart[b.plan])
				if at, ok := s.firstSeen[[2]string{fmt.Sprint(b.plan), s.instanceName(idx)}]; ok && at-from <= FastWindow {
					s.res.FastPairs++
				}
			}
			for _, n := range sortedKeys(want) {
				if !b.present[n] {
					s.res.Violations = append(s.res.Violations, fmt.Sprintf("browser %d on host %d lacks %s %v after the last change", b.plan, h.i, n, s.sc.Settle))
				}
			}
			for _, n := range seen {
				if !want[n] {
					s.res.Violations = append(s.res.Violations, fmt.Sprintf("browser %d on host %d shows %s, which is not live", b.plan, h.i, n))
				}
			}
		}
	}
}

// checkWithdrawals: withdrawn services are gone from every browser (by
// their TTL at the latest), and count how many went within GoodbyeWindow.
func (s *Sim) checkWithdrawals() {
	for _, idx := range sortedKeys(s.withdrawnAt) {
		sp := s.sc.Services[idx]
		name := s.instanceName(idx)
		for _, h := range s.hosts {
			for _, b := range h.browsers {
				if b.typ != sp.Type {
					continue
				}
				s.res.WithdrawPairs++
				if b.present[name] {
					s.res.Violations = append(s.res.Violations, fmt.Sprintf("browser %d on host %d still shows withdrawn %s after its TTL", b.plan, h.i, name))
					continue
				}
				if d, ok := s.removedAt[[2]int{idx, b.plan}]; ok && d <= GoodbyeWindow {
					s.res.RemovedWithin++
				}
			}
		}
	}
}

func sortedKeys[K interface{ ~int | ~string }, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// summary describes a packet in one line for traces.
func summary(b []byte) string {
	var m dns.Msg
	if err := m.Unpack(b); err != nil {
		return "malformed"
	}
	var parts []string
	if m.Response {
		parts = append(parts, "response")
	} else {
		parts = append(parts, "query")
	}
	if m.Truncated {
		parts = append(parts, "TC")
	}
	for _, q := range m.Question {
		qu := ""
		if q.Qclass&0x8000 != 0 {
			qu = "(QU)"
		}
		parts = append(parts, "Q:"+q.Name+"/"+dns.TypeToString[q.Qtype]+qu)
	}
	for _, rr := range m.Answer {
		parts = append(parts, fmt.Sprintf("AN:%s/%s/%d", rr.Header().Name, dns.TypeToString[rr.Header().Rrtype], rr.Header().Ttl))
		if p, ok := rr.(*dns.PTR); ok {
			parts[len(parts)-1] += "→" + p.Ptr
		}
	}
	if len(m.Ns) > 0 {
		parts = append(parts, fmt.Sprintf("NS:%d", len(m.Ns)))
	}
	if len(m.Extra) > 0 {
		parts = append(parts, fmt.Sprintf("AR:%d", len(m.Extra)))
	}
	return strings.Join(parts, " ")
}
