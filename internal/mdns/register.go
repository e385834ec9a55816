package mdns

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/rendezvous-mdns/rendezvous/internal/dnsname"
)

// phase is where a registration stands on one link.
type phase int

const (
	phaseProbing     phase = iota // waiting for or sending probes (RFC 6762 §8.1)
	phaseAnnouncing               // probing won; announcing (§8.3)
	phaseEstablished              // announced; answering and defending
	phaseGoodbye                  // withdrawn; sending goodbyes (§10.1)
)

// group is one registration: a service instance or the host name. Its
// unique name (instance or host) is probed on every link; all its records
// are answered for on a link once probing there succeeded.
type group struct {
	e    *Engine
	id   RegID
	host bool
	spec ServiceSpec

	base  string // the raw label the user asked for
	stem  string // base without a " (N)" suffix
	n     int    // rename counter: 1 is the base name
	label string // the raw label in use
	name  string // its FQDN, escaped (instance or host name)
	lname string

	links map[LinkID]*groupLink

	established  bool   // EventEstablished sent
	reported     string // label last reported in an event
	withdrawn    bool
	lastConflict time.Time
}

// groupLink is a group's state on one link.
type groupLink struct {
	g     *group
	l     *link
	state phase
	t     *timer

	probes    int
	announces int
	// annSet are the records the current announcement series sends; nil
	// means all of the group's records.
	annSet   []*rec
	goodbyes int

	recs []*rec
	nsec *rec // negative answer for types the unique name lacks (§6.1)
}

func (e *Engine) newHostGroup(label string) *group {
	g := &group{e: e, id: HostReg, host: true, base: label, stem: label, n: 1, links: map[LinkID]*groupLink{}}
	g.setLabel(label)
	return g
}

// Publish starts registering a service: it is probed on every link, renamed
// on conflict ("Name (2)"), then announced. EventEstablished reports the
// final name.
func (e *Engine) Publish(now time.Time, s ServiceSpec) (RegID, error) {
	if len(e.groups) >= e.cfg.MaxRegistrations {
		return 0, fmt.Errorf("%w: %d registrations", ErrTooMany, e.cfg.MaxRegistrations)
	}
	if s.Instance == "" || len(s.Instance) > dnsname.MaxLabel {
		return 0, fmt.Errorf("%w: instance name must be 1–63 bytes", ErrInvalid)
	}
	if s.Domain == "" {
		s.Domain = "local."
	}
	if !strings.HasSuffix(s.Domain, ".") {
		s.Domain += "."
	}
	if _, ok := dns.IsDomainName(s.Type + "." + s.Domain); !ok || !strings.HasPrefix(s.Type, "_") {
		return 0, fmt.Errorf("%w: service type %q", ErrInvalid, s.Type)
	}
	for _, st := range s.Subtypes {
		if st == "" || len(st) > dnsname.MaxLabel {
			return 0, fmt.Errorf("%w: subtype %q", ErrInvalid, st)
		}
	}
	if s.Host != "" {
		if _, ok := dns.IsDomainName(s.Host); !ok {
			return 0, fmt.Errorf("%w: host name %q", ErrInvalid, s.Host)
		}
		s.Host = dns.Fqdn(s.Host)
	}
	s.Subtypes = slices.Clone(s.Subtypes)
	s.TXT = slices.Clone(s.TXT)
	if !e.hostActive {
		// Config.LazyHost: the first service brings the host name.
		e.hostActive = true
		for _, l := range e.sortedLinks() {
			e.host.addLink(now, l)
		}
	}
	id := e.nextReg
	e.nextReg++
	g := &group{e: e, id: id, spec: s, base: s.Instance, n: 1, links: map[LinkID]*groupLink{}}
	g.stem, g.n = dnsname.SplitSuffix(s.Instance)
	g.setLabel(s.Instance)
	e.groups[id] = g
	for _, l := range e.sortedLinks() {
		g.addLink(now, l)
	}
	g.checkEstablished(now)
	e.flush(now)
	return id, nil
}

