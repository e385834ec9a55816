package driver

import (
	"context"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/rendezvous-mdns/rendezvous/internal/mdns"
)

// Query is a running continuous query. Its results wait in a bounded queue
// that coalesces per record: a record added and removed before the consumer
// looked is never reported, and a later event for a record replaces an
// earlier undelivered one.
type Query struct {
	d     *Driver
	id    mdns.QueryID
	limit int

	mu      sync.Mutex
	queue   []*queued
	byKey   map[string]*queued
	ready   chan struct{} // has a value when the queue is non-empty
	err     error         // set when the query ended
	dropped uint64
}

type queued struct {
	key string
	ev  mdns.Event
	// seen: the consumer was told about this record before (so a Removed
	// must be delivered).
	seen bool
}

// StartQuery starts a continuous query.
func (d *Driver) StartQuery(ctx context.Context, q mdns.Question) (*Query, error) {
	var qu *Query
	var err error
	derr := d.do(ctx, func(now time.Time) {
		qu = &Query{d: d, limit: d.cfg.QueueLimit, byKey: map[string]*queued{}, ready: make(chan struct{}, 1)}
		// Register before starting: StartQuery reports cached records at once.
		var id mdns.QueryID
		id, err = d.e.StartQuery(now, q)
		if err != nil {
			return
		}
		qu.id = id
		d.queries[id] = qu
		// Events of the start are still in the engine's queue; pump sends
		// them here after this function returns.
	})
	if derr != nil {
		return nil, derr
	}
	return qu, err
}

// push queues an event from the engine (called on the loop).
func (q *Query) push(ev mdns.Event) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return
	}
	k := keyOf(ev)
	if old := q.byKey[k]; old != nil {
		switch {
		case ev.Kind == mdns.EventRemoved && !old.seen:
			// Added and gone before anyone looked.
			q.unlink(old)
			return
		case ev.Kind == mdns.EventUpdated && old.ev.Kind == mdns.EventAdded:
			ev.Kind = mdns.EventAdded
			ev.Old = nil
		}
		old.ev = ev
		return
	}
	if len(q.queue) >= q.limit {
		q.dropped++
		q.unlink(q.queue[0])
	}
	it := &queued{key: k, ev: ev, seen: ev.Kind != mdns.EventAdded}
	q.queue = append(q.queue, it)
	q.byKey[k] = it
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// keyOf identifies the record an event is about: link, name, type, and for
// multi-valued RRsets the data (an Updated event replaces the RRset's
// single value, so for SRV and TXT the data is left out).
func keyOf(ev mdns.Event) string {
	h := ev.Record.Header()
	k := string(rune(ev.Link)) + "\x00" + dns.CanonicalName(h.Name) + "\x00" + dns.TypeToString[h.Rrtype]
	switch h.Rrtype {
	case dns.TypeSRV, dns.TypeTXT:
		return k
	}
	rr := dns.Copy(ev.Record)
	rr.Header().Ttl = 0
	return k + "\x00" + rr.String()
}

func (q *Query) unlink(it *queued) {
	delete(q.byKey, it.key)
	for i, x := range q.queue {
		if x == it {
			q.queue = append(q.queue[:i], q.queue[i+1:]...)
			break
		}
	}
}

func (q *Query) finish(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err == nil {
		q.err = err
		select {
		case q.ready <- struct{}{}:
		default:
		}
	}
}

// Next returns the next result, waiting for one until ctx ends or the query
// is closed.
func (q *Query) Next(ctx context.Context) (mdns.Event, error) {
	for {
		q.mu.Lock()
		if len(q.queue) > 0 {
			it := q.queue[0]
			q.queue = q.queue[1:]
			delete(q.byKey, it.key)
			if len(q.queue) > 0 {
				select {
				case q.ready <- struct{}{}:
				default:
				}
			}
			q.mu.Unlock()
			return it.ev, nil
		}
		err := q.err
		q.mu.Unlock()
		if err != nil {
			return mdns.Event{}, err
		}
		select {
		case <-q.ready:
		case <-ctx.Done():
			return mdns.Event{}, ctx.Err()
		}
	}
}

// Dropped reports how many results were dropped because the consumer fell
// more than the queue limit behind.
func (q *Query) Dropped() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dropped
}

// Close stops the query.
func (q *Query) Close() error {
	_ = q.d.do(context.Background(), func(now time.Time) {
		_ = q.d.e.StopQuery(now, q.id)
		delete(q.d.queries, q.id)
	})
	q.finish(ErrClosed)
	return nil
}
