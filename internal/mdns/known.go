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
	known     []keyedRR
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
	acc.questions = append(acc.questions, m.Question...)
	acc.probe = acc.probe || len(m.Ns) > 0
	room := e.cfg.MaxKnownAnswers - len(acc.known)
	acc.known = append(acc.known, e.keyedKnown(m.Answer, room)...)
	return true
}

func (acc *tcAccum) fire(now time.Time) {
	l := acc.l
	if l.tc == nil || l.tc[acc.src] != acc {
		return
	}
	delete(l.tc, acc.src)
	// Duplicate question suppression and POOF are not applied to
	// multi-packet queries: if one continuation was lost here, the list
	// looks shorter than it was, and we would wrongly skip our own query or
	// expire records whose owner rightly stayed silent.
	l.e.respond(now, l, Packet{Link: l.ID, Src: acc.src}, acc.questions, acc.known, acc.probe, true)
}

// keyedKnown computes the record keys of a query's known answers once, for
// suppression (§7.1), duplicate question suppression (§7.3) and POOF
// (§10.5); past room of them the rest are dropped and counted.
func (e *Engine) keyedKnown(rrs []dns.RR, room int) []keyedRR {
	if len(rrs) > room {
		e.stats.KnownAnswersDropped += uint64(len(rrs) - max(room, 0))
		rrs = rrs[:max(room, 0)]
	}
	out := make([]keyedRR, len(rrs))
	for i, rr := range rrs {
		out[i] = keyedRR{rr: rr, key: recordKey(rr)}
	}
	return out
}
