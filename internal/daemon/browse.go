package daemon

import (
	"strings"

	"github.com/miekg/dns"

	"github.com/rendezvous-mdns/rendezvous/dnssd"
	"github.com/rendezvous-mdns/rendezvous/internal/dnsname"
	"github.com/rendezvous-mdns/rendezvous/internal/ipc"
)

// metaType is the service type enumeration type (RFC 6763 §9).
const metaType = "_services._dns-sd._udp"

// browseOp is a browse_request (DNSServiceBrowse): a continuous PTR query
// on <type>.<domain> (or <subtype>._sub.<type>.<domain>), one browse_reply
// per instance appearing (flags Add) or going away (flags 0) (README
// browse.json).
type browseOp struct {
	*opBase
	q       dnssd.BackendQuery
	owner   string // the base type's name, "_goldtest._tcp.local."
	regtype string // as replies carry it: "_goldtest._tcp."
	domain  string // as replies carry it: "local."
	ifIndex uint32
	meta    bool // browsing _services._dns-sd._udp
}

func (s *session) prepareBrowse(base *opBase, b ipc.BrowseRequest) (operation, ipc.Error) {
	if code := s.srv.checkInterface(b.InterfaceIndex); code != ipc.NoError {
		return nil, code
	}
	domain, err := normDomain(b.Domain)
	if err != nil {
		return nil, ipc.BadParam
	}
	if !onLink(domain) {
		return nil, ipc.Unsupported // wide-area DNS-SD: see onLink
	}
	o := &browseOp{opBase: base, domain: wireDomain(domain), ifIndex: b.InterfaceIndex}
	var name string
	if rt := strings.TrimSuffix(b.RegType, "."); strings.EqualFold(rt, metaType) {
		// dns-sd -B _services._dns-sd._udp: the answers are service
		// types, reported as Apple's daemon does: name "_http", regtype
		// "_tcp.local.", domain ".".
		o.meta = true
		name = metaType + "." + domain
		o.owner = name
	} else {
		t, err := dnssd.ParseServiceType(b.RegType)
		if err != nil {
			return nil, ipc.BadParam
		}
		o.owner = t.DNSName(domain)
		name = o.owner
		if subs := t.Subtypes(); len(subs) == 1 {
			name = t.SubtypeDNSName(subs[0], domain)
		} else if len(subs) > 1 {
			return nil, ipc.BadParam // one subtype per browse (RFC 6763 §7.1)
		}
		o.regtype = string(t.Base()) + "."
	}
	q, err := s.srv.Backend.Query(base.ctx, name, dns.TypePTR)
	if err != nil {
		return nil, errorCode(err)
	}
	o.q = q
	return o, ipc.NoError
}

func (o *browseOp) start() { o.pump(o.q, o.event) }

func (o *browseOp) event(ev dnssd.RecordEvent) {
	ptr, ok := ev.Record.(*dns.PTR)
	if !ok {
		return
	}
	idx := o.s.srv.ifaces.index(ev.Interface)
	if o.ifIndex != 0 && idx != o.ifIndex {
		return
	}
	var flags ipc.Flags
	switch ev.Kind {
	case dnssd.Added:
		flags = ipc.FlagAdd
	case dnssd.Updated:
		return // a shared PTR does not change; its TTL refresh is no news
	}
	reply := ipc.BrowseReply{ReplyCommon: ipc.ReplyCommon{Flags: flags, InterfaceIndex: idx}, RegType: o.regtype, Domain: o.domain}
	if o.meta {
		// "_http._tcp.local." → "_http", "_tcp.local.", "."
		labels := dnsname.Labels(ptr.Ptr)
		if len(labels) < 3 {
			return
		}
		reply.Name = firstLabel(ptr.Ptr)
		rest := strings.Join(labels[1:], ".") + "."
		rt, err := ipc.FormatName(rest)
		if err != nil {
			return
		}
		reply.RegType, reply.Domain = rt, "."
	} else {
		inst, err := dnssd.InstanceFromPTR(o.owner, ptr.Ptr)
		if err != nil {
			return // a malformed name from the network
		}
		reply.Name = inst.Name // unescaped (README "Reply bodies", 66)
	}
	o.send(reply)
}
