package mdns

import (
	"slices"
	"time"

	"github.com/miekg/dns"
)

// Answering queries (RFC 6762 §6): every record we own on the link that
// matches a question, plus the additional records a DNS-SD client will want
// next (RFC 6763 §12). Answers made only of unique records go out at once;
// answers with shared records (PTR) wait a random 20–120 ms and are
// aggregated with other answers falling due then (§6.4); a truncated query
// waits 400–500 ms for its known answers (§7.2). A record is multicast at
// most once a second per link (§6), 250 ms when defending a probe. QU
// questions (§5.4) get a unicast reply for records multicast on the link
// within a quarter of their TTL. Unicast replies are sent at once.

const (
	sharedDelayMin = 20 * time.Millisecond
	sharedDelayMax = 120 * time.Millisecond
	tcDelayMin     = 400 * time.Millisecond
	tcDelayMax     = 500 * time.Millisecond
	rateLimit      = time.Second
	probeRateLimit = 250 * time.Millisecond
	// crossingWindow: a query for a record multicast less than this long
	// ago is taken as answered by that multicast (RFC 6762 §6: "a
	// legitimate querier on the network should have seen the previous
	// transmission").
	crossingWindow = 250 * time.Millisecond
)

// pendAnswer is a record waiting in a link's multicast response.
type pendAnswer struct {
	rr         dns.RR
	r          *rec
	due        time.Time
	additional bool
	seq        uint64
}

// answerSet gathers the answers to one query before they are routed.
type answerSet struct {
	e     *Engine
	l     *link
	known map[string]uint32 // known answers: key → TTL (RFC 6762 §7.1)
	items []answerItem
	seen  map[string]bool
}

type answerItem struct {
	r          *rec
	unicast    bool // QU and recently multicast (§5.4)
	additional bool
	question   int
}

func (a *answerSet) suppressed(r *rec) bool {
	ttl, ok := a.known[r.key]
	// RFC 6762 §7.1: the asker knows the record with at least half our TTL.
	if ok && ttl >= r.rr.Header().Ttl/2 {
		a.e.stats.AnswersSuppressedKnown++
		return true
	}
	return false
}

func (a *answerSet) add(r *rec, unicast, additional bool, qi int) {
	if additional && a.suppressed(r) {
		return
	}
	a.seen[r.key] = true
	a.items = append(a.items, answerItem{r: r, unicast: unicast, additional: additional, question: qi})
}

// collect finds our answers to the questions on link l.
func (e *Engine) collect(now time.Time, l *link, questions []dns.Question, known []keyedRR, allowUnicast bool) *answerSet {
	a := &answerSet{e: e, l: l, known: make(map[string]uint32, len(known)), seen: map[string]bool{}}
	for _, k := range known {
		a.known[k.key] = k.rr.Header().Ttl
	}
	for qi, q := range questions {
		cls := q.Qclass &^ cacheFlushBit
		if cls != dns.ClassINET && cls != dns.ClassANY {
			continue
		}
		qu := allowUnicast && q.Qclass&cacheFlushBit != 0
		lname := lowerName(q.Name)
		var matched []*rec
		var owner *groupLink
		for _, r := range l.auth[lname] {
			if !r.answerable() {
				continue
			}
			if r.unique && r.lname == r.gl.g.lname {
				owner = r.gl
			}
			if q.Qtype == dns.TypeANY || q.Qtype == r.rr.Header().Rrtype {
				matched = append(matched, r)
			}
		}
		if len(matched) == 0 && owner != nil && owner.nsec != nil && q.Qtype != dns.TypeANY {
			// RFC 6762 §6.1: we own the name but not this type: say so.
			matched = append(matched, owner.nsec)
		}
		for _, r := range matched {
			if a.seen[r.key] || a.suppressed(r) {
				continue
			}
			uni := qu && r.recentlyMulticast(now, r.ttl()/4)
			a.add(r, uni, false, qi)
			// Additional records follow their answer's route; none for an
			// answer the asker already knows.
			for _, x := range e.additionalFor(l, r) {
				if !a.seen[x.key] {
					a.add(x, uni, true, qi)
				}
			}
		}
	}
	return a
}

