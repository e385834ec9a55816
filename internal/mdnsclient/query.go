package mdnsclient

import (
	"context"
	"fmt"
	"sync"

	"github.com/miekg/dns"

	"github.com/rendezvous-mdns/rendezvous/internal/ipc"
)

// maxQueuedEvents bounds the events a query holds for a caller that does
// not call Next: the reader goroutine never blocks on a slow caller, and a
// query that falls this far behind fails with ErrLimit.
const maxQueuedEvents = 4096

// query is a query_request sub-operation.
// Event is a record the daemon reported added (Removed false) or removed.
type Event struct {
	Removed   bool
	Interface string
	Record    dns.RR
}

// Query is a running query_request.
type Query struct {
	b    *Backend
	key  [8]byte
	name string

	mu     sync.Mutex
	events []Event
	err    error // set when the query ended; Next returns it after the events
	wake   chan struct{}
}

// Query sends query_request (class IN) for name, in miekg/dns form, and
// rrtype; the daemon's query_reply frames become RecordEvents (flags Add
// → Added, else Removed).
func (b *Backend) Query(ctx context.Context, name string, rrtype uint16) (*Query, error) {
	wire, err := ipc.FormatName(dns.Fqdn(name))
	if err != nil {
		return nil, fmt.Errorf("query name %q: %w", name, err)
	}
	q := &Query{b: b, name: name, wake: make(chan struct{}, 1)}
	key, err := b.add(q)
	if err != nil {
		return nil, err
	}
	q.key = key
	code, err := b.request(ctx, ipc.Header{Context: key}, ipc.QueryRequest{
		Flags: ipc.FlagShareConnection, FullName: wire, RRType: rrtype, RRClass: dns.ClassINET,
	})
	if err == nil {
		err = daemonErr("query", name, code)
	}
	if err != nil {
		if b.remove(key) && code == ipc.NoError {
			b.cancel(key) // the request may have reached the daemon
		}
		return nil, err
	}
	return q, nil
}

// reply turns a query_reply into an event (in the reader goroutine).
func (q *Query) reply(rep ipc.Reply) {
	body, ok := rep.Body.(ipc.QueryReply)
	if !ok {
		return
	}
	if body.Error != ipc.NoError {
		q.end(daemonErr("query", q.name, body.Error))
		return
	}
	name, err := ipc.ParseName(body.FullName)
	if err != nil {
		q.b.log.Debug("mdnsresponder: reply with a bad name; skipped", "name", body.FullName, "err", err)
		return
	}
	h := dns.RR_Header{Name: name, Rrtype: body.RRType, Class: body.RRClass, Ttl: body.TTL, Rdlength: uint16(len(body.RData))}
	rr, _, err := dns.UnpackRRWithHeader(h, body.RData, 0)
	if err != nil || rr == nil {
		q.b.log.Debug("mdnsresponder: reply with bad rdata; skipped", "name", name, "type", body.RRType, "err", err)
		return
	}
	removed := true
	if body.Flags&ipc.FlagAdd != 0 {
		removed = false
	}
	ev := Event{Removed: removed, Interface: q.b.ifnames.name(body.InterfaceIndex), Record: rr}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return
	}
	if len(q.events) >= maxQueuedEvents {
		q.err = fmt.Errorf("mdnsresponder: query %s: %w: more than %d results waiting to be read", q.name, ErrLimit, maxQueuedEvents)
	} else {
		q.events = append(q.events, ev)
	}
	q.signal()
}

func (q *Query) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// end ends the query with err (once).
func (q *Query) end(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err == nil {
		q.err = err
	}
	q.signal()
}

// Next returns the next event.
func (q *Query) Next(ctx context.Context) (Event, error) {
	for {
		q.mu.Lock()
		if len(q.events) > 0 {
			ev := q.events[0]
			q.events[0] = Event{}
			q.events = q.events[1:]
			q.mu.Unlock()
			return ev, nil
		}
		err := q.err
		q.mu.Unlock()
		if err != nil {
			return Event{}, err
		}
		select {
		case <-q.wake:
		case <-ctx.Done():
			return Event{}, ctx.Err()
		}
	}
}

// Close sends cancel_request; Next then returns ErrClosed.
func (q *Query) Close() error {
	if q.b.remove(q.key) {
		q.b.cancel(q.key)
	}
	q.mu.Lock()
	q.events = nil
	q.err = ErrClosed
	q.mu.Unlock()
	q.signal()
	return nil
}
