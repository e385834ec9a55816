package avahi

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/miekg/dns"
)

// sweepAfter is how long after avahi-daemon left (or a new browser started)
// records not reported again are taken as gone, unless the browser's
// AllForNow comes first.
const sweepAfter = 5 * time.Second

// Event is a record that appeared (Removed false) or went away on an
// interface.
type Event struct {
	Removed   bool
	Interface string
	Record    dns.RR
}

// Query is a continuous query carried by an Avahi record browser. Avahi
// reports a record once per interface and protocol (IPv4 and IPv6 are
// separate there); the query reports it once per interface.
type Query struct {
	b      *Backend
	name   string // miekg/dns form
	rrtype uint16

	mu      sync.Mutex
	path    dbus.ObjectPath
	items   map[string]*item
	pending []Event
	err     error
	closed  bool
	gen     int // browser generation, for sweeps
	wake    chan struct{}
}

type item struct {
	ev     Event
	protos map[int32]bool
	stale  bool // reported by a browser before the current one
}

// Query starts an Avahi record browser for name and rrtype.
func (b *Backend) Query(ctx context.Context, name string, rrtype uint16) (*Query, error) {
	if _, ok := dns.IsDomainName(name); !ok {
		return nil, fmt.Errorf("avahi: query name %q is not a domain name", name)
	}
	q := &Query{b: b, name: dns.Fqdn(name), rrtype: rrtype, items: map[string]*item{}, wake: make(chan struct{}, 1)}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, ErrClosed
	}
	b.queries[q] = true
	up := b.up
	b.mu.Unlock()
	if !up {
		return q, nil // browses once avahi-daemon is back
	}
	if err := q.browse(ctx); err != nil {
		q.Close()
		return nil, err
	}
	return q, nil
}

// browse starts a record browser: prepared, registered for its signals,
// then started (Avahi 0.8's Server2 API, so no signal is missed); with an
// older daemon, created and started at once.
func (q *Query) browse(ctx context.Context) error {
	an, err := toAvahi(q.name)
	if err != nil {
		return fmt.Errorf("avahi: query name %q: %w", q.name, err)
	}
	var path dbus.ObjectPath
	srv := q.b.serverObj()
	prepared := true
	err = srv.CallWithContext(ctx, "org.freedesktop.Avahi.Server2.RecordBrowserPrepare", 0,
		ifUnspec, protoUnspec, an, uint16(dns.ClassINET), q.rrtype, uint32(0)).Store(&path)
	if err != nil {
		prepared = false
		q.b.log.Debug("avahi: no Server2.RecordBrowserPrepare; using RecordBrowserNew", "err", err)
		err = srv.CallWithContext(ctx, ifaceServer+".RecordBrowserNew", 0,
			ifUnspec, protoUnspec, an, uint16(dns.ClassINET), q.rrtype, uint32(0)).Store(&path)
	}
	if err != nil {
		return fmt.Errorf("avahi: starting a record browser for %s: %w", q.name, err)
	}
	q.mu.Lock()
	q.path = path
	q.gen++
	q.mu.Unlock()
	q.b.mu.Lock()
	q.b.browsers[path] = q
	q.b.mu.Unlock()
	if prepared {
		if err := q.b.conn.Object(busName, path).CallWithContext(ctx, ifaceRecordBrowser+".Start", 0).Err; err != nil {
			return fmt.Errorf("avahi: starting the record browser for %s: %w", q.name, err)
		}
	}
	return nil
}

// item handles ItemNew / ItemRemove (interface, protocol, name, class,
// type, rdata, flags).
func (q *Query) item(path dbus.ObjectPath, added bool, body []any) {
	if len(body) != 7 {
		return
	}
	ifidx, _ := body[0].(int32)
	proto, _ := body[1].(int32)
	name, _ := body[2].(string)
	class, _ := body[3].(uint16)
	rrtype, _ := body[4].(uint16)
	rdata, _ := body[5].([]byte)
	rr, err := makeRR(name, class, rrtype, rdata)
	if err != nil {
		q.b.log.Debug("avahi: unusable record from avahi-daemon", "name", name, "type", rrtype, "err", err)
		return
	}
	ifname := q.b.ifname(ifidx)
	key := ifname + "\x00" + strings.ToLower(rr.Header().Name) + "\x00" + fmt.Sprint(rrtype) + "\x00" + hex.EncodeToString(rdata)

	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || path != q.path {
		return
	}
	it := q.items[key]
	if added {
		if it == nil {
			it = &item{ev: Event{Interface: ifname, Record: rr}, protos: map[int32]bool{}}
			q.items[key] = it
			q.push(it.ev)
		}
		it.stale = false
		it.protos[proto] = true
		return
	}
	if it == nil {
		return
	}
	delete(it.protos, proto)
	if len(it.protos) == 0 && !it.stale {
		delete(q.items, key)
		q.push(Event{Removed: true, Interface: it.ev.Interface, Record: it.ev.Record})
	}
}