// additionalFor returns the additional records for an answer (RFC 6763 §12,
// RFC 6762 §6.2): PTR → the instance's SRV and TXT and the host's addresses;
// SRV → the host's addresses; an address → the host's other-family addresses,
// or an NSEC saying there are none.
func (e *Engine) additionalFor(l *link, r *rec) []*rec {
	var out []*rec
	addHost := func(target string) {
		recs := l.auth[lowerName(target)]
		var v4, v6 bool
		var nsec *rec
		for _, x := range recs {
			if !x.answerable() {
				continue
			}
			switch x.rr.Header().Rrtype {
			case dns.TypeA:
				v4 = true
				out = append(out, x)
			case dns.TypeAAAA:
				v6 = true
				out = append(out, x)
			}
			if x.unique && x.lname == x.gl.g.lname && x.gl.g.host {
				nsec = x.gl.nsec
			}
		}
		if nsec != nil && (!v4 || !v6) {
			out = append(out, nsec)
		}
	}
	switch rr := r.rr.(type) {
	case *dns.PTR:
		for _, x := range l.auth[lowerName(rr.Ptr)] {
			if !x.answerable() {
				continue
			}
			switch x.rr.Header().Rrtype {
			case dns.TypeSRV:
				out = append(out, x)
				addHost(x.rr.(*dns.SRV).Target)
			case dns.TypeTXT:
				out = append(out, x)
			}
		}
	case *dns.SRV:
		addHost(rr.Target)
	case *dns.A, *dns.AAAA:
		addHost(rr.Header().Name)
	}
	// The record itself may come back through addHost; drop it.
	return slices.DeleteFunc(out, func(x *rec) bool { return x == r })
}

// handleQuery processes a received query on link l.
func (e *Engine) handleQuery(now time.Time, l *link, p Packet, m *dns.Msg) {
	if p.Src.Port() != Port {
		e.answerLegacy(now, l, p, m)
		return
	}
	if e.continueTC(now, l, p, m) {
		return
	}
	known := e.keyedKnown(m.Answer, e.cfg.MaxKnownAnswers)
	e.observeQuery(now, l, p.Src.Addr(), m.Question, known)
	probe := len(m.Ns) > 0
	if probe {
		e.handleProbes(now, l, m)
	}
	if len(m.Question) == 0 {
		return
	}
	e.respond(now, l, p, m.Question, known, probe, false)
}

// handleProbes runs simultaneous-probe tie-breaking (RFC 6762 §8.2) for any
// question naming something we are probing.
func (e *Engine) handleProbes(now time.Time, l *link, m *dns.Msg) {
	for _, q := range m.Question {
		lname := lowerName(q.Name)
		var gl *groupLink
		for _, r := range l.auth[lname] {
			if r.gl.g.lname == lname && r.gl.state == phaseProbing && !r.gl.g.withdrawn {
				gl = r.gl
				break
			}
		}
		if gl == nil {
			continue
		}
		var theirs []dns.RR
		for _, rr := range m.Ns {
			if lowerName(rr.Header().Name) == lname {
				theirs = append(theirs, rr)
			}
		}
		if len(theirs) > 0 {
			gl.handleProbe(now, theirs)
		}
	}
}

