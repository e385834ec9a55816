package mdns

import (
	"time"

	"github.com/miekg/dns"
)

// Conflicts (RFC 6762 §8.1, §9): a response that claims one of our unique
// names with other data means someone else owns it. While probing, any
// record with the name counts; after announcing, a record of the same name,
// type and class with different data resets us to probing, so the owner's
// defence decides. Losing a probe renames: "Name (2)", "Name (3)"… for
// services, "host-2"… for host names. After 15 conflicts within 10 s the
// next probe waits 5 s (§8.1).

const (
	conflictWindow  = 10 * time.Second
	conflictLimit   = 15
	conflictBackoff = 5 * time.Second
)

// checkConflicts looks at the records of a received response for conflicts
// with our names on link l.
func (e *Engine) checkConflicts(now time.Time, l *link, rrs []keyedRR) {
	for _, k := range rrs {
		rr, key := k.rr, k.key
		h := rr.Header()
		if h.Ttl == 0 {
			continue // a goodbye claims nothing
		}
		recs := l.auth[lowerName(h.Name)]
		if len(recs) == 0 {
			continue
		}
		identical := false
		for _, r := range recs {
			if r.key == key {
				identical = true
				break
			}
		}
		if identical {
			continue
		}
		// The group that owns this name uniquely on the link, if any.
		var gl *groupLink
		sameType := false
		for _, r := range recs {
			if r.unique && r.lname == r.gl.g.lname {
				gl = r.gl
				if r.rr.Header().Rrtype == h.Rrtype && classOf(r.rr) == classOf(rr) {
					sameType = true
				}
			}
		}
		if gl == nil {
			continue
		}
		switch gl.state {
		case phaseProbing:
			// RFC 6762 §8.1: any record with the name we probe for, of any
			// type, once our first probe is out.
			if gl.probes > 0 {
				e.conflict(now, gl.g, l, rr)
			}
		case phaseAnnouncing, phaseEstablished:
			// RFC 6762 §9: same name, type and class, different data.
			if sameType {
				e.stats.Conflicts++
				e.cfg.Logger.Debug("mdns: conflicting record after announcing; probing again", "name", h.Name, "link", l.Name)
				for _, x := range gl.g.sortedLinks() {
					if x.state != phaseGoodbye {
						x.startProbing(now, e.randDur(0, 250*time.Millisecond))
					}
				}
			}
		}
	}
}

// conflict renames g after it lost its name and probes the new one on every
// link.
func (e *Engine) conflict(now time.Time, g *group, l *link, rr dns.RR) {
	if g.withdrawn {
		return
	}
	e.stats.Conflicts++
	old := g.label
	g.n++
	g.setLabel(g.nthLabel())
	e.stats.RenamesAfterConflict++
	e.cfg.Logger.Debug("mdns: name conflict; renaming", "old", old, "new", g.label, "link", l.Name, "record", rr.String())

	delay := e.randDur(0, 250*time.Millisecond)
	e.conflicts = append(e.conflicts, now)
	for len(e.conflicts) > 0 && now.Sub(e.conflicts[0]) > conflictWindow {
		e.conflicts = e.conflicts[1:]
	}
	if len(e.conflicts) >= conflictLimit {
		delay = conflictBackoff
		e.stats.ConflictBackoffs++
	}
	for _, gl := range g.sortedLinks() {
		gl.rebuild()
		gl.startProbing(now, delay)
	}
	if g.host {
		e.hostRenamed(now)
	}
}

// hostRenamed points every service's SRV record at the new host name and
// re-announces it where the service is already live.
func (e *Engine) hostRenamed(now time.Time) {
	for _, id := range e.sortedGroupIDs() {
		g := e.groups[id]
		if g.withdrawn {
			continue
		}
		for _, gl := range g.sortedLinks() {
			changed := gl.rebuild()
			if gl.state == phaseAnnouncing || gl.state == phaseEstablished {
				gl.startAnnouncing(now, changed)
			}
		}
	}
}

func (g *group) sortedLinks() []*groupLink {
	var out []*groupLink
	for _, l := range g.e.sortedLinks() {
		if gl := g.links[l.ID]; gl != nil {
			out = append(out, gl)
		}
	}
	return out
}
