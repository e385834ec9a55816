// Package mdns is the sans-IO Multicast DNS (RFC 6762) and DNS-SD
// (RFC 6763) protocol engine of rendezvous.
//
// An Engine is a value you call with the current time: packets and timeouts
// go in (HandlePacket, HandleTimeout, SetLinks), commands change what it
// publishes and asks (Publish, UpdateTXT, Withdraw, StartQuery, StopQuery),
// and after every call the caller drains what came out (PollTransmit,
// PollEvent) and re-arms its timer from NextTimeout. The engine has no
// goroutines, reads no clock, opens no sockets and uses no global
// randomness; one goroutine (the driver) owns it and calls it serially.
//
// A malformed or hostile packet is dropped and counted (Stats), never
// returned as an error; a broken internal invariant panics with "mdns:".
package mdns

import (
	"errors"
	"hash/maphash"
	"maps"
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"

	"github.com/miekg/dns"
)

// Errors returned by commands.
var (
	ErrUnknownRegistration = errors.New("mdns: unknown registration")
	ErrUnknownQuery        = errors.New("mdns: unknown query")
	ErrTooMany             = errors.New("mdns: limit reached")
	ErrInvalid             = errors.New("mdns: invalid argument")
)

// Stats counts what the engine did with its input, for tests and logs.
type Stats struct {
	PacketsIn, PacketsOut     uint64
	DroppedMalformed          uint64 // did not parse
	RecordsSkipped            uint64 // records that did not parse in a packet that did
	DroppedOpcode             uint64 // opcode or rcode ≠ 0 (RFC 6762 §18.3, §18.11)
	DroppedSourcePort         uint64 // response not from port 5353 (RFC 6762 §6)
	DroppedOffLink            uint64 // unicast from an off-link source (RFC 6762 §11)
	DroppedHopLimit           uint64 // IP TTL ≠ 255 (RFC 6762 §11)
	DroppedOwn                uint64 // our own multicast, looped back
	DroppedUnknownLink        uint64
	CacheEvictions            uint64
	EventsDropped             uint64
	KnownAnswersDropped       uint64
	TCPendingDropped          uint64
	Conflicts                 uint64
	ProbeTiebreaksLost        uint64
	AnswersSuppressedKnown    uint64 // RFC 6762 §7.1
	AnswersSuppressedDup      uint64 // RFC 6762 §7.4
	QueriesSuppressedDup      uint64 // RFC 6762 §7.3
	RecordsPoofed             uint64 // RFC 6762 §10.5
	MulticastRateLimited      uint64 // RFC 6762 §6
	LegacyUnicastQueries      uint64 // RFC 6762 §6.7
	UnicastResponsesSent      uint64
	MulticastResponsesSent    uint64
	QueriesSent, ProbesSent   uint64
	AnnouncementsSent         uint64
	GoodbyesSent              uint64
	RegistrationsEstablished  uint64
	RenamesAfterConflict      uint64
	ConflictBackoffs          uint64
	CacheRecords, CacheMaxLen int
}

// Engine is the protocol state of one mDNS responder and querier over any
// number of links. It is not safe for concurrent use: one goroutine owns it.
type Engine struct {
	cfg  Config
	rand *rand.Rand

	links     map[LinkID]*link
	linkOrder []*link // links by ID (sortedLinks)

	host       *group
	hostActive bool // the host name is published (Config.LazyHost)
	groups     map[RegID]*group
	nextReg    RegID

	queries   map[QueryID]*query
	queryIdx  map[string][]*query // lower-case name → queries for it
	series    map[seriesKey]*queryLink
	nextQuery QueryID

	cache cache

	timers timerHeap

	// conflicts holds the times of recent conflicts, for the back-off of
	// RFC 6762 §8.1 (15 conflicts in 10 s → wait 5 s between probes).
	conflicts []time.Time

	// sent remembers hashes of recently sent payloads, to recognise our own
	// multicast when the network loops it back.
	sent     [64]sentPacket
	sentNext int
	seed     maphash.Seed

	pendSeq uint64 // orders answers queued on links

	tx     []Packet
	events []Event
	stats  Stats
}

type sentPacket struct {
	hash uint64
	at   time.Time
}

