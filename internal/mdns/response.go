package mdns

import (
	"time"

	"github.com/miekg/dns"
)

// handleResponse processes a received response on link l: conflicts with our
// names (RFC 6762 §8.1, §9), distributed duplicate answer suppression
// (§7.4), then the cache.
func (e *Engine) handleResponse(now time.Time, l *link, p Packet, m *dns.Msg) {
	rrs := make([]keyedRR, 0, len(m.Answer)+len(m.Extra))
	for _, sec := range [][]dns.RR{m.Answer, m.Extra} {
		for _, rr := range sec {
			h := rr.Header()
			if h.Rrtype == dns.TypeOPT || classOf(rr) != dns.ClassINET {
				continue
			}
			rrs = append(rrs, keyedRR{rr: rr, key: recordKey(rr)})
		}
	}
	e.checkConflicts(now, l, rrs)
	multicast := !p.Dst.IsValid() || p.Dst.Addr().IsMulticast()
	for _, k := range rrs {
		if multicast {
			e.suppressDuplicate(now, l, k)
		}
		e.cache.add(now, l.ID, k)
	}
}

// suppressDuplicate drops an answer we were about to multicast when another
// host just multicast the same record with at least our TTL (RFC 6762 §7.4).
func (e *Engine) suppressDuplicate(now time.Time, l *link, k keyedRR) {
	p, ok := l.pend[k.key]
	if !ok || k.rr.Header().Ttl < p.rr.Header().Ttl {
		return
	}
	delete(l.pend, k.key)
	p.r.lastMcast = now
	e.stats.AnswersSuppressedDup++
}
