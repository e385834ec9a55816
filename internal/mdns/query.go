package mdns

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"time"

	"github.com/miekg/dns"
)

// Continuous querying (RFC 6762 §5.2): the first query of a series goes out
// after a random 20–120 ms, with the unicast-response bit (§5.4); the
// intervals then start at one second and double, up to one hour. Each query
// lists the shared answers we hold with more than half their TTL left
// (§7.1), split over TC packets when they do not fit (§7.2). When another
// host asks the same question listing no answer we would not list, our next
// query counts as sent (§7.3, duplicate question suppression). Queries for
// the same question share one series per link: a second Browse of a type
// gets the cached answers at once and adds no traffic.

const (
	queryDelayMin   = 20 * time.Millisecond
	queryDelayMax   = 120 * time.Millisecond
	queryFirstGap   = time.Second
	queryMaxGap     = time.Hour
	reconfirmWindow = 10 * time.Second
)

type query struct {
	e     *Engine
	id    QueryID
	q     Question
	lname string
	links map[LinkID]*queryLink
}

// seriesKey names a question on a link; the queries asking it share one
// queryLink.
type seriesKey struct {
	link  LinkID
	lname string
	qtype uint16
}

// queryLink is the query series for one question on one link, shared by
// every running query that asks it (refs counts them).
type queryLink struct {
	e        *Engine
	l        *link
	key      seriesKey
	q        dns.Question // class IN, no QU bit
	refs     int
	sent     int
	interval time.Duration
	t        *timer
}

// StartQuery starts a continuous query on every link, now and later ones.
// Records already cached that answer it are reported at once as Added.
func (e *Engine) StartQuery(now time.Time, q Question) (QueryID, error) {
	if len(e.queries) >= e.cfg.MaxQueries {
		return 0, fmt.Errorf("%w: %d queries", ErrTooMany, e.cfg.MaxQueries)
	}
	if _, ok := dns.IsDomainName(q.Name); !ok || q.Name == "" {
		return 0, fmt.Errorf("%w: query name %q", ErrInvalid, q.Name)
	}
	q.Name = dns.Fqdn(q.Name)
	e.nextQuery++
	qu := &query{e: e, id: e.nextQuery, q: q, lname: lowerName(q.Name), links: map[LinkID]*queryLink{}}
	e.queries[qu.id] = qu
	e.queryIdx[qu.lname] = append(e.queryIdx[qu.lname], qu)
	for _, l := range e.sortedLinks() {
		qu.addLink(now, l)
		for _, ce := range e.cache.lookup(l.ID, qu.lname, q.Type) {
			if ce.replaced || ce.flushed {
				continue // on its way out: superseded, or said goodbye
			}
			e.emit(Event{Kind: EventAdded, Query: qu.id, Link: l.ID, Record: dns.Copy(ce.rr)})
		}
		for _, r := range l.localRecords(qu.lname, q.Type) {
			e.emit(Event{Kind: EventAdded, Query: qu.id, Link: l.ID, Record: dns.Copy(r.plain)})
		}
	}
	e.flush(now)
	return qu.id, nil
}

