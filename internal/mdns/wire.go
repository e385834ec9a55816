package mdns

import (
	"net/netip"
	"time"

	"github.com/miekg/dns"
)

// outbox collects what one call to the engine will send on a link, so that
// everything falling due together goes out in as few packets as possible
// (RFC 6762 §6.4 aggregation, §8.1 probes of several names in one query).
type outbox struct {
	questions []dns.Question
	authority []dns.RR
	known     []dns.RR
	knownKeys map[string]bool

	answers    []dns.RR
	additional []dns.RR
	keys       map[string]bool // answers and additional records, deduplicated

	unicast []*unicastOut

	// oneShot questions go out from the ephemeral port (Config.OneShotFirst).
	oneShot []dns.Question
}

// unicastOut is one unicast reply: to a QU question (RFC 6762 §5.4) or a
// legacy unicast query (§6.7).
type unicastOut struct {
	dst        netip.AddrPort
	id         uint16
	questions  []dns.Question
	answers    []dns.RR
	additional []dns.RR
	keys       map[string]bool
}

func (o *outbox) addQuestion(q dns.Question) {
	for i, x := range o.questions {
		if x.Qtype == q.Qtype && classOf2(x.Qclass) == classOf2(q.Qclass) && lowerName(x.Name) == lowerName(q.Name) {
			// Ask once; a QM question wins over QU (the answer is multicast
			// for everyone).
			o.questions[i].Qclass &= q.Qclass | ^uint16(cacheFlushBit)
			return
		}
	}
	o.questions = append(o.questions, q)
}

func classOf2(c uint16) uint16 { return c &^ cacheFlushBit }

func (o *outbox) addAnswer(key string, rr dns.RR) {
	if o.keys == nil {
		o.keys = map[string]bool{}
	}
	if o.keys[key] {
		// Already going out: if it is in the additional section, leave it
		// there (one copy of a record per packet, RFC 6762 §6).
		return
	}
	o.keys[key] = true
	o.answers = append(o.answers, rr)
}

func (o *outbox) addAdditional(key string, rr dns.RR) {
	if o.keys == nil {
		o.keys = map[string]bool{}
	}
	if o.keys[key] {
		return
	}
	o.keys[key] = true
	o.additional = append(o.additional, rr)
}

func (o *outbox) unicastTo(dst netip.AddrPort, id uint16, legacy bool) *unicastOut {
	for _, u := range o.unicast {
		if u.dst == dst && (!legacy || u.id == id) {
			return u
		}
	}
	u := &unicastOut{dst: dst, id: id, keys: map[string]bool{}}
	o.unicast = append(o.unicast, u)
	return u
}

func (u *unicastOut) add(key string, rr dns.RR, additional bool) {
	if u.keys[key] {
		return
	}
	u.keys[key] = true
	if additional {
		u.additional = append(u.additional, rr)
	} else {
		u.answers = append(u.answers, rr)
	}
}

// flush turns every link's outbox into packets.
func (e *Engine) flush(now time.Time) {
	for _, l := range e.sortedLinks() {
		o := &l.out
		if len(o.answers)+len(o.additional) > 0 {
			extra := o.additional
			if len(o.answers) > 8 && !e.fits(o.answers) {
				// The answers alone need several packets: leave the
				// additional records out (RFC 6762 §6: they are optional),
				// rather than multiply the response.
				extra = nil
			}
			for _, m := range e.splitResponse(&dns.Msg{MsgHdr: dns.MsgHdr{Response: true, Authoritative: true}}, o.answers, extra) {
				e.sendMulticast(now, l, m)
				e.stats.MulticastResponsesSent++
			}
		}
		if len(o.questions) > 0 {
			for _, m := range e.splitQuery(o.questions, o.authority, o.known) {
				e.sendMulticast(now, l, m)
			}
		}
		if len(o.oneShot) > 0 {
			m := &dns.Msg{MsgHdr: dns.MsgHdr{Id: uint16(e.rand.Uint32()) | 1}, Question: o.oneShot, Compress: true}
			if b, err := m.Pack(); err == nil {
				e.rememberSent(now, b)
				for _, dst := range l.multicastDsts() {
					e.stats.PacketsOut++
					e.tx = append(e.tx, Packet{Link: l.ID, Dst: dst, OneShot: true, Data: b})
				}
			}
		}
		for _, u := range o.unicast {
			hdr := &dns.Msg{MsgHdr: dns.MsgHdr{Id: u.id, Response: true, Authoritative: true}, Question: u.questions}
			for _, m := range e.splitResponse(hdr, u.answers, u.additional) {
				e.send(l, u.dst, m)
				e.stats.UnicastResponsesSent++
			}
		}
		l.out = outbox{}
	}
}