// UpdateTXT replaces a registration's TXT record and re-announces it; a
// change of rdata of a record already owned needs no new probe (RFC 6762 §8.4).
func (e *Engine) UpdateTXT(now time.Time, id RegID, txt []string) error {
	g := e.groups[id]
	if g == nil || g.withdrawn {
		return ErrUnknownRegistration
	}
	g.spec.TXT = slices.Clone(txt)
	for _, l := range e.sortedLinks() {
		if gl := g.links[l.ID]; gl != nil {
			changed := gl.rebuild()
			if gl.state == phaseAnnouncing || gl.state == phaseEstablished {
				gl.startAnnouncing(now, changed)
			}
		}
	}
	e.flush(now)
	return nil
}

// Withdraw ends a registration: records that were announced are sent with
// TTL 0 (RFC 6762 §10.1); EventWithdrawn follows the last goodbye.
func (e *Engine) Withdraw(now time.Time, id RegID) error {
	g := e.groups[id]
	if g == nil || g.withdrawn {
		return ErrUnknownRegistration
	}
	g.withdrawn = true
	for _, l := range e.sortedLinks() {
		gl := g.links[l.ID]
		if gl == nil {
			continue
		}
		for _, r := range gl.recs {
			l.localRemove(r)
		}
		if gl.state == phaseAnnouncing || gl.state == phaseEstablished {
			gl.state = phaseGoodbye
			gl.goodbyes = 0
			e.schedule(gl.t, now)
		} else {
			gl.remove()
		}
	}
	g.checkWithdrawn()
	e.runTimers(now)
	e.flush(now)
	return nil
}

// Pending reports whether the engine still has goodbyes to send; a driver
// shutting down keeps calling HandleTimeout until it is false.
func (e *Engine) Pending() bool {
	for _, g := range e.groups {
		if g.withdrawn {
			return true
		}
	}
	return false
}

// Name returns the raw label a registration currently uses.
func (e *Engine) Name(id RegID) (string, bool) {
	if id == HostReg {
		return e.host.label, true
	}
	g := e.groups[id]
	if g == nil {
		return "", false
	}
	return g.label, true
}

// sortedLinks returns the links in ID order (kept up to date by
// SetLinks), so that everything the engine does is in a deterministic
// order. Callers must not modify the slice.
func (e *Engine) sortedLinks() []*link { return e.linkOrder }

func (e *Engine) reorderLinks() {
	e.linkOrder = e.linkOrder[:0]
	for _, l := range e.links {
		e.linkOrder = append(e.linkOrder, l)
	}
	slices.SortFunc(e.linkOrder, func(a, b *link) int { return int(a.ID) - int(b.ID) })
}

// nthLabel is the label after n-1 renames: "Name (n)" for services, "host-n"
// for host names (RFC 6762 §9).
func (g *group) nthLabel() string { return dnsname.NthLabel(g.stem, g.n, g.host) }

func (g *group) setLabel(label string) {
	g.label = label
	if g.host {
		g.name = dnsname.EscapeLabel(label) + ".local."
	} else {
		g.name = dnsname.EscapeLabel(label) + "." + g.spec.Type + "." + g.spec.Domain
	}
	g.lname = dnsname.Lower(g.name)
}

func (g *group) addLink(now time.Time, l *link) {
	gl := &groupLink{g: g, l: l}
	gl.t = newTimer(gl.step)
	g.links[l.ID] = gl
	gl.rebuild()
	gl.startProbing(now, l.initialProbeDelay(now))
}

func (g *group) removeLink(l *link) {
	if gl := g.links[l.ID]; gl != nil {
		gl.remove()
	}
	g.checkWithdrawn()
}

// addrsChanged handles a change of a link's addresses for the host group:
// goodbyes for addresses that went away, then the host name is probed and
// announced again there with the new set.
func (g *group) addrsChanged(now time.Time, l *link) {
	gl := g.links[l.ID]
	if gl == nil {
		return
	}
	old := gl.recs
	wasLive := gl.state == phaseAnnouncing || gl.state == phaseEstablished
	gl.rebuild()
	if wasLive {
		keep := map[string]bool{}
		for _, r := range gl.recs {
			keep[r.key] = true
		}
		for _, r := range old {
			if !keep[r.key] {
				l.out.addAnswer(r.key, withTTL(r.rr, 0, false))
				g.e.stats.GoodbyesSent++
			}
		}
	}
	gl.startProbing(now, gl.l.initialProbeDelay(now))
}

