package daemon

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/miekg/dns"

	"github.com/rendezvous-mdns/rendezvous/dnssd"
	"github.com/rendezvous-mdns/rendezvous/internal/dnsname"
	"github.com/rendezvous-mdns/rendezvous/internal/ipc"
)

// operation is one running request of a connection: the single one of a
// dedicated connection or a sub-operation of a shared one.
type operation interface {
	// start launches the operation's goroutines; called once its error
	// code has gone out.
	start()
	// stop ends it: no reply is queued after stop returns, and its
	// goroutines finish on their own (a registration withdraws first).
	stop()
	// mute makes it queue no more replies, without stopping it yet.
	mute()
}

// opBase is what every operation has: its client_context, its session and
// a context that stop cancels.
type opBase struct {
	s       *session
	key     [8]byte
	noReply bool // IPC_FLAGS_NOREPLY: the client wants no asynchronous replies
	ctx     context.Context
	cancel  context.CancelFunc

	sendMu  sync.Mutex
	stopped bool
}

func (s *session) newBase(h ipc.Header) *opBase {
	ctx, cancel := context.WithCancel(s.ctx)
	return &opBase{s: s, key: h.Context, noReply: h.IPCFlags&ipc.NoReply != 0, ctx: ctx, cancel: cancel}
}

// send queues a reply for this operation unless it was stopped.
func (o *opBase) send(body ipc.ReplyBody) {
	if o.noReply {
		return
	}
	o.sendMu.Lock()
	defer o.sendMu.Unlock()
	if o.stopped {
		return
	}
	o.s.sendReply(o.key, body)
}

func (o *opBase) mute() {
	o.sendMu.Lock()
	o.stopped = true
	o.sendMu.Unlock()
}

func (o *opBase) stop() {
	o.mute()
	o.cancel()
}

// goRun runs f in a goroutine that the session waits for.
func (o *opBase) goRun(f func()) { o.s.opsWG.Go(f) }

// pump delivers q's events to fn until the operation stops or the query
// fails, then closes q.
func (o *opBase) pump(q dnssd.BackendQuery, fn func(dnssd.RecordEvent)) {
	o.goRun(func() {
		defer q.Close()
		for {
			ev, err := q.Next(o.ctx)
			if err != nil {
				if o.ctx.Err() == nil {
					o.s.log.Debug("daemon: query ended", "err", err)
				}
				return
			}
			if ev.Record == nil {
				continue
			}
			fn(ev)
		}
	})
}

// errorCode maps a Backend error onto a DNSServiceErrorType.
func errorCode(err error) ipc.Error {
	var ne *dnssd.NameError
	var ie ipc.Error
	switch {
	case err == nil:
		return ipc.NoError
	case errors.As(err, &ie):
		return ie // a Backend that is itself a client of a daemon
	case errors.Is(err, dnssd.ErrLimit):
		return ipc.NoMemory
	case errors.Is(err, dnssd.ErrClosed):
		return ipc.ServiceNotRunning
	case errors.As(err, &ne):
		return ipc.BadParam
	case errors.Is(err, context.DeadlineExceeded):
		return ipc.Timeout
	}
	return ipc.Unknown
}

// checkInterface checks a request's interfaceIndex: 0 is every interface;
// an index must name an existing interface (BadParam otherwise, as Apple's
// daemon answers in register_record_queued.json); the special indexes
// (local-only, unicast, P2P) have no Backend counterpart.
func (s *Server) checkInterface(idx uint32) ipc.Error {
	switch idx {
	case ipc.InterfaceIndexAny:
		return ipc.NoError
	case ipc.InterfaceIndexLocalOnly, ipc.InterfaceIndexUnicast, ipc.InterfaceIndexP2P:
		return ipc.Unsupported
	}
	if !s.ifaces.exists(idx) {
		return ipc.BadParam
	}
	return ipc.NoError
}

// normDomain returns a request's domain in miekg/dns form, lower case,
// with a final dot; "" is "local." (README "Reply bodies", Names).
func normDomain(d string) (string, error) {
	if d == "" || d == "." {
		return dnssd.Local, nil
	}
	n, err := ipc.ParseName(d)
	if err != nil {
		return "", err
	}
	return dnsname.Lower(n), nil
}

// linkLocalZones are the names multicast DNS answers for (RFC 6762 §3,
// §4): the local. domain and the link-local reverse-mapping zones.
var linkLocalZones = []string{"local.", "254.169.in-addr.arpa.", "8.e.f.ip6.arpa.", "9.e.f.ip6.arpa.", "a.e.f.ip6.arpa.", "b.e.f.ip6.arpa."}

// onLink reports whether name (miekg/dns form, with a final dot) is in one
// of the zones multicast DNS serves. The Backends this daemon has speak
// multicast DNS only; a unicast name would be asked on the link and never
// answered, so such requests are refused with Unsupported instead.
func onLink(name string) bool {
	n := dnsname.Lower(name)
	for _, z := range linkLocalZones {
		if n == z || strings.HasSuffix(n, "."+z) {
			return true
		}
	}
	return false
}

// wireDomain is a domain as replies carry it ("local.").
func wireDomain(d string) string {
	w, err := ipc.FormatName(d)
	if err != nil {
		return d
	}
	return w
}

// rdata returns the wire form of rr's data, uncompressed. It packs a copy:
// packing sets the header's Rdlength, and a Backend may hand the same
// record to several queries.
func rdata(rr dns.RR) ([]byte, error) {
	rr = dns.Copy(rr)
	buf := make([]byte, dns.Len(rr)+32)
	end, err := dns.PackRR(rr, buf, 0, nil, false)
	if err != nil {
		return nil, err
	}
	name := make([]byte, 256)
	n, err := dns.PackDomainName(dns.Fqdn(rr.Header().Name), name, 0, nil, false)
	if err != nil {
		return nil, err
	}
	start := n + 10 // type, class, ttl, rdlength
	if start > end {
		return nil, errors.New("record shorter than its header")
	}
	return buf[start:end], nil
}

// txtFromWire reads TXT rdata as a request carries it (an empty TXT may be
// sent as no bytes at all, README "Other details seen on the wire").
func txtFromWire(raw []byte) (dnssd.TXT, error) {
	var strs []string
	for len(raw) > 0 {
		n := int(raw[0])
		if 1+n > len(raw) {
			return dnssd.TXT{}, errors.New("TXT string runs past the end of the data")
		}
		strs = append(strs, dnsname.EscapeTXT(string(raw[1:1+n])))
		raw = raw[1+n:]
	}
	if len(strs) == 0 {
		return dnssd.TXT{}, nil
	}
	return dnssd.TXTFromDNSStrings(strs)
}

// firstLabel returns the first label of a name in miekg/dns form, raw.
func firstLabel(name string) string {
	l, _ := dnsname.SplitFirst(name)
	raw, err := dnsname.UnescapeLabel(l)
	if err != nil {
		return l
	}
	return raw
}

// sameName compares two names in miekg/dns form, ignoring ASCII case and a
// missing final dot.
func sameName(a, b string) bool {
	return dnsname.Equal(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}