// push queues an event for Next; q.mu is held.
func (q *Query) push(ev Event) {
	if q.err != nil {
		return
	}
	if len(q.pending) >= q.b.cfg.MaxPending {
		q.err = fmt.Errorf("avahi: %w: %d events not read", ErrLimit, len(q.pending))
		q.pending = nil
	} else {
		q.pending = append(q.pending, ev)
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// vanish: avahi-daemon left. What it reported stays until a new browser
// confirms it or the sweep removes it.
func (q *Query) vanish() {
	q.mu.Lock()
	q.path = ""
	q.gen++
	gen := q.gen
	for _, it := range q.items {
		it.stale = true
		clear(it.protos)
	}
	q.mu.Unlock()
	time.AfterFunc(sweepAfter, func() { q.sweep(gen) })
}

// rebrowse starts a new browser after avahi-daemon came back.
func (q *Query) rebrowse() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := q.browse(ctx); err != nil {
		q.fail(err)
		return
	}
	q.mu.Lock()
	gen := q.gen
	q.mu.Unlock()
	time.AfterFunc(sweepAfter, func() { q.sweep(gen) })
}

// allForNow: the browser has reported what Avahi knows.
func (q *Query) allForNow(path dbus.ObjectPath) {
	q.mu.Lock()
	ok := path == q.path
	gen := q.gen
	q.mu.Unlock()
	if ok {
		q.sweep(gen)
	}
}

// sweep reports as removed the records no browser of generation gen
// reported again.
func (q *Query) sweep(gen int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || q.gen != gen {
		return
	}
	for k, it := range q.items {
		if it.stale {
			delete(q.items, k)
			q.push(Event{Removed: true, Interface: it.ev.Interface, Record: it.ev.Record})
		}
	}
}

func (q *Query) fail(err error) {
	q.mu.Lock()
	if q.err == nil {
		q.err = err
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Next returns the next event.
func (q *Query) Next(ctx context.Context) (Event, error) {
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return Event{}, ErrClosed
		}
		if len(q.pending) > 0 {
			ev := q.pending[0]
			q.pending = q.pending[1:]
			q.mu.Unlock()
			return ev, nil
		}
		if q.err != nil {
			err := q.err
			q.mu.Unlock()
			return Event{}, err
		}
		q.mu.Unlock()
		select {
		case <-q.wake:
		case <-ctx.Done():
			return Event{}, ctx.Err()
		}
	}
}

// Close frees the record browser.
func (q *Query) Close() error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	q.closed = true
	path := q.path
	q.path = ""
	q.mu.Unlock()
	q.b.mu.Lock()
	delete(q.b.queries, q)
	delete(q.b.browsers, path)
	q.b.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	if path != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = q.b.conn.Object(busName, path).CallWithContext(ctx, ifaceRecordBrowser+".Free", 0).Err
	}
	return nil
}

// makeRR builds a record from what Avahi reports: its name in Avahi's form
// and the uncompressed rdata.
func makeRR(name string, class, rrtype uint16, rdata []byte) (dns.RR, error) {
	n, err := fromAvahi(name)
	if err != nil {
		return nil, err
	}
	if len(rdata) > 0xffff {
		return nil, fmt.Errorf("rdata of %d bytes", len(rdata))
	}
	h := dns.RR_Header{Name: n, Rrtype: rrtype, Class: class &^ 0x8000, Ttl: NominalTTL, Rdlength: uint16(len(rdata))}
	rr, off, err := dns.UnpackRRWithHeader(h, rdata, 0)
	if err != nil {
		return nil, err
	}
	// miekg/dns accepts rdata cut short (partial records are legal in
	// DNS UPDATE); a record must pack back to the rdata's length here.
	buf := make([]byte, 2*(len(rdata)+300))
	end, err := dns.PackRR(rr, buf, 0, nil, false)
	if err != nil {
		return nil, err
	}
	hdr, _ := dns.PackDomainName(n, buf[end:], 0, nil, false)
	if off != len(rdata) || end-hdr-10 != len(rdata) {
		return nil, fmt.Errorf("%d octets of rdata do not make a whole %s record", len(rdata), dns.TypeToString[rrtype])
	}
	return rr, nil
}
