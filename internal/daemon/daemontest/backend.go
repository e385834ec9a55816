// Package daemontest provides an in-memory dnssd.Backend for tests of the
// daemon and of the clients that talk to it. It touches no network: records
// are injected by the test, registrations establish at once (or when the
// test releases them) and publish their PTR, SRV and TXT records into the
// same record set, so a query sees them as it would see a peer's.
package daemontest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/miekg/dns"

	"github.com/rendezvous-mdns/rendezvous/dnssd"
	"github.com/rendezvous-mdns/rendezvous/internal/dnsname"
)

// Backend is a fake dnssd.Backend. The zero value is not usable; call New.
type Backend struct {
	// HostName is the SRV target of registrations ("fakehost.local.").
	HostName string
	// Interface is the interface name that events of registrations'
	// records carry ("" = unknown, index 0).
	Interface string

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every state change
	records  []entry
	queries  map[*query]struct{}
	regs     []*Registration
	taken    map[string]bool // lower-cased instance names held by "peers"
	hold     bool
	released chan struct{}
	closed   bool
	nQueries int // queries ever started
	regErr   error
	queryErr error
}

type entry struct {
	iface string
	rr    dns.RR
}

// New returns an empty fake backend.
func New() *Backend {
	return &Backend{
		HostName: "fakehost.local.",
		changed:  make(chan struct{}),
		queries:  map[*query]struct{}{},
		taken:    map[string]bool{},
		released: make(chan struct{}),
	}
}

var _ dnssd.Backend = (*Backend)(nil)

// notifyLocked wakes everyone waiting in WaitFor.
func (b *Backend) notifyLocked() {
	close(b.changed)
	b.changed = make(chan struct{})
}

// Snapshot is the backend's state at one moment.
type Snapshot struct {
	ActiveQueries  int // running queries
	QueriesStarted int // queries ever started
	Registrations  []RegState
}

// RegState is one registration's state in a Snapshot.
type RegState struct {
	Reg       *Registration
	Requested dnssd.Service
	Name      string
	TXT       dnssd.TXT
	Updates   int // UpdateTXT calls
	Closed    bool
}

// Active counts the registrations not closed.
func (s Snapshot) Active() int {
	n := 0
	for _, r := range s.Registrations {
		if !r.Closed {
			n++
		}
	}
	return n
}

func (b *Backend) snapshotLocked() Snapshot {
	s := Snapshot{ActiveQueries: len(b.queries), QueriesStarted: b.nQueries}
	for _, r := range b.regs {
		s.Registrations = append(s.Registrations, RegState{Reg: r, Requested: r.Requested, Name: r.name, TXT: r.txt, Updates: r.updates, Closed: r.closed})
	}
	return s
}

// Snapshot returns the current state.
func (b *Backend) Snapshot() Snapshot {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.snapshotLocked()
}

// WaitFor waits until cond holds for the backend's state, or ctx ends; it
// returns the last state it saw.
func (b *Backend) WaitFor(ctx context.Context, cond func(Snapshot) bool) (Snapshot, error) {
	for {
		b.mu.Lock()
		s := b.snapshotLocked()
		ch := b.changed
		b.mu.Unlock()
		if cond(s) {
			return s, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return s, fmt.Errorf("daemontest: condition not met: %w (state %+v)", ctx.Err(), s)
		}
	}
}

// Take marks an instance name as held by a peer: Register renames a
// service of that name to "Name (2)" (the next free one), as the engine
// does after losing a probe (RFC 6762 §9).
func (b *Backend) Take(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.taken[strings.ToLower(name)] = true
}

// Hold makes Register block (as if probing) until Release.
func (b *Backend) Hold() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.hold = true
	b.released = make(chan struct{})
}

// Release lets held registrations establish.
func (b *Backend) Release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.hold {
		b.hold = false
		close(b.released)
	}
}

// FailRegister makes later Register calls fail with err (nil clears it).
func (b *Backend) FailRegister(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.regErr = err
}

// FailQuery makes later Query calls fail with err (nil clears it).
func (b *Backend) FailQuery(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.queryErr = err
}

// AddRecord adds a record seen on iface; matching queries report it Added.
func (b *Backend) AddRecord(iface string, rr dns.RR) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.addLocked(iface, rr)
}

// RemoveRecord removes a record (by name, type and data); matching queries
// report it Removed.
func (b *Backend) RemoveRecord(iface string, rr dns.RR) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.removeLocked(iface, rr)
}

