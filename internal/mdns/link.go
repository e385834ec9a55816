package mdns

import (
	"net/netip"
	"time"
)

// link is the engine's state for one interface: the records it owns there,
// answers waiting to go out, truncated queries waiting for their known
// answers, and what the current call will transmit.
type link struct {
	Link
	e      *Engine
	v4, v6 bool

	// auth indexes the records owned on this link by lower-case name.
	auth map[string][]*rec

	// pending multicast answers (RFC 6762 §6), sent when pendTimer fires.
	pend      map[string]*pendAnswer
	pendTimer *timer

	// tc holds truncated queries waiting for known-answer continuations
	// (RFC 6762 §7.2), by source.
	tc map[netip.AddrPort]*tcAccum

	out outbox

	// local counts the reported owned records by key (local.go).
	local map[string]int

	// probeAt is when the first probe of the latest probing sequence to
	// start here goes out (probe.go, initialProbeDelay).
	probeAt time.Time
}

func newLink(e *Engine, nl Link) *link {
	l := &link{
		Link:  nl,
		e:     e,
		auth:  map[string][]*rec{},
		pend:  map[string]*pendAnswer{},
		tc:    map[netip.AddrPort]*tcAccum{},
		local: map[string]int{},
	}
	l.pendTimer = newTimer(l.firePending)
	l.refreshFamilies()
	return l
}

func (l *link) refreshFamilies() {
	l.v4, l.v6 = false, false
	for _, p := range l.Addrs {
		if p.Addr().Unmap().Is4() {
			l.v4 = true
		} else {
			l.v6 = true
		}
	}
}

func (l *link) close() {
	l.e.cancel(l.pendTimer)
	for _, t := range l.tc {
		l.e.cancel(t.t)
	}
	l.pend, l.tc = nil, nil
}

// hasAddr reports whether a is one of this link's own addresses.
func (l *link) hasAddr(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, p := range l.Addrs {
		if p.Addr().Unmap().WithZone("") == a {
			return true
		}
	}
	return false
}

// onLink reports whether a is a source on this link: link-local, or inside
// one of the link's prefixes (RFC 6762 §11).
func (l *link) onLink(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	if a.IsLinkLocalUnicast() {
		return true
	}
	for _, p := range l.Addrs {
		pp := netip.PrefixFrom(p.Addr().Unmap().WithZone(""), p.Bits())
		if pp.Contains(a) {
			return true
		}
	}
	return false
}

func (l *link) addRec(r *rec) {
	l.auth[r.lname] = append(l.auth[r.lname], r)
}

func (l *link) removeRec(r *rec) {
	list := l.auth[r.lname]
	for i, x := range list {
		if x == r {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(l.auth, r.lname)
	} else {
		l.auth[r.lname] = list
	}
	if l.pend != nil {
		if p, ok := l.pend[r.key]; ok && p.r == r {
			delete(l.pend, r.key)
		}
	}
}

// liveShared reports whether another live, answerable record on the link has
// the same key as r (e.g. the _services._dns-sd._udp PTR shared by two
// registrations of one type), so r's goodbye must not be sent.
func (l *link) liveShared(r *rec) bool {
	for _, x := range l.auth[r.lname] {
		if x != r && x.key == r.key && !x.gl.g.withdrawn && x.answerable() {
			return true
		}
	}
	return false
}

// multicastDsts returns the group addresses to multicast to on this link:
// one per address family the link has.
func (l *link) multicastDsts() []netip.AddrPort {
	var d []netip.AddrPort
	if l.v4 {
		d = append(d, GroupV4)
	}
	if l.v6 {
		d = append(d, GroupV6)
	}
	return d
}

// recentlyMulticast reports whether r was multicast on this link within d.
func (r *rec) recentlyMulticast(now time.Time, d time.Duration) bool {
	return !r.lastMcast.IsZero() && now.Sub(r.lastMcast) < d
}
