package mdns

import (
	"container/list"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/miekg/dns"
)

// The cache (RFC 6762 §5.2, §10) holds the records heard on each link, up to
// Config.MaxCacheRecords; past it the least recently refreshed record no
// query wants is evicted, and only when every record is wanted the least
// recently refreshed of those: a flood of records nobody asked for cannot
// push out the ones a Browse is using. Records expire at their TTL; while a query wants a
// record it is refreshed by queries at 80, 85, 90 and 95 % of its TTL (plus
// up to 2 % at random). A goodbye (TTL 0, §10.1) and a cache-flush of an
// RRset (§10.2, records of the same name, type and class received more than
// a second before) set records to expire one second later. POOF (§10.5):
// after two queries from others that should have drawn a record but got no
// answer within ten seconds, it is removed.

const (
	flushGrace   = time.Second
	poofWindow   = 10 * time.Second
	poofQueries  = 2
	refreshSteps = 4
)

type centry struct {
	rr       dns.RR // as received, without the cache-flush bit
	key      string // link-independent record key
	link     LinkID
	lname    string
	rtype    uint16
	received time.Time
	ttl      time.Duration
	expire   time.Time
	refresh  int // refresh queries sent for this TTL
	// nextRefresh is when the next refresh query is due; zero for none.
	nextRefresh time.Time
	flushed     bool // set to expire early (goodbye, cache-flush, POOF)
	replaced    bool // its successor was reported as Updated
	unique      bool // arrived with the cache-flush bit

	poofN     int // distinct hosts whose queries went unanswered
	poofFirst time.Time
	poofSrc   netip.Addr // the first of them

	reconfirm        time.Time // deadline of a reconfirmation (§10.4)
	reconfirmQueries int

	wanted bool          // a running query asks for it: in cache.wanted
	elem   *list.Element // position in its eviction list
	t      *timer
}

type cacheNameKey struct {
	link  LinkID
	lname string
}

type cache struct {
	e      *Engine
	byKey  map[string]*centry // link + record key
	byName map[cacheNameKey][]*centry
	// Eviction order, least recently refreshed first: idle holds the
	// records no query wants, wanted the others.
	idle, wanted *list.List
}

func (c *cache) init(e *Engine) {
	c.e = e
	c.byKey = map[string]*centry{}
	c.byName = map[cacheNameKey][]*centry{}
	c.idle, c.wanted = list.New(), list.New()
}

func (c *cache) listOf(ce *centry) *list.List {
	if ce.wanted {
		return c.wanted
	}
	return c.idle
}

// rewant moves the records of a name on a link to the eviction list that
// matches whether a query wants them now; it runs when queries start and
// stop.
func (c *cache) rewant(link LinkID, lname string) {
	for _, ce := range c.byName[cacheNameKey{link, lname}] {
		if w := c.interested(ce); w != ce.wanted {
			c.listOf(ce).Remove(ce.elem)
			ce.wanted = w
			ce.elem = c.listOf(ce).PushBack(ce)
		}
	}
}

func linkKey(link LinkID, key string) string {
	return strconv.Itoa(int(link)) + "/" + key
}

func (c *cache) get(link LinkID, key string) *centry { return c.byKey[linkKey(link, key)] }

// lookup returns the live records on link with the name (lower-case) and
// type (ANY for all).
func (c *cache) lookup(link LinkID, lname string, t uint16) []*centry {
	var out []*centry
	for _, ce := range c.byName[cacheNameKey{link, lname}] {
		if t == dns.TypeANY || ce.rtype == t {
			out = append(out, ce)
		}
	}
	return out
}

func (ce *centry) remaining(now time.Time) uint32 {
	if d := ce.expire.Sub(now); d > 0 {
		return uint32((d + time.Second - 1) / time.Second)
	}
	return 0
}

// knownAnswers returns the records to list as known answers for a question
// (RFC 6762 §7.1): shared or unique, with more than half their TTL left, not
// set to expire, not being reconfirmed.
func (c *cache) knownAnswers(now time.Time, link LinkID, lname string, t uint16) []*centry {
	var out []*centry
	for _, ce := range c.lookup(link, lname, t) {
		if ce.flushed || !ce.reconfirm.IsZero() {
			continue
		}
		if ce.expire.Sub(now) > ce.ttl/2 {
			out = append(out, ce)
		}
	}
	return out
}

// interested reports whether a running query wants records like ce.
func (c *cache) interested(ce *centry) bool {
	for _, q := range c.e.queryIdx[ce.lname] {
		if q.matches(ce.lname, ce.rtype) && q.links[ce.link] != nil {
			return true
		}
	}
	return false
}

