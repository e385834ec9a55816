package mdns

import (
	"time"

	"github.com/miekg/dns"
)

// Announcing (RFC 6762 §8.3): after probing, a registration multicasts all of
// its records in unsolicited responses, unique ones with the cache-flush bit;
// Config.Announcements of them, the first at once and then at intervals that
// double from one second. An update of a record's data (§8.4) re-announces
// just the changed records the same way. Goodbyes (§10.1) send the records
// with TTL 0.

const goodbyeInterval = 250 * time.Millisecond

// startAnnouncing starts an announcement series of set (nil: all records).
func (gl *groupLink) startAnnouncing(now time.Time, set []*rec) {
	if gl.state == phaseAnnouncing && gl.annSet == nil && gl.announces < gl.g.e.cfg.Announcements {
		// A series of all records is under way; it will carry the new data.
		return
	}
	if gl.state == phaseAnnouncing && set != nil && gl.annSet != nil {
		set = append(set, gl.annSet...)
	}
	gl.state = phaseAnnouncing
	gl.announces = 0
	gl.annSet = set
	gl.g.e.schedule(gl.t, now)
}

func (gl *groupLink) stepAnnounce(now time.Time) {
	e := gl.g.e
	set := gl.annSet
	if set == nil {
		set = gl.recs
	}
	for _, r := range set {
		gl.l.out.addAnswer(r.key, r.rr)
		r.lastMcast = now
		gl.l.localAdd(r)
	}
	if gl.annSet == nil && !gl.g.host {
		// The host's addresses (or its NSEC) ride along, so a browser can
		// resolve from the announcement alone (RFC 6763 §12).
		for _, r := range gl.recs {
			if srv, ok := r.rr.(*dns.SRV); ok {
				for _, x := range e.additionalFor(gl.l, r) {
					if x.lname == lowerName(srv.Target) {
						gl.l.out.addAdditional(x.key, x.rr)
					}
				}
			}
		}
	}
	gl.announces++
	e.stats.AnnouncementsSent++
	if gl.announces >= e.cfg.Announcements {
		gl.state = phaseEstablished
		gl.annSet = nil
		return
	}
	// Intervals 1 s, 2 s, 4 s…: each at least double the last (§8.3).
	e.schedule(gl.t, now.Add(time.Second<<(gl.announces-1)))
}

func (gl *groupLink) stepGoodbye(now time.Time) {
	e := gl.g.e
	for _, r := range gl.recs {
		if gl.l.liveShared(r) {
			continue // another registration still owns this shared record
		}
		gl.l.out.addAnswer(r.key, withTTL(r.rr, 0, false))
	}
	gl.goodbyes++
	e.stats.GoodbyesSent++
	if gl.goodbyes < e.cfg.Goodbyes {
		e.schedule(gl.t, now.Add(goodbyeInterval))
		return
	}
	g := gl.g
	gl.remove()
	g.checkWithdrawn()
}
