package daemon

import (
	"context"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/rendezvous-mdns/rendezvous/dnssd"
	"github.com/rendezvous-mdns/rendezvous/internal/dnsname"
	"github.com/rendezvous-mdns/rendezvous/internal/ipc"
)

// updateTimeout bounds one UpdateTXT call on the Backend.
const updateTimeout = 5 * time.Second

// regOp is a reg_service_request (DNSServiceRegister) on the Backend: the
// error code goes out at once, the reg_service_reply with the final name
// after probing, and another after every later rename (README register.json,
// name_conflict.json).
type regOp struct {
	*opBase
	svc          dnssd.Service
	regtype      string // as replies carry it: "_goldtest._tcp."
	domain       string // as replies carry it: "local."
	noAutoRename bool

	mu      sync.Mutex
	reg     dnssd.BackendRegistration // set once established
	pending *dnssd.TXT                // an update that arrived before that
	done    bool                      // withdrawn, or failed
}

func (s *session) prepareRegister(base *opBase, b ipc.RegisterServiceRequest) (operation, ipc.Error) {
	switch {
	case b.Host != "":
		// An explicit target host (a proxy registration) needs an SRV
		// target other than this host; dnssd.Backend registers this
		// host's name only.
		return nil, ipc.Unsupported
	case b.Port == 0:
		// Port 0 reserves a name without an SRV record (dns_sd.h); the
		// Backend always publishes SRV.
		return nil, ipc.Unsupported
	case b.InterfaceIndex != ipc.InterfaceIndexAny:
		// The Backend registers on every interface (package doc).
		if code := s.srv.checkInterface(b.InterfaceIndex); code != ipc.NoError {
			return nil, code
		}
		return nil, ipc.Unsupported
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
	txt, err := txtFromWire(b.TXT)
	if err != nil {
		return nil, ipc.BadParam
	}
	name := b.Name
	if name == "" {
		name = truncateName(s.srv.defaultName())
	}
	svc := dnssd.Service{Name: name, Type: t, Domain: domain, Port: b.Port, TXT: txt}
	if err := svc.Validate(); err != nil {
		return nil, ipc.BadParam
	}
	return &regOp{
		opBase: base, svc: svc,
		regtype: string(t.Base()) + ".", domain: wireDomain(domain),
		noAutoRename: b.Flags&ipc.FlagNoAutoRename != 0,
	}, ipc.NoError
}

// truncateName cuts a default name to the 63 bytes of one label, on a
// UTF-8 boundary.
func truncateName(n string) string {
	for len(n) > dnsname.MaxLabel {
		_, size := utf8.DecodeLastRuneInString(n)
		n = n[:len(n)-size]
	}
	return n
}

func (o *regOp) start() { o.goRun(o.run) }

func (o *regOp) run() {
	reg, err := o.s.srv.Backend.Register(o.ctx, o.svc)
	if err != nil {
		o.mu.Lock()
		o.done = true
		o.mu.Unlock()
		if o.ctx.Err() == nil {
			o.s.log.Debug("daemon: registration failed", "name", o.svc.Name, "err", err)
			o.reply(0, errorCode(err), o.svc.Name)
		}
		return
	}
	defer o.withdraw(reg)

	o.mu.Lock()
	o.reg = reg
	if o.pending != nil {
		// DNSServiceUpdateRecord before the registered callback
		// (register_immediate_update.json): applied now.
		o.applyLocked(*o.pending)
		o.pending = nil
	}
	o.mu.Unlock()

	name := reg.Name()
	if o.noAutoRename && name != o.svc.Name {
		// kDNSServiceFlagsNoAutoRename: the name was taken, so the
		// Backend renamed; withdraw and report the conflict
		// (name_conflict_noautorename.json).
		o.reply(ipc.FlagAdd, ipc.NameConflict, o.svc.Name)
		return
	}
	o.reply(ipc.FlagAdd, ipc.NoError, name)
	for {
		select {
		case <-o.ctx.Done():
			return
		case n, ok := <-reg.Renamed():
			if !ok {
				return
			}
			if o.noAutoRename {
				o.reply(ipc.FlagAdd, ipc.NameConflict, name)
				return
			}
			name = n
			o.reply(ipc.FlagAdd, ipc.NoError, name)
		}
	}
}

// withdraw closes the registration (goodbyes), bounded by WithdrawTimeout
// even when the session is gone.
func (o *regOp) withdraw(reg dnssd.BackendRegistration) {
	o.mu.Lock()
	o.done = true
	o.reg = nil
	o.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), o.s.srv.withdrawTimeout())
	defer cancel()
	if err := reg.Close(ctx); err != nil {
		o.s.log.Debug("daemon: withdrawing a registration failed", "name", o.svc.Name, "err", err)
	}
}

func (o *regOp) reply(flags ipc.Flags, code ipc.Error, name string) {
	o.send(ipc.RegisterServiceReply{
		ReplyCommon: ipc.ReplyCommon{Flags: flags, Error: code},
		Name:        name, RegType: o.regtype, Domain: o.domain,
	})
}

// updateTXT is update_record_request on the primary TXT (reg_index
// 0xFFFFFFFF). Before the registration is established the new TXT is kept
// and applied as soon as it is; the client gets 0 at once, as from Apple's
// daemon.
func (o *regOp) updateTXT(raw []byte) ipc.Error {
	txt, err := txtFromWire(raw)
	if err != nil {
		return ipc.BadParam
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case o.done:
		return ipc.BadReference
	case o.reg == nil:
		o.pending = &txt
		return ipc.NoError
	}
	return o.applyLocked(txt)
}

func (o *regOp) applyLocked(txt dnssd.TXT) ipc.Error {
	ctx, cancel := context.WithTimeout(o.ctx, updateTimeout)
	defer cancel()
	if err := o.reg.UpdateTXT(ctx, txt); err != nil {
		o.s.log.Debug("daemon: TXT update failed", "name", o.svc.Name, "err", err)
		return errorCode(err)
	}
	return ipc.NoError
}
