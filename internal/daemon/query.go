package daemon

import (
	"bytes"
	"sync"

	"github.com/miekg/dns"

	"github.com/rendezvous-mdns/rendezvous/dnssd"
	"github.com/rendezvous-mdns/rendezvous/internal/dnsname"
	"github.com/rendezvous-mdns/rendezvous/internal/ipc"
)

// recordReply is one record as a query_reply or addrinfo_reply reports it.
type recordReply struct {
	flags ipc.Flags
	idx   uint32
	name  string // C-string form, as replies carry it
	rr    dns.RR
	data  []byte
}

// recordTracker remembers the records an operation reported, so that an
// Updated event (a unique record replaced by new data, RFC 6762 §10.2) can
// be reported the way dns_sd clients expect: the old data removed, the new
// added. RecordEvent does not carry the old record, so when several
// records of one name and type were reported on an interface the oldest
// one is taken as replaced, which is also the one the engine replaces.
type recordTracker struct {
	mu   sync.Mutex
	seen []tracked
}

type tracked struct {
	idx   uint32
	name  string // lower case
	rtype uint16
	data  []byte
	rr    dns.RR
}

// apply turns an event into the replies it causes, in order.
func (t *recordTracker) apply(kind dnssd.EventKind, idx uint32, rr dns.RR) []recordReply {
	data, err := rdata(rr)
	if err != nil {
		return nil
	}
	name, err := ipc.FormatName(rr.Header().Name)
	if err != nil {
		return nil
	}
	key := tracked{idx: idx, name: dnsname.Lower(dns.Fqdn(rr.Header().Name)), rtype: rr.Header().Rrtype, data: data, rr: rr}
	t.mu.Lock()
	defer t.mu.Unlock()
	find := func(sameData bool) int {
		for i, s := range t.seen {
			if s.idx == key.idx && s.rtype == key.rtype && s.name == key.name && bytes.Equal(s.data, key.data) == sameData {
				return i
			}
		}
		return -1
	}
	add := recordReply{flags: ipc.FlagAdd, idx: idx, name: name, rr: rr, data: data}
	switch kind {
	case dnssd.Removed:
		i := find(true)
		if i < 0 {
			return nil
		}
		t.seen = append(t.seen[:i], t.seen[i+1:]...)
		gone := dns.Copy(rr)
		gone.Header().Ttl = 0
		return []recordReply{{idx: idx, name: name, rr: gone, data: data}}
	case dnssd.Updated:
		if find(true) >= 0 {
			return nil // same data: a TTL refresh, no news
		}
		var out []recordReply
		if i := find(false); i >= 0 {
			old := t.seen[i]
			t.seen = append(t.seen[:i], t.seen[i+1:]...)
			gone := dns.Copy(old.rr)
			gone.Header().Ttl = 0
			out = append(out, recordReply{idx: idx, name: name, rr: gone, data: old.data})
		}
		t.seen = append(t.seen, key)
		return append(out, add)
	default:
		if find(true) >= 0 {
			return nil
		}
		t.seen = append(t.seen, key)
		return []recordReply{add}
	}
}

// queryOp is a query_request (DNSServiceQueryRecord): a continuous query
// for the name and type, one query_reply per record added (flags Add) or
// removed (flags 0), with the record's wire rdata (README query.json,
// query_txt.json).
type queryOp struct {
	*opBase
	q       dnssd.BackendQuery
	ifIndex uint32
	track   recordTracker
}

func (s *session) prepareQuery(base *opBase, b ipc.QueryRequest) (operation, ipc.Error) {
	if code := s.srv.checkInterface(b.InterfaceIndex); code != ipc.NoError {
		return nil, code
	}
	if b.RRClass != dns.ClassINET && b.RRClass != dns.ClassANY {
		return nil, ipc.Unsupported // multicast DNS is class IN
	}
	name, err := ipc.ParseName(b.FullName)
	if err != nil || name == "." {
		return nil, ipc.BadParam
	}
	if !onLink(name) {
		return nil, ipc.Unsupported // a unicast DNS name: see onLink
	}
	q, err := s.srv.Backend.Query(base.ctx, name, b.RRType)
	if err != nil {
		return nil, errorCode(err)
	}
	return &queryOp{opBase: base, q: q, ifIndex: b.InterfaceIndex}, ipc.NoError
}

func (o *queryOp) start() { o.pump(o.q, o.event) }

func (o *queryOp) event(ev dnssd.RecordEvent) {
	idx := o.s.srv.ifaces.index(ev.Interface)
	if o.ifIndex != 0 && idx != o.ifIndex {
		return
	}
	for _, r := range o.track.apply(ev.Kind, idx, ev.Record) {
		h := r.rr.Header()
		o.send(ipc.QueryReply{
			ReplyCommon: ipc.ReplyCommon{Flags: r.flags, InterfaceIndex: r.idx},
			FullName:    r.name, RRType: h.Rrtype, RRClass: h.Class &^ 0x8000, RData: r.data, TTL: h.Ttl,
		})
	}
}

// addrInfoOp is an addrinfo_request (DNSServiceGetAddrInfo): A and/or
// AAAA queries for the host, one addrinfo_reply per address (README
// getaddrinfo.json).
type addrInfoOp struct {
	*opBase
	qs      []dnssd.BackendQuery
	ifIndex uint32
	track   recordTracker
}

func (s *session) prepareAddrInfo(base *opBase, b ipc.AddrInfoRequest) (operation, ipc.Error) {
	if code := s.srv.checkInterface(b.InterfaceIndex); code != ipc.NoError {
		return nil, code
	}
	proto := b.Protocol
	if proto&^(ipc.ProtocolIPv4|ipc.ProtocolIPv6) != 0 {
		return nil, ipc.BadParam
	}
	if proto == 0 {
		proto = ipc.ProtocolIPv4 | ipc.ProtocolIPv6 // dns_sd.h: 0 = what the host can use
	}
	name, err := ipc.ParseName(b.Hostname)
	if err != nil || name == "." {
		return nil, ipc.BadParam
	}
	if !onLink(name) {
		return nil, ipc.Unsupported // a unicast DNS name: see onLink
	}
	o := &addrInfoOp{opBase: base, ifIndex: b.InterfaceIndex}
	for _, t := range []struct {
		bit   uint32
		rtype uint16
	}{{ipc.ProtocolIPv4, dns.TypeA}, {ipc.ProtocolIPv6, dns.TypeAAAA}} {
		if proto&t.bit == 0 {
			continue
		}
		q, err := s.srv.Backend.Query(base.ctx, name, t.rtype)
		if err != nil {
			for _, q := range o.qs {
				q.Close()
			}
			return nil, errorCode(err)
		}
		o.qs = append(o.qs, q)
	}
	return o, ipc.NoError
}

func (o *addrInfoOp) start() {
	for _, q := range o.qs {
		o.pump(q, o.event)
	}
}

func (o *addrInfoOp) event(ev dnssd.RecordEvent) {
	switch ev.Record.(type) {
	case *dns.A, *dns.AAAA:
	default:
		return
	}
	idx := o.s.srv.ifaces.index(ev.Interface)
	if o.ifIndex != 0 && idx != o.ifIndex {
		return
	}
	for _, r := range o.track.apply(ev.Kind, idx, ev.Record) {
		h := r.rr.Header()
		o.send(ipc.AddrInfoReply{
			ReplyCommon: ipc.ReplyCommon{Flags: r.flags, InterfaceIndex: r.idx},
			Hostname:    r.name, RRType: h.Rrtype, RRClass: h.Class &^ 0x8000, RData: r.data, TTL: h.Ttl,
		})
	}
}
