package daemon

import (
	"bytes"
	"sync"

	"github.com/miekg/dns"

	"github.com/rendezvous-mdns/rendezvous/dnssd"
	"github.com/rendezvous-mdns/rendezvous/internal/ipc"
)

// resolveOp is a resolve_request (DNSServiceResolve): continuous SRV and
// TXT queries on the instance's name, and a resolve_reply (escaped full
// name, target host, port, TXT) whenever both are known and something
// changed (README resolve.json).
type resolveOp struct {
	*opBase
	srvQ, txtQ dnssd.BackendQuery
	name       string // the instance's name, miekg/dns form
	fullname   string // as replies carry it: `Golden\032Service._goldtest._tcp.local.`
	ifIndex    uint32

	mu     sync.Mutex
	srv    *dns.SRV
	srvIdx uint32
	txt    []byte // TXT rdata; nil until known
	sent   ipc.ResolveReply
	nSent  int
}

func (s *session) prepareResolve(base *opBase, b ipc.ResolveRequest) (operation, ipc.Error) {
	if code := s.srv.checkInterface(b.InterfaceIndex); code != ipc.NoError {
		return nil, code
	}
	t, err := dnssd.ParseServiceType(b.RegType)
	if err != nil {
		return nil, ipc.BadParam
	}
	domain, err := normDomain(b.Domain)
	if err != nil {
		return nil, ipc.BadParam
	}
	if !onLink(domain) {
		return nil, ipc.Unsupported // wide-area DNS-SD: see onLink
	}
	inst := dnssd.Instance{Name: b.Name, Type: t.Base(), Domain: domain}
	if err := inst.Validate(); err != nil {
		return nil, ipc.BadParam
	}
	o := &resolveOp{opBase: base, name: inst.DNSName(), ifIndex: b.InterfaceIndex}
	if o.fullname, err = ipc.FormatName(o.name); err != nil {
		return nil, ipc.BadParam
	}
	if o.srvQ, err = s.srv.Backend.Query(base.ctx, o.name, dns.TypeSRV); err != nil {
		return nil, errorCode(err)
	}
	if o.txtQ, err = s.srv.Backend.Query(base.ctx, o.name, dns.TypeTXT); err != nil {
		o.srvQ.Close()
		return nil, errorCode(err)
	}
	return o, ipc.NoError
}

func (o *resolveOp) start() {
	o.pump(o.srvQ, o.event)
	o.pump(o.txtQ, o.event)
}

func (o *resolveOp) event(ev dnssd.RecordEvent) {
	if !sameName(ev.Record.Header().Name, o.name) {
		return
	}
	idx := o.s.srv.ifaces.index(ev.Interface)
	if o.ifIndex != 0 && idx != o.ifIndex {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	switch rr := ev.Record.(type) {
	case *dns.SRV:
		if ev.Kind == dnssd.Removed {
			if o.srv != nil && o.srv.Port == rr.Port && sameName(o.srv.Target, rr.Target) {
				o.srv = nil
			}
			return
		}
		o.srv, o.srvIdx = rr, idx
	case *dns.TXT:
		if ev.Kind == dnssd.Removed {
			return // keep the last TXT: a resolve reports data, not its loss
		}
		data, err := rdata(rr)
		if err != nil {
			return
		}
		o.txt = data
	default:
		return
	}
	if o.srv == nil || o.txt == nil {
		return
	}
	target, err := ipc.FormatName(o.srv.Target)
	if err != nil {
		return
	}
	r := ipc.ResolveReply{
		ReplyCommon: ipc.ReplyCommon{InterfaceIndex: o.srvIdx},
		FullName:    o.fullname, HostTarget: target, Port: o.srv.Port, TXT: o.txt,
	}
	if o.nSent > 0 && r.InterfaceIndex == o.sent.InterfaceIndex && r.HostTarget == o.sent.HostTarget &&
		r.Port == o.sent.Port && bytes.Equal(r.TXT, o.sent.TXT) {
		return
	}
	o.sent = r
	o.nSent++
	o.send(r)
}