func (gl *groupLink) remove() {
	gl.g.e.cancel(gl.t)
	for _, r := range gl.recs {
		gl.l.localRemove(r)
		gl.l.removeRec(r)
	}
	gl.recs = nil
	delete(gl.g.links, gl.l.ID)
}

func (g *group) checkWithdrawn() {
	if !g.withdrawn || len(g.links) > 0 {
		return
	}
	if _, ok := g.e.groups[g.id]; ok {
		delete(g.e.groups, g.id)
		g.e.emit(Event{Kind: EventWithdrawn, Reg: g.id, Name: g.label})
	}
}

// checkEstablished reports the registration once no link is probing, for
// a service also not the host name its SRV record points to: a service is
// not established on a host name that may yet be lost (RFC 6762 §8.2).
func (g *group) checkEstablished(now time.Time) {
	if g.withdrawn {
		return
	}
	if g.host {
		defer func() {
			for _, id := range g.e.sortedGroupIDs() {
				if sg := g.e.groups[id]; !sg.host && sg.spec.Host == "" {
					sg.checkEstablished(now)
				}
			}
		}()
	}
	for id, gl := range g.links {
		if gl.state == phaseProbing {
			return
		}
		if !g.host && g.spec.Host == "" {
			if hl := g.e.host.links[id]; hl != nil && hl.state == phaseProbing {
				return
			}
		}
	}
	switch {
	case !g.established:
		g.established = true
		g.reported = g.label
		g.e.stats.RegistrationsEstablished++
		g.e.emit(Event{Kind: EventEstablished, Reg: g.id, Name: g.label})
	case g.reported != g.label:
		g.reported = g.label
		g.e.emit(Event{Kind: EventRenamed, Reg: g.id, Name: g.label})
	}
}

// rebuild recomputes the group's records on its link and returns those that
// are new or changed.
func (gl *groupLink) rebuild() []*rec {
	var fresh []*rec
	if gl.g.host {
		fresh = gl.hostRecords()
	} else {
		fresh = gl.serviceRecords()
	}
	oldKeys := map[string]*rec{}
	for _, r := range gl.recs {
		oldKeys[r.key] = r
		gl.l.removeRec(r)
	}
	var changed []*rec
	for _, r := range fresh {
		if o, ok := oldKeys[r.key]; ok {
			r.lastMcast = o.lastMcast
			r.reported = o.reported
			delete(oldKeys, r.key)
		} else {
			changed = append(changed, r)
		}
		gl.l.addRec(r)
	}
	// Local results (local.go): a changed unique record of the same name and
	// type is an update; the rest of what went away is removed.
	live := gl.state == phaseAnnouncing || gl.state == phaseEstablished
	for _, o := range gl.recs {
		if _, gone := oldKeys[o.key]; !gone || !o.reported {
			continue
		}
		var succ *rec
		for _, r := range changed {
			if live && r.unique && !r.reported && r.lname == o.lname && r.rr.Header().Rrtype == o.rr.Header().Rrtype {
				succ = r
				break
			}
		}
		if succ != nil {
			gl.l.localReplace(o, succ)
		} else {
			gl.l.localRemove(o)
		}
	}
	gl.recs = fresh
	gl.nsec = gl.buildNSEC()
	return changed
}