// New returns an engine with the given configuration and no links.
func New(cfg Config) *Engine {
	c := cfg.withDefaults()
	e := &Engine{
		cfg:      c,
		rand:     rand.New(rand.NewPCG(c.Seed, c.Seed^0x6d646e73)),
		links:    map[LinkID]*link{},
		groups:   map[RegID]*group{},
		nextReg:  HostReg + 1,
		queries:  map[QueryID]*query{},
		queryIdx: map[string][]*query{},
		series:   map[seriesKey]*queryLink{},
		seed:     maphash.MakeSeed(),
	}
	e.cache.init(e)
	e.host = e.newHostGroup(c.HostName)
	e.hostActive = !c.LazyHost
	return e
}

// HostName returns the raw label of the host name currently in use (it
// changes to "name-2"… after a conflict).
func (e *Engine) HostName() string { return e.host.label }

// HostFQDN returns the host name as an FQDN ("name.local.").
func (e *Engine) HostFQDN() string { return e.host.name }

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats {
	s := e.stats
	s.CacheRecords = len(e.cache.byKey)
	s.CacheMaxLen = e.cfg.MaxCacheRecords
	return s
}

// NextTimeout returns when HandleTimeout must next be called, and false if
// nothing is scheduled.
func (e *Engine) NextTimeout() (time.Time, bool) {
	if len(e.timers) == 0 {
		return time.Time{}, false
	}
	return e.timers[0].at, true
}

// HandleTimeout runs everything that is due at now.
func (e *Engine) HandleTimeout(now time.Time) {
	e.runTimers(now)
	e.flush(now)
}

// PollTransmit returns the next packet to send, and false when there is none.
func (e *Engine) PollTransmit() (Packet, bool) {
	if len(e.tx) == 0 {
		return Packet{}, false
	}
	p := e.tx[0]
	e.tx[0] = Packet{}
	e.tx = e.tx[1:]
	if len(e.tx) == 0 {
		e.tx = nil
	}
	return p, true
}

// PollEvent returns the next event, and false when there is none.
func (e *Engine) PollEvent() (Event, bool) {
	if len(e.events) == 0 {
		return Event{}, false
	}
	ev := e.events[0]
	e.events[0] = Event{}
	e.events = e.events[1:]
	if len(e.events) == 0 {
		e.events = nil
	}
	return ev, true
}

func (e *Engine) emit(ev Event) {
	if len(e.events) >= e.cfg.MaxEvents {
		e.events = e.events[1:]
		e.stats.EventsDropped++
	}
	e.events = append(e.events, ev)
}

// SetLinks tells the engine the current set of links and their addresses.
// New links are probed and announced on; links that are gone are forgotten
// (their cache entries are removed); links whose addresses changed re-probe
// the host name there and send goodbyes for addresses that went away.
func (e *Engine) SetLinks(now time.Time, links []Link) {
	seen := map[LinkID]bool{}
	for _, nl := range links {
		seen[nl.ID] = true
		nl.Addrs = slices.Clone(nl.Addrs)
		if l, ok := e.links[nl.ID]; ok {
			if !slices.Equal(l.Addrs, nl.Addrs) || l.Name != nl.Name {
				e.changeLink(now, l, nl)
			}
			continue
		}
		e.addLink(now, nl)
	}
	for _, l := range slices.Clone(e.linkOrder) {
		if !seen[l.ID] {
			e.removeLink(now, l)
		}
	}
	e.flush(now)
}

// Links returns the links the engine works on.
func (e *Engine) Links() []Link {
	out := make([]Link, 0, len(e.links))
	for _, l := range e.links {
		out = append(out, l.Link)
	}
	slices.SortFunc(out, func(a, b Link) int { return int(a.ID) - int(b.ID) })
	return out
}

func (e *Engine) addLink(now time.Time, nl Link) {
	l := newLink(e, nl)
	e.links[nl.ID] = l
	e.reorderLinks()
	if e.hostActive {
		e.host.addLink(now, l)
	}
	for _, id := range e.sortedGroupIDs() {
		e.groups[id].addLink(now, l)
	}
	for _, id := range e.sortedQueryIDs() {
		e.queries[id].addLink(now, l)
	}
}

func (e *Engine) removeLink(now time.Time, l *link) {
	// Records heard there are gone: report them while the queries still
	// include the link.
	e.cache.removeLink(now, l.ID)
	e.host.removeLink(l)
	for _, id := range e.sortedGroupIDs() {
		e.groups[id].removeLink(l)
	}
	for _, id := range e.sortedQueryIDs() {
		e.queries[id].removeLink(l)
	}
	l.close()
	delete(e.links, l.ID)
	e.reorderLinks()
	for _, id := range e.sortedGroupIDs() {
		if g := e.groups[id]; g != nil {
			g.checkEstablished(now)
		}
	}
}