func (e *Engine) sendMulticast(now time.Time, l *link, data []byte) {
	e.rememberSent(now, data)
	for _, dst := range l.multicastDsts() {
		e.send(l, dst, data)
	}
}

func (e *Engine) send(l *link, dst netip.AddrPort, data []byte) {
	e.stats.PacketsOut++
	e.tx = append(e.tx, Packet{Link: l.ID, Dst: dst, Data: data})
}

// fits reports whether records fit in one response packet.
func (e *Engine) fits(rrs []dns.RR) bool {
	m := &dns.Msg{MsgHdr: dns.MsgHdr{Response: true}, Compress: true, Answer: rrs}
	return m.Len() <= e.cfg.MaxPacket
}

// splitResponse packs a response, splitting the records over several
// messages when they do not fit in MaxPacket (RFC 6762 §17). Additional
// records go with the first message that has room.
func (e *Engine) splitResponse(hdr *dns.Msg, answers, additional []dns.RR) [][]byte {
	m := hdr.Copy()
	m.Compress = true
	m.Answer = answers
	m.Extra = additional
	b, err := m.Pack()
	if err == nil && len(b) <= e.cfg.MaxPacket {
		return [][]byte{b}
	}
	n := len(answers) + len(additional)
	if n <= 1 {
		if err != nil || len(answers) == 0 {
			// An additional record that does not fit is simply left out.
			return nil
		}
		// One record larger than MaxPacket: send it anyway, up to the
		// 9000-byte limit of §17.
		if len(b) <= 9000 {
			return [][]byte{b}
		}
		return nil
	}
	// Too big: cut the records (answers first, then additional) into
	// chunks sized from the average record length, each packed again (and
	// cut further should it still not fit).
	all := append(append([]dns.RR(nil), answers...), additional...)
	per := max(1, n*e.cfg.MaxPacket*9/(10*max(len(b), 1)))
	if per >= n {
		per = n / 2
	}
	var out [][]byte
	for lo := 0; lo < n; lo += per {
		hi := min(lo+per, n)
		var an, ad []dns.RR
		for i := lo; i < hi; i++ {
			if i < len(answers) {
				an = append(an, all[i])
			} else {
				ad = append(ad, all[i])
			}
		}
		out = append(out, e.splitResponse(hdr, an, ad)...)
	}
	return out
}

// splitQuery packs a query. Known answers that do not fit go into follow-up
// packets with the TC bit set on all but the last (RFC 6762 §7.2).
func (e *Engine) splitQuery(questions []dns.Question, authority, known []dns.RR) [][]byte {
	var out [][]byte
	first := true
	for {
		m := &dns.Msg{Compress: true}
		if first {
			m.Question = questions
			m.Ns = authority
		}
		// Fit as many known answers as possible.
		lo, hi := 0, len(known)
		fits := func(k int) ([]byte, bool) {
			m.Answer = known[:k]
			m.Truncated = k < len(known)
			b, err := m.Pack()
			return b, err == nil && len(b) <= e.cfg.MaxPacket
		}
		b, ok := fits(hi)
		if !ok {
			// Binary search for the largest prefix that fits.
			for lo < hi {
				mid := (lo + hi + 1) / 2
				if _, ok := fits(mid); ok {
					lo = mid
				} else {
					hi = mid - 1
				}
			}
			if lo == 0 && !first {
				lo = 1 // one oversized known answer: send it alone
			}
			b, _ = fits(lo)
		} else {
			lo = len(known)
		}
		if b != nil {
			out = append(out, b)
		}
		known = known[lo:]
		first = false
		if len(known) == 0 || len(out) > 64 {
			return out
		}
	}
}