// UpdateRecord replaces old by rr (a unique record's new data); matching
// queries report rr Updated.
func (b *Backend) UpdateRecord(iface string, old, rr dns.RR) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, e := range b.records {
		if e.iface == iface && dns.IsDuplicate(e.rr, old) {
			b.records[i].rr = rr
			b.emitLocked(dnssd.RecordEvent{Kind: dnssd.Updated, Interface: iface, Record: dns.Copy(rr)})
			b.notifyLocked()
			return
		}
	}
	b.addLocked(iface, rr)
}

func (b *Backend) addLocked(iface string, rr dns.RR) {
	b.records = append(b.records, entry{iface, dns.Copy(rr)})
	b.emitLocked(dnssd.RecordEvent{Kind: dnssd.Added, Interface: iface, Record: dns.Copy(rr)})
	b.notifyLocked()
}

func (b *Backend) removeLocked(iface string, rr dns.RR) {
	for i, e := range b.records {
		if e.iface == iface && dns.IsDuplicate(e.rr, rr) {
			b.records = append(b.records[:i], b.records[i+1:]...)
			gone := dns.Copy(e.rr)
			gone.Header().Ttl = 0
			b.emitLocked(dnssd.RecordEvent{Kind: dnssd.Removed, Interface: iface, Record: gone})
			b.notifyLocked()
			return
		}
	}
}

// emitLocked hands ev to every matching query. They share the record, as
// a real Backend may: consumers must not modify it.
func (b *Backend) emitLocked(ev dnssd.RecordEvent) {
	for q := range b.queries {
		if q.matches(ev.Record) {
			q.push(ev)
		}
	}
}

// Register implements dnssd.Backend.
func (b *Backend) Register(ctx context.Context, svc dnssd.Service) (dnssd.BackendRegistration, error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, dnssd.ErrClosed
	}
	if b.regErr != nil {
		err := b.regErr
		b.mu.Unlock()
		return nil, err
	}
	hold, released := b.hold, b.released
	b.mu.Unlock()
	if hold {
		select {
		case <-released:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, dnssd.ErrClosed
	}
	name := svc.Name
	for n := 2; b.taken[strings.ToLower(name)] || b.inUseLocked(name, svc.Type); n++ {
		name = fmt.Sprintf("%s (%d)", svc.Name, n)
	}
	r := &Registration{b: b, Requested: svc, name: name, txt: svc.TXT, renamed: make(chan string, 1)}
	b.regs = append(b.regs, r)
	r.publishLocked()
	b.notifyLocked()
	return r, nil
}

func (b *Backend) inUseLocked(name string, t dnssd.ServiceType) bool {
	for _, r := range b.regs {
		if !r.closed && strings.EqualFold(r.name, name) && r.Requested.Type.Base() == t.Base() {
			return true
		}
	}
	return false
}

// Query implements dnssd.Backend. The records already known are reported
// Added at once.
func (b *Backend) Query(ctx context.Context, name string, rrtype uint16) (dnssd.BackendQuery, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, dnssd.ErrClosed
	}
	if b.queryErr != nil {
		return nil, b.queryErr
	}
	q := &query{b: b, name: dnsname.Lower(dns.Fqdn(name)), rrtype: rrtype, wake: make(chan struct{}, 1)}
	for _, e := range b.records {
		if q.matches(e.rr) {
			q.push(dnssd.RecordEvent{Kind: dnssd.Added, Interface: e.iface, Record: dns.Copy(e.rr)})
		}
	}
	b.queries[q] = struct{}{}
	b.nQueries++
	b.notifyLocked()
	return q, nil
}

// Close implements dnssd.Backend: it ends every query and registration.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	for q := range b.queries {
		q.closeLocked()
	}
	for _, r := range b.regs {
		if !r.closed {
			r.closed = true
			close(r.renamed)
		}
	}
	b.notifyLocked()
	return nil
}

// Registration is a fake registration. Its records (PTR, SRV, TXT, and a
// PTR per subtype) are in the backend's record set while it is open.
type Registration struct {
	b         *Backend
	Requested dnssd.Service

	// guarded by b.mu
	name    string
	txt     dnssd.TXT
	closed  bool
	updates int
	renamed chan string
}

var _ dnssd.BackendRegistration = (*Registration)(nil)

func (r *Registration) records() []dns.RR {
	svc := r.Requested
	svc.Name = r.name
	inst := svc.Instance()
	full := inst.DNSName()
	domain := svc.Domain
	out := []dns.RR{
		&dns.PTR{Hdr: dns.RR_Header{Name: svc.Type.DNSName(domain), Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: 4500}, Ptr: full},
		&dns.SRV{Hdr: dns.RR_Header{Name: full, Rrtype: dns.TypeSRV, Class: dns.ClassINET, Ttl: 120}, Port: svc.Port, Target: r.b.HostName},
		&dns.TXT{Hdr: dns.RR_Header{Name: full, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 4500}, Txt: r.txt.DNSStrings()},
	}
	for _, sub := range svc.Type.Subtypes() {
		out = append(out, &dns.PTR{Hdr: dns.RR_Header{Name: svc.Type.SubtypeDNSName(sub, domain), Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: 4500}, Ptr: full})
	}
	return out
}