func (c *cache) notify(kind EventKind, ce *centry, old *centry) {
	if kind != EventUpdated {
		// The same record may also be one of ours (two owners of a name
		// before a conflict is settled): queries see it once, present while
		// either source has it.
		if l := c.e.links[ce.link]; l != nil && l.local[ce.key] > 0 {
			return
		}
	}
	for _, q := range c.e.queryIdx[ce.lname] {
		if !q.matches(ce.lname, ce.rtype) || q.links[ce.link] == nil {
			continue
		}
		ev := Event{Kind: kind, Query: q.id, Link: ce.link, Record: dns.Copy(ce.rr)}
		if old != nil {
			ev.Old = dns.Copy(old.rr)
		}
		c.e.emit(ev)
	}
}

// keyedRR is a received record and its record key, computed once.
type keyedRR struct {
	rr  dns.RR
	key string
}

// add takes a record from a response received on link.
func (c *cache) add(now time.Time, link LinkID, k keyedRR) {
	rr := k.rr
	h := rr.Header()
	unique := h.Class&cacheFlushBit != 0
	h.Class &^= cacheFlushBit
	lk := linkKey(link, k.key)
	ce := c.byKey[lk]
	if h.Ttl == 0 {
		// RFC 6762 §10.1: a goodbye; expire in one second.
		if ce != nil && (!ce.flushed || ce.expire.After(now.Add(flushGrace))) {
			c.expireSoon(now, ce)
		}
		return
	}
	var superseded []*centry
	if unique {
		// RFC 6762 §10.2: flush the rest of the RRset heard more than a
		// second ago.
		for _, o := range c.byName[cacheNameKey{link, lowerName(h.Name)}] {
			if o.rtype == h.Rrtype && o.key != k.key && now.Sub(o.received) > flushGrace {
				if !o.flushed || o.expire.After(now.Add(flushGrace)) {
					c.expireSoon(now, o)
				}
				superseded = append(superseded, o)
			}
		}
	}
	if ce != nil {
		if ce.replaced {
			// Superseded a moment ago, now re-sent as part of the RRset
			// (§10.2: a set may span packets): it is current again.
			ce.replaced = false
			c.notify(EventAdded, ce, nil)
		}
		ce.received = now
		ce.ttl = cacheTTL(h.Ttl)
		ce.expire = now.Add(ce.ttl)
		ce.refresh = 0
		ce.flushed = false
		ce.poofN = 0
		ce.reconfirm = time.Time{}
		ce.unique = unique
		c.planRefresh(ce)
		c.listOf(ce).MoveToBack(ce.elem)
		c.reschedule(now, ce)
		return
	}
	if len(c.byKey) >= c.e.cfg.MaxCacheRecords {
		c.evict(now)
	}
	ce = &centry{
		rr: rr, key: k.key, link: link, lname: lowerName(h.Name), rtype: h.Rrtype,
		received: now, ttl: cacheTTL(h.Ttl), unique: unique,
	}
	ce.expire = now.Add(ce.ttl)
	c.planRefresh(ce)
	ce.t = newTimer(func(now time.Time) { c.tick(now, ce) })
	ce.wanted = c.interested(ce)
	ce.elem = c.listOf(ce).PushBack(ce)
	c.byKey[lk] = ce
	nk := cacheNameKey{link, ce.lname}
	c.byName[nk] = append(c.byName[nk], ce)
	c.reschedule(now, ce)
	var old *centry
	for _, o := range superseded {
		if !o.replaced {
			old = o
			break
		}
	}
	if old != nil {
		old.replaced = true
		c.notify(EventUpdated, ce, old)
	} else {
		c.notify(EventAdded, ce, nil)
	}
}

func (c *cache) expireSoon(now time.Time, ce *centry) {
	ce.flushed = true
	ce.expire = now.Add(flushGrace)
	c.reschedule(now, ce)
}

// evict makes room: the least recently refreshed record that no query
// wants, or if every record is wanted, the least recently refreshed.
func (c *cache) evict(now time.Time) {
	el := c.idle.Front()
	if el == nil {
		el = c.wanted.Front()
	}
	c.e.stats.CacheEvictions++
	c.remove(now, el.Value.(*centry), true)
}

func (c *cache) remove(now time.Time, ce *centry, notify bool) {
	c.e.cancel(ce.t)
	c.listOf(ce).Remove(ce.elem)
	delete(c.byKey, linkKey(ce.link, ce.key))
	nk := cacheNameKey{ce.link, ce.lname}
	list := c.byName[nk]
	if i := slices.Index(list, ce); i >= 0 {
		list = slices.Delete(list, i, i+1)
	}
	if len(list) == 0 {
		delete(c.byName, nk)
	} else {
		c.byName[nk] = list
	}
	if notify && !ce.replaced {
		c.notify(EventRemoved, ce, nil)
	}
}

// planRefresh computes when the next refresh query for ce is due: at 80,
// 85, 90 and 95 % of its TTL, plus up to 2 % of the TTL at random so that
// hosts do not all ask at once (RFC 6762 §5.2).
func (c *cache) planRefresh(ce *centry) {
	if ce.refresh >= refreshSteps || ce.flushed {
		ce.nextRefresh = time.Time{}
		return
	}
	pct := time.Duration(80 + 5*ce.refresh)
	ce.nextRefresh = ce.received.Add(ce.ttl * pct / 100).Add(time.Duration(c.e.rand.Int64N(int64(ce.ttl)/50 + 1)))
}