func (e *Engine) changeLink(now time.Time, l *link, nl Link) {
	l.Name = nl.Name
	l.Addrs = nl.Addrs
	l.refreshFamilies()
	e.host.addrsChanged(now, l)
}

// sortedQueryIDs and sortedGroupIDs give map contents a fixed order, so that
// everything the engine does is deterministic.
func (e *Engine) sortedQueryIDs() []QueryID { return slices.Sorted(maps.Keys(e.queries)) }

func (e *Engine) sortedGroupIDs() []RegID { return slices.Sorted(maps.Keys(e.groups)) }

// randDur returns a uniformly random duration in [lo, hi].
func (e *Engine) randDur(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(e.rand.Int64N(int64(hi-lo)+1))
}

// rememberSent records the hash of a payload we multicast.
func (e *Engine) rememberSent(now time.Time, data []byte) {
	e.sent[e.sentNext] = sentPacket{hash: maphash.Bytes(e.seed, data), at: now}
	e.sentNext = (e.sentNext + 1) % len(e.sent)
}

// isOwn reports whether data is a packet we multicast within the last
// 5 seconds, looped back to us by the network stack.
func (e *Engine) isOwn(now time.Time, l *link, src netip.AddrPort, data []byte) bool {
	if !l.hasAddr(src.Addr()) {
		return false
	}
	h := maphash.Bytes(e.seed, data)
	for _, s := range e.sent {
		if s.hash == h && !s.at.IsZero() && now.Sub(s.at) < 5*time.Second {
			return true
		}
	}
	return false
}

// HandlePacket processes one received datagram.
func (e *Engine) HandlePacket(now time.Time, p Packet) {
	e.stats.PacketsIn++
	e.runTimers(now)
	e.handlePacket(now, p)
	e.flush(now)
}

func (e *Engine) handlePacket(now time.Time, p Packet) {
	l := e.links[p.Link]
	if l == nil {
		e.stats.DroppedUnknownLink++
		return
	}
	if e.isOwn(now, l, p.Src, p.Data) {
		e.stats.DroppedOwn++
		return
	}
	var m dns.Msg
	skipped, err := unpack(p.Data, &m)
	if err != nil {
		e.stats.DroppedMalformed++
		e.cfg.Logger.Debug("mdns: dropped malformed packet", "link", l.Name, "src", p.Src, "err", err)
		return
	}
	if skipped > 0 {
		e.stats.RecordsSkipped += uint64(skipped)
		e.cfg.Logger.Debug("mdns: skipped records that do not parse", "link", l.Name, "src", p.Src, "count", skipped)
	}
	// RFC 6762 §18.3, §18.11: opcode and rcode must be zero.
	if m.Opcode != 0 || m.Rcode != 0 {
		e.stats.DroppedOpcode++
		return
	}
	unicastDst := p.Dst.IsValid() && !p.Dst.Addr().IsMulticast()
	// RFC 6762 §11: accept unicast only from on-link sources, so we are
	// never used to reflect traffic off the link.
	if (unicastDst || p.Src.Port() != Port) && !l.onLink(p.Src.Addr()) {
		e.stats.DroppedOffLink++
		e.cfg.Logger.Debug("mdns: dropped packet from off-link source", "link", l.Name, "src", p.Src)
		return
	}
	// RFC 6762 §11: packets from the mDNS port are sent with TTL 255; any
	// other value means the packet was routed onto this link.
	if p.HopLimit != 0 && p.HopLimit != 255 && p.Src.Port() == Port {
		e.stats.DroppedHopLimit++
		e.cfg.Logger.Debug("mdns: dropped packet with IP TTL other than 255", "link", l.Name, "src", p.Src, "ttl", p.HopLimit)
		return
	}
	if m.Response {
		// RFC 6762 §6: responses from a port other than 5353 are ignored.
		if p.Src.Port() != Port {
			e.stats.DroppedSourcePort++
			e.cfg.Logger.Debug("mdns: dropped response not from port 5353", "link", l.Name, "src", p.Src)
			return
		}
		// RFC 6762 §6, §18: questions in a response are ignored.
		e.handleResponse(now, l, p, &m)
		return
	}
	e.handleQuery(now, l, p, &m)
}