func (r *Registration) publishLocked() {
	for _, rr := range r.records() {
		r.b.addLocked(r.b.Interface, rr)
	}
}

func (r *Registration) withdrawLocked() {
	for _, rr := range r.records() {
		r.b.removeLocked(r.b.Interface, rr)
	}
}

// Name implements dnssd.BackendRegistration.
func (r *Registration) Name() string {
	r.b.mu.Lock()
	defer r.b.mu.Unlock()
	return r.name
}

// TXT returns the current TXT record.
func (r *Registration) TXT() dnssd.TXT {
	r.b.mu.Lock()
	defer r.b.mu.Unlock()
	return r.txt
}

// Closed reports whether the registration was withdrawn.
func (r *Registration) Closed() bool {
	r.b.mu.Lock()
	defer r.b.mu.Unlock()
	return r.closed
}

// Renamed implements dnssd.BackendRegistration.
func (r *Registration) Renamed() <-chan string { return r.renamed }

// Rename simulates a conflict after establishment (RFC 6762 §9): the
// records move to the new name and Renamed delivers it.
func (r *Registration) Rename(name string) {
	r.b.mu.Lock()
	defer r.b.mu.Unlock()
	if r.closed {
		return
	}
	r.withdrawLocked()
	r.name = name
	r.publishLocked()
	select {
	case <-r.renamed: // keep only the newest, like the embedded backend
	default:
	}
	r.renamed <- name
	r.b.notifyLocked()
}

// UpdateTXT implements dnssd.BackendRegistration.
func (r *Registration) UpdateTXT(ctx context.Context, txt dnssd.TXT) error {
	r.b.mu.Lock()
	defer r.b.mu.Unlock()
	if r.closed {
		return dnssd.ErrClosed
	}
	old := r.records()[2]
	r.txt = txt
	r.updates++
	nw := r.records()[2]
	for i, e := range r.b.records {
		if e.iface == r.b.Interface && dns.IsDuplicate(e.rr, old) {
			r.b.records[i].rr = nw
			break
		}
	}
	r.b.emitLocked(dnssd.RecordEvent{Kind: dnssd.Updated, Interface: r.b.Interface, Record: dns.Copy(nw)})
	r.b.notifyLocked()
	return nil
}

// Close implements dnssd.BackendRegistration: the records are removed
// (queries see them Removed, as after goodbyes).
func (r *Registration) Close(ctx context.Context) error {
	r.b.mu.Lock()
	defer r.b.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	r.withdrawLocked()
	close(r.renamed)
	r.b.notifyLocked()
	return nil
}

type query struct {
	b      *Backend
	name   string
	rrtype uint16

	// guarded by b.mu
	events []dnssd.RecordEvent
	closed bool
	wake   chan struct{}
}

func (q *query) matches(rr dns.RR) bool {
	h := rr.Header()
	return dnsname.Lower(h.Name) == q.name && (q.rrtype == dns.TypeANY || q.rrtype == h.Rrtype)
}

func (q *query) push(ev dnssd.RecordEvent) {
	q.events = append(q.events, ev)
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// ErrQueryClosed is what Next returns after Close.
var ErrQueryClosed = errors.New("daemontest: query closed")

// Next implements dnssd.BackendQuery.
func (q *query) Next(ctx context.Context) (dnssd.RecordEvent, error) {
	for {
		q.b.mu.Lock()
		if len(q.events) > 0 {
			ev := q.events[0]
			q.events = q.events[1:]
			q.b.mu.Unlock()
			return ev, nil
		}
		closed := q.closed
		q.b.mu.Unlock()
		if closed {
			return dnssd.RecordEvent{}, dnssd.ErrClosed
		}
		select {
		case <-q.wake:
		case <-ctx.Done():
			return dnssd.RecordEvent{}, ctx.Err()
		}
	}
}

// Close implements dnssd.BackendQuery.
func (q *query) Close() error {
	q.b.mu.Lock()
	defer q.b.mu.Unlock()
	q.closeLocked()
	return nil
}

func (q *query) closeLocked() {
	if q.closed {
		return
	}
	q.closed = true
	delete(q.b.queries, q)
	select {
	case q.wake <- struct{}{}:
	default:
	}
	q.b.notifyLocked()
}
