package mdns

import (
	"net/netip"
	"time"

	"github.com/miekg/dns"
)

// Known answers (RFC 6762 §7.1, §7.2). A query lists the answers the asker
// already holds; we leave out any it holds with at least half our TTL. When
// the list does not fit in one packet the asker sets TC and sends the rest
// in follow-up packets; we then wait 400–500 ms, gathering them by source,
// before answering.

// tcAccum is a truncated query waiting for its known-answer continuations.
type tcAccum struct {
	l         *link
	src       netip.AddrPort
	questions []dns.Question
	known     []dns.RR
	probe     bool
	t         *timer
}

// continueTC handles a packet from a source with a truncated query in
// progress, or a new truncated query; it reports whether the packet was
// taken.
func (e *Engine) continueTC(now time.Time, l *link, p Packet, m *dns.Msg) bool {
	acc := l.tc[p.Src]
	if acc == nil && !m.Truncated {
		return false
	}
	if acc == nil {
		if len(m.Question) == 0 {
			return true // a continuation whose start we never saw
		}
		if len(l.tc) >= e.cfg.MaxTCPending {
			e.stats.TCPendingDropped++
			// Too many pending: answer this one without waiting.
			return false
		}
		acc = &tcAccum{l: l, src: p.Src}
		acc.t = newTimer(acc.fire)
		l.tc[p.Src] = acc
		e.schedule(acc.t, now.Add(e.randDur(tcDelayMin, tcDelayMax)))
	}
	e.observeQuery(now, l, m)
	acc.questions = append(acc.questions, m.Question...)
	acc.probe = acc.probe || len(m.Ns) > 0
	for _, rr := range m.Answer {
		if len(acc.known) >= e.cfg.MaxKnownAnswers {
			e.stats.KnownAnswersDropped++
			continue
		}
		acc.known = append(acc.known, rr)
	}
	return true
}

func (acc *tcAccum) fire(now time.Time) {
	l := acc.l
	if l.tc == nil || l.tc[acc.src] != acc {
		return
	}
	delete(l.tc, acc.src)
	l.e.respond(now, l, Packet{Link: l.ID, Src: acc.src}, acc.questions, acc.known, acc.probe, true)
}