// respond answers questions that arrived on link l from src with the given
// known answers; tcDone says the 400–500 ms wait of §7.2 is over.
func (e *Engine) respond(now time.Time, l *link, p Packet, questions []dns.Question, known []keyedRR, probe, tcDone bool) {
	a := e.collect(now, l, questions, known, true)
	if len(a.items) == 0 {
		return
	}
	// RFC 6762 §6: unique answers at once; shared answers after 20–120 ms.
	allUnique := true
	for _, it := range a.items {
		if !it.additional && !it.r.unique {
			allUnique = false
		}
	}
	delay := time.Duration(0)
	if !allUnique && !tcDone {
		delay = e.randDur(sharedDelayMin, sharedDelayMax)
		// §6.4: join a response already due within the window.
		if l.pendTimer.idx >= 0 {
			if d := l.pendTimer.at.Sub(now); d >= sharedDelayMin && d <= sharedDelayMax {
				delay = d
			}
		}
	}
	limit := rateLimit
	if probe {
		limit = probeRateLimit
	}
	var u *unicastOut
	for _, it := range a.items {
		r := it.r
		if it.unicast {
			if u == nil {
				u = l.out.unicastTo(p.Src, 0, false)
			}
			u.add(r.key, r.rr, it.additional)
			continue
		}
		due := now.Add(delay)
		if r.recentlyMulticast(now, limit) {
			if it.additional {
				continue // just sent; no need to repeat it as an extra
			}
			e.stats.MulticastRateLimited++
			if !probe && r.recentlyMulticast(now, crossingWindow) {
				// Sent a moment ago: this query crossed our answer on the
				// wire, or is the other address family's copy of a query
				// we just answered. The asker has (or will have) it.
				continue
			}
			due = r.lastMcast.Add(limit)
		}
		l.queueMulticast(r.key, r.rr, r, due, it.additional)
	}
	if len(l.pend) > 0 {
		e.scheduleEarlier(l.pendTimer, l.nextPendingDue())
	}
	// Anything due now goes out with this call's flush.
	if l.pendTimer.idx >= 0 && !l.pendTimer.at.After(now) {
		e.cancel(l.pendTimer)
		l.firePending(now)
	}
}

func (l *link) queueMulticast(key string, rr dns.RR, r *rec, due time.Time, additional bool) {
	if p, ok := l.pend[key]; ok {
		if due.Before(p.due) {
			p.due = due
		}
		if !additional {
			p.additional = false
		}
		return
	}
	l.e.pendSeq++
	l.pend[key] = &pendAnswer{rr: rr, r: r, due: due, additional: additional, seq: l.e.pendSeq}
}

func (l *link) nextPendingDue() time.Time {
	var t time.Time
	for _, p := range l.pend {
		if t.IsZero() || p.due.Before(t) {
			t = p.due
		}
	}
	return t
}

// firePending multicasts the answers due on the link: answers first, then
// additional records not already among them.
func (l *link) firePending(now time.Time) {
	var due []*pendAnswer
	for k, p := range l.pend {
		if !p.due.After(now) {
			due = append(due, p)
			delete(l.pend, k)
		}
	}
	slices.SortFunc(due, func(a, b *pendAnswer) int {
		if a.additional != b.additional {
			if a.additional {
				return 1
			}
			return -1
		}
		return int(a.seq - b.seq)
	})
	if len(due) > 0 && due[0].additional {
		// Every answer was suppressed (§7.4) or withdrawn: additional
		// records alone are of no use.
		due = nil
	}
	for _, p := range due {
		if !p.r.answerable() {
			continue
		}
		if p.additional {
			l.out.addAdditional(p.r.key, p.rr)
		} else {
			l.out.addAnswer(p.r.key, p.rr)
		}
		p.r.lastMcast = now
	}
	if len(l.pend) > 0 {
		l.e.schedule(l.pendTimer, l.nextPendingDue())
	}
}

// answerLegacy answers a query from a source port other than 5353 (RFC 6762
// §6.7): by unicast to that port at once, echoing the ID and question, TTLs
// at most 10 s, no cache-flush bits.
func (e *Engine) answerLegacy(now time.Time, l *link, p Packet, m *dns.Msg) {
	e.stats.LegacyUnicastQueries++
	if len(m.Question) == 0 {
		return
	}
	a := e.collect(now, l, m.Question, nil, false)
	if len(a.items) == 0 {
		return
	}
	u := l.out.unicastTo(p.Src, m.Id, true)
	u.questions = m.Question
	for _, it := range a.items {
		ttl := min(it.r.rr.Header().Ttl, 10)
		u.add(it.r.key, withTTL(it.r.rr, ttl, false), it.additional)
	}
}