// StopQuery ends a continuous query.
func (e *Engine) StopQuery(now time.Time, id QueryID) error {
	qu := e.queries[id]
	if qu == nil {
		return ErrUnknownQuery
	}
	delete(e.queries, id)
	list := e.queryIdx[qu.lname]
	for i, x := range list {
		if x == qu {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(e.queryIdx, qu.lname)
	} else {
		e.queryIdx[qu.lname] = list
	}
	for _, lid := range slices.Sorted(maps.Keys(qu.links)) {
		qu.release(qu.links[lid])
		e.cache.rewant(lid, qu.lname)
	}
	return nil
}

func (qu *query) addLink(now time.Time, l *link) {
	e := qu.e
	key := seriesKey{l.ID, qu.lname, qu.q.Type}
	if ql := e.series[key]; ql != nil {
		ql.refs++ // the question is already being asked here
		qu.links[l.ID] = ql
		e.cache.rewant(l.ID, qu.lname)
		return
	}
	ql := &queryLink{e: e, l: l, key: key, refs: 1,
		q: dns.Question{Name: qu.q.Name, Qtype: qu.q.Type, Qclass: dns.ClassINET}}
	ql.t = newTimer(ql.fire)
	e.series[key] = ql
	qu.links[l.ID] = ql
	e.cache.rewant(l.ID, qu.lname)
	if e.cfg.OneShotFirst {
		// A one-shot query (RFC 6762 §5.1) goes out at once: the 20–120 ms
		// delay of §5.2 is for continuous queries, which follow from
		// port 5353 a second later.
		l.out.oneShot = append(l.out.oneShot, ql.q)
		e.stats.QueriesSent++
		ql.advance(now)
		return
	}
	e.schedule(ql.t, now.Add(e.randDur(queryDelayMin, queryDelayMax)))
}

func (qu *query) removeLink(l *link) {
	if ql := qu.links[l.ID]; ql != nil {
		delete(qu.links, l.ID)
		qu.release(ql)
	}
}

// release drops qu's share of a series; the last one stops it.
func (qu *query) release(ql *queryLink) {
	ql.refs--
	if ql.refs == 0 {
		qu.e.cancel(ql.t)
		delete(qu.e.series, ql.key)
	}
}

// matches reports whether a record of the given name and type answers qu.
func (qu *query) matches(lname string, t uint16) bool {
	return qu.lname == lname && (qu.q.Type == dns.TypeANY || qu.q.Type == t || t == dns.TypeCNAME)
}

func (ql *queryLink) fire(now time.Time) {
	e := ql.e
	q := ql.q
	if ql.sent == 0 && !e.cfg.DisableQU {
		q.Qclass |= cacheFlushBit // QU on the first query (RFC 6762 §5.4)
	}
	e.queueQuestion(now, ql.l, q)
	ql.advance(now)
}

// suppressed counts another host's identical query as ours (§7.3): the
// next one is due a full interval from now. The interval does not grow:
// only our own queries grow it, or a busy network where others keep asking
// would push ours out to the hour-long maximum, and a record we missed
// (which others' known-answer lists would hide from us) would be missed
// for an hour.
func (ql *queryLink) suppressed(now time.Time) {
	ql.e.schedule(ql.t, now.Add(max(ql.interval, queryFirstGap)))
}

// advance moves the series on after a query was sent.
func (ql *queryLink) advance(now time.Time) {
	ql.sent++
	if ql.interval == 0 {
		ql.interval = queryFirstGap
	} else {
		ql.interval = min(ql.interval*2, queryMaxGap)
	}
	ql.e.schedule(ql.t, now.Add(ql.interval))
}

// queueQuestion adds a question and its known answers to the link's next
// query packet.
func (e *Engine) queueQuestion(now time.Time, l *link, q dns.Question) {
	e.stats.QueriesSent++
	l.out.addQuestion(q)
	for _, ce := range e.cache.knownAnswers(now, l.ID, lowerName(q.Name), q.Qtype) {
		if l.out.knownKeys == nil {
			l.out.knownKeys = map[string]bool{}
		}
		if l.out.knownKeys[ce.key] {
			continue
		}
		l.out.knownKeys[ce.key] = true
		// The TTL we still expect the record to live, like Apple and
		// python-zeroconf (RFC 6762 §7.1 compares it with half the TTL).
		l.out.known = append(l.out.known, withTTL(ce.rr, ce.remaining(now), false))
	}
}

// observeQuery looks at another host's single-packet query on link l:
// duplicate question suppression (RFC 6762 §7.3) and passive observation of
// failures (§10.5).
func (e *Engine) observeQuery(now time.Time, l *link, src netip.Addr, questions []dns.Question, known []keyedRR) {
	var theirs map[string]bool
	for _, q := range questions {
		if q.Qclass&cacheFlushBit != 0 {
			continue // QU: the answers go to the asker alone
		}
		lname := lowerName(q.Name)
		list := e.queryIdx[lname]
		cached := e.cache.lookup(l.ID, lname, q.Qtype)
		if len(list) == 0 && len(cached) == 0 {
			continue
		}
		if theirs == nil {
			theirs = make(map[string]bool, len(known))
			for _, k := range known {
				theirs[k.key] = true
			}
		}
		for _, qu := range list {
			if qu.q.Type != q.Qtype || (q.Qclass&^cacheFlushBit) != dns.ClassINET {
				continue
			}
			ql := qu.links[l.ID]
			if ql == nil {
				continue
			}
			ours := map[string]bool{}
			for _, ce := range e.cache.knownAnswers(now, l.ID, lname, q.Qtype) {
				ours[ce.key] = true
			}
			subset := true
			for k := range theirs {
				if lowerKeyName(k) == lname && !ours[k] {
					subset = false
					break
				}
			}
			if subset {
				e.stats.QueriesSuppressedDup++
				ql.suppressed(now)
			}
		}
		for _, ce := range cached {
			if !theirs[ce.key] {
				e.cache.poofSeen(now, ce, src)
			}
		}
	}
}

// lowerKeyName returns the name part of a record key.
func lowerKeyName(k string) string {
	for i := 0; i < len(k); i++ {
		if k[i] == 0 {
			return k[:i]
		}
	}
	return k
}

// Reconfirm asks the network whether a cached record is still valid (RFC
// 6762 §10.4), e.g. after a client could not connect to a resolved service:
// it is queried for now and a second later, and removed if no answer comes
// within ten seconds.
func (e *Engine) Reconfirm(now time.Time, link LinkID, rr dns.RR) bool {
	l := e.links[link]
	if l == nil {
		return false
	}
	ce := e.cache.get(link, recordKey(rr))
	if ce == nil {
		return false
	}
	ce.reconfirm = now.Add(reconfirmWindow)
	ce.reconfirmQueries = 1
	e.queueQuestion(now, l, dns.Question{Name: ce.rr.Header().Name, Qtype: ce.rr.Header().Rrtype, Qclass: dns.ClassINET})
	e.cache.reschedule(now, ce)
	e.flush(now)
	return true
}