func (c *cache) reschedule(now time.Time, ce *centry) {
	next := ce.expire
	if !ce.nextRefresh.IsZero() && !ce.flushed && ce.nextRefresh.Before(next) {
		next = ce.nextRefresh
	}
	if ce.poofN >= poofQueries {
		if d := ce.poofFirst.Add(poofWindow); d.Before(next) {
			next = d
		}
	}
	if !ce.reconfirm.IsZero() {
		d := ce.reconfirm
		if ce.reconfirmQueries < 2 {
			d = ce.reconfirm.Add(-reconfirmWindow + time.Second)
		}
		if d.Before(next) {
			next = d
		}
	}
	c.e.schedule(ce.t, next)
}

func (c *cache) tick(now time.Time, ce *centry) {
	if !now.Before(ce.expire) {
		c.remove(now, ce, true)
		return
	}
	if ce.poofN >= poofQueries && !now.Before(ce.poofFirst.Add(poofWindow)) {
		c.e.stats.RecordsPoofed++
		c.remove(now, ce, true)
		c.askSoon(now, ce)
		return
	}
	if !ce.reconfirm.IsZero() {
		if !now.Before(ce.reconfirm) {
			c.remove(now, ce, true)
			return
		}
		if ce.reconfirmQueries < 2 && !now.Before(ce.reconfirm.Add(-reconfirmWindow+time.Second)) {
			ce.reconfirmQueries++
			if l := c.e.links[ce.link]; l != nil {
				c.e.queueQuestion(now, l, dns.Question{Name: ce.rr.Header().Name, Qtype: ce.rtype, Qclass: dns.ClassINET})
			}
		}
	}
	if !ce.nextRefresh.IsZero() && !ce.flushed && !now.Before(ce.nextRefresh) {
		ce.refresh++
		c.planRefresh(ce)
		if c.interested(ce) {
			if l := c.e.links[ce.link]; l != nil {
				c.e.queueQuestion(now, l, dns.Question{Name: ce.rr.Header().Name, Qtype: ce.rtype, Qclass: dns.ClassINET})
			}
		}
	}
	c.reschedule(now, ce)
}

// poofSeen notes a query from src that should have drawn ce. Only queries
// from two different hosts count (§10.5 speaks of queries, plural, that go
// unanswered): one host's own repeated queries never do — it may be the
// record's owner, which does not answer itself. A query that comes less
// than a second after the record was last heard does not count either: it
// crossed that answer on the wire, and the owner's rate limit (§6) forbids
// answering it again so soon.
func (c *cache) poofSeen(now time.Time, ce *centry, src netip.Addr) {
	if now.Sub(ce.received) < rateLimit {
		return
	}
	if ce.poofN == 0 || now.Sub(ce.poofFirst) > poofWindow {
		ce.poofN = 1
		ce.poofFirst = now
		ce.poofSrc = src
		return
	}
	// Another host: another address, and not the other address family's
	// copy of the same query, which arrives at the same moment.
	if src == ce.poofSrc || now.Sub(ce.poofFirst) < rateLimit || ce.poofN >= poofQueries {
		return
	}
	ce.poofN++
	c.reschedule(now, ce)
}

// removeLink forgets every record heard on link.
func (c *cache) removeLink(now time.Time, link LinkID) {
	var gone []*centry
	for _, ce := range c.byKey {
		if ce.link == link {
			gone = append(gone, ce)
		}
	}
	slices.SortFunc(gone, func(a, b *centry) int {
		if a.key < b.key {
			return -1
		}
		if a.key > b.key {
			return 1
		}
		return 0
	})
	for _, ce := range gone {
		c.remove(now, ce, true)
	}
}

// maxCacheTTL bounds how long a record is trusted, whatever TTL it claims,
// so that the arithmetic of refresh times cannot overflow and a hostile
// record cannot pin a cache slot for decades.
const maxCacheTTL = 24 * time.Hour

func cacheTTL(ttl uint32) time.Duration {
	return min(time.Duration(ttl)*time.Second, maxCacheTTL)
}

// askSoon restarts, one second from now, the query series of every running
// query that wanted ce. POOF (§10.5) works on circumstantial evidence: on a
// lossy link it sometimes removes a record whose owner is alive, and asking
// again soon (and then at 2, 4, 8 s…) puts it back without waiting out an
// interval that may have grown to an hour.
func (c *cache) askSoon(now time.Time, ce *centry) {
	for _, q := range c.e.queryIdx[ce.lname] {
		if !q.matches(ce.lname, ce.rtype) {
			continue
		}
		if ql := q.links[ce.link]; ql != nil {
			ql.interval = 0 // the series starts over: 1 s, 2 s, 4 s…
			c.e.scheduleEarlier(ql.t, now.Add(time.Second))
		}
	}
}