func (gl *groupLink) hostRecords() []*rec {
	e := gl.g.e
	ttl := secs(e.cfg.HostTTL)
	var out []*rec
	for _, p := range gl.l.Addrs {
		a := p.Addr().WithZone("")
		hdr := dns.RR_Header{Name: gl.g.name, Class: dns.ClassINET, Ttl: ttl}
		var rr dns.RR
		if a.Unmap().Is4() {
			a = a.Unmap()
			hdr.Rrtype = dns.TypeA
			rr = &dns.A{Hdr: hdr, A: a.AsSlice()}
		} else {
			hdr.Rrtype = dns.TypeAAAA
			rr = &dns.AAAA{Hdr: hdr, AAAA: a.AsSlice()}
		}
		out = append(out, newRec(gl, rr, true, true))
	}
	if !e.cfg.PublishReverse {
		return out
	}
	for _, p := range gl.l.Addrs {
		rev, err := dns.ReverseAddr(p.Addr().Unmap().WithZone("").String())
		if err != nil {
			continue
		}
		rr := &dns.PTR{Hdr: dns.RR_Header{Name: rev, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: ttl}, Ptr: gl.g.name}
		out = append(out, newRec(gl, rr, true, false))
	}
	return out
}

func (gl *groupLink) serviceRecords() []*rec {
	g := gl.g
	e := g.e
	s := g.spec
	ttl := secs(e.cfg.TTL)
	hostTTL := secs(e.cfg.HostTTL)
	typeName := s.Type + "." + s.Domain
	ptr := func(name, target string) dns.RR {
		return &dns.PTR{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: ttl}, Ptr: target}
	}
	out := []*rec{
		newRec(gl, ptr(typeName, g.name), false, false),
		// RFC 6763 §9: service type enumeration.
		newRec(gl, ptr("_services._dns-sd._udp."+s.Domain, typeName), false, false),
	}
	for _, st := range s.Subtypes {
		// RFC 6763 §7.1: subtype PTRs.
		out = append(out, newRec(gl, ptr(dnsname.EscapeLabel(st)+"._sub."+typeName, g.name), false, false))
	}
	target := e.host.name
	if s.Host != "" {
		target = s.Host
	}
	srv := &dns.SRV{Hdr: dns.RR_Header{Name: g.name, Rrtype: dns.TypeSRV, Class: dns.ClassINET, Ttl: hostTTL},
		Port: s.Port, Target: target}
	txt := s.TXT
	if len(txt) == 0 {
		txt = []string{""} // RFC 6763 §6.1: one empty string
	}
	t := &dns.TXT{Hdr: dns.RR_Header{Name: g.name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: ttl}, Txt: txt}
	out = append(out, newRec(gl, srv, true, true), newRec(gl, t, true, true))
	return out
}

// buildNSEC returns the NSEC record listing the types the group's unique
// name has on this link (RFC 6762 §6.1), used for negative answers.
func (gl *groupLink) buildNSEC() *rec {
	var types []uint16
	for _, r := range gl.recs {
		if r.lname == gl.g.lname && !slices.Contains(types, r.rr.Header().Rrtype) {
			types = append(types, r.rr.Header().Rrtype)
		}
	}
	if len(types) == 0 {
		return nil
	}
	slices.Sort(types)
	ttl := secs(gl.g.e.cfg.HostTTL)
	if !gl.g.host {
		ttl = secs(gl.g.e.cfg.TTL)
	}
	nsec := &dns.NSEC{Hdr: dns.RR_Header{Name: gl.g.name, Rrtype: dns.TypeNSEC, Class: dns.ClassINET, Ttl: ttl},
		NextDomain: gl.g.name, TypeBitMap: types}
	r := newRec(gl, nsec, true, false)
	return r
}

// hostAddrRecs returns the host's answerable address records on link l of
// the given type (A or AAAA), for additional records (RFC 6763 §12).
func (e *Engine) hostAddrRecs(l *link, target string, t uint16) []*rec {
	var out []*rec
	for _, r := range l.auth[dnsname.Lower(target)] {
		if r.rr.Header().Rrtype == t && r.answerable() {
			out = append(out, r)
		}
	}
	return out
}

// netipFromRR returns the address of an A or AAAA record.
func netipFromRR(rr dns.RR) (netip.Addr, bool) {
	switch v := rr.(type) {
	case *dns.A:
		a, ok := netip.AddrFromSlice(v.A.To4())
		return a, ok
	case *dns.AAAA:
		a, ok := netip.AddrFromSlice(v.AAAA.To16())
		return a, ok
	}
	return netip.Addr{}, false
}
