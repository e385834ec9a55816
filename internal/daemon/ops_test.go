//go:build unix

package daemon

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/rendezvous-mdns/rendezvous/dnssd"
	"github.com/rendezvous-mdns/rendezvous/internal/daemon/daemontest"
	"github.com/rendezvous-mdns/rendezvous/internal/ipc"
)

func txtWire(entries ...string) []byte {
	var b []byte
	for _, e := range entries {
		b = append(b, byte(len(e)))
		b = append(b, e...)
	}
	return b
}

func register(t *testing.T, c *client, flags ipc.Flags, name string) {
	t.Helper()
	c.send(encode(t, ipc.Request{Body: ipc.RegisterServiceRequest{Flags: flags, Name: name, RegType: "_test._tcp",
		Domain: "local", Port: 4242, TXT: txtWire("a=1")}}))
	c.expectCode(ipc.NoError)
}

func expectRegReply(t *testing.T, c *client, code ipc.Error, name string) {
	t.Helper()
	r := c.expectReply()
	b, ok := r.Body.(ipc.RegisterServiceReply)
	if !ok || b.Error != code || b.Name != name || b.RegType != "_test._tcp." || b.Domain != "local." || b.Flags&ipc.FlagAdd == 0 {
		t.Fatalf("got %v %+v, want reg_service_reply %v %q", r.Header.Op, r.Body, code, name)
	}
}

// TestRegisterRenameAndWithdraw: the reply carries the established name, a
// later rename brings another reply, and closing the socket withdraws the
// registration.
func TestRegisterRenameAndWithdraw(t *testing.T) {
	fake := daemontest.New()
	_, path := startServer(t, fake, nil)
	c := dial(t, path)
	register(t, c, 0, "Printer")
	expectRegReply(t, c, ipc.NoError, "Printer")
	st := waitFor(t, fake, "the registration", func(s daemontest.Snapshot) bool { return s.Active() == 1 })
	reg := st.Registrations[0]
	if reg.Requested.Port != 4242 || reg.Requested.TXT != dnssd.MustTXT("a=1") || reg.Requested.Domain != "local." {
		t.Fatalf("backend got %+v", reg.Requested)
	}
	reg.Reg.Rename("Printer (2)")
	expectRegReply(t, c, ipc.NoError, "Printer (2)")
	c.c.Close()
	waitFor(t, fake, "the withdrawal", func(s daemontest.Snapshot) bool { return s.Active() == 0 })
}

// TestNoAutoRenameLaterConflict: with kDNSServiceFlagsNoAutoRename a
// rename after establishment is reported as NameConflict and the service
// is withdrawn.
func TestNoAutoRenameLaterConflict(t *testing.T) {
	fake := daemontest.New()
	_, path := startServer(t, fake, nil)
	c := dial(t, path)
	register(t, c, ipc.FlagNoAutoRename, "Printer")
	expectRegReply(t, c, ipc.NoError, "Printer")
	st := waitFor(t, fake, "the registration", func(s daemontest.Snapshot) bool { return s.Active() == 1 })
	st.Registrations[0].Reg.Rename("Printer (2)")
	expectRegReply(t, c, ipc.NameConflict, "Printer")
	waitFor(t, fake, "the withdrawal", func(s daemontest.Snapshot) bool { return s.Active() == 0 })
}

// TestDefaultName: an empty name registers the host's default name.
func TestDefaultName(t *testing.T) {
	fake := daemontest.New()
	_, path := startServer(t, fake, nil)
	c := dial(t, path)
	register(t, c, 0, "")
	expectRegReply(t, c, ipc.NoError, "testhost")
}

// TestUpdateBeforeEstablished: a primary TXT update that arrives while the
// registration is still probing gets 0 at once and is applied when it is
// established (register_immediate_update.json).
func TestUpdateBeforeEstablished(t *testing.T) {
	fake := daemontest.New()
	fake.Hold()
	_, path := startServer(t, fake, nil)
	c := dial(t, path)
	register(t, c, 0, "Printer")
	es := c.sendWithErrSocket(encode(t, ipc.Request{Header: ipc.Header{RegIndex: ipc.RegIndexPrimaryTXT}, HasErrReturn: true,
		Body: ipc.UpdateRecordRequest{RData: txtWire("a=2", "b")}}))
	es.expectCode(ipc.NoError)
	fake.Release()
	expectRegReply(t, c, ipc.NoError, "Printer")
	waitFor(t, fake, "the TXT update", func(s daemontest.Snapshot) bool {
		return len(s.Registrations) == 1 && s.Registrations[0].TXT == dnssd.MustTXT("a=2", "b")
	})
	// And one after establishment.
	es = c.sendWithErrSocket(encode(t, ipc.Request{Header: ipc.Header{RegIndex: ipc.RegIndexPrimaryTXT}, HasErrReturn: true,
		Body: ipc.UpdateRecordRequest{RData: txtWire("a=3")}}))
	es.expectCode(ipc.NoError)
	if got := fake.Snapshot().Registrations[0].TXT; got != dnssd.MustTXT("a=3") {
		t.Fatalf("TXT %v", got)
	}
}

// TestDisconnectWhileProbing: a client that goes away before its
// registration is established leaves nothing behind.
func TestDisconnectWhileProbing(t *testing.T) {
	fake := daemontest.New()
	fake.Hold()
	_, path := startServer(t, fake, nil)
	c := dial(t, path)
	register(t, c, 0, "Printer")
	c.c.Close()
	sleepBriefly()
	fake.Release()
	waitFor(t, fake, "nothing registered", func(s daemontest.Snapshot) bool { return s.Active() == 0 })
}

// TestRegisterFailureReply: a Backend failure after the error code comes
// back in the reg_service_reply's error field.
func TestRegisterFailureReply(t *testing.T) {
	fake := daemontest.New()
	fake.FailRegister(dnssd.ErrLimit)
	_, path := startServer(t, fake, nil)
	c := dial(t, path)
	register(t, c, 0, "Printer")
	r := c.expectReply()
	if b, ok := r.Body.(ipc.RegisterServiceReply); !ok || b.Error != ipc.NoMemory {
		t.Fatalf("got %+v", r.Body)
	}
}

// TestUnsupportedRequests: what the Backend cannot do is refused with
// Unsupported (or BadParam for bad input) on the request's error channel,
// and a shared connection stays usable.
func TestUnsupportedRequests(t *testing.T) {
	fake := daemontest.New()
	_, path := startServer(t, fake, nil)
	c := dial(t, path)
	c.send(encode(t, ipc.Request{Body: ipc.ConnectionRequest{}}))
	c.expectCode(ipc.NoError)
	n := byte(0)
	sub := func(b ipc.RequestBody, want ipc.Error) {
		t.Helper()
		n++
		c.sendWithErrSocket(encode(t, ipc.Request{Header: ipc.Header{Context: ctxOf(n)}, HasErrReturn: true, Body: b})).expectCode(want)
	}
	reg := ipc.RegisterServiceRequest{Flags: ipc.FlagShareConnection, Name: "X", RegType: "_test._tcp", Port: 1}
	withHost := reg
	withHost.Host = "other.local"
	sub(withHost, ipc.Unsupported)
	port0 := reg
	port0.Port = 0
	sub(port0, ipc.Unsupported)
	localOnly := reg
	localOnly.InterfaceIndex = ipc.InterfaceIndexLocalOnly
	sub(localOnly, ipc.Unsupported)
	badIf := reg
	badIf.InterfaceIndex = 999999
	sub(badIf, ipc.BadParam)
	badType := reg
	badType.RegType = "http"
	sub(badType, ipc.BadParam)
	sub(ipc.PortMappingRequest{Flags: ipc.FlagShareConnection, Protocol: ipc.ProtocolTCP}, ipc.Unsupported)
	sub(ipc.QueryRequest{Flags: ipc.FlagShareConnection, FullName: "a.local", RRType: dns.TypeA, RRClass: dns.ClassCHAOS}, ipc.Unsupported)
	sub(ipc.QueryRequest{Flags: ipc.FlagShareConnection, FullName: "a..local", RRType: dns.TypeA, RRClass: dns.ClassINET}, ipc.BadParam)
	sub(ipc.AddrInfoRequest{Flags: ipc.FlagShareConnection, Protocol: 8, Hostname: "a.local"}, ipc.BadParam)
	sub(ipc.EnumerationRequest{Flags: ipc.FlagShareConnection}, ipc.BadParam)
	wideArea := reg
	wideArea.Domain = "example.com"
	sub(wideArea, ipc.Unsupported)
	sub(ipc.BrowseRequest{Flags: ipc.FlagShareConnection, RegType: "_http._tcp", Domain: "example.com."}, ipc.Unsupported)
	sub(ipc.QueryRequest{Flags: ipc.FlagShareConnection, FullName: "www.example.com", RRType: dns.TypeA, RRClass: dns.ClassINET}, ipc.Unsupported)
	sub(ipc.AddrInfoRequest{Flags: ipc.FlagShareConnection, Protocol: 1, Hostname: "www.example.com"}, ipc.Unsupported)
	sub(ipc.QueryRequest{Flags: ipc.FlagShareConnection, FullName: "1.2.254.169.in-addr.arpa", RRType: dns.TypePTR, RRClass: dns.ClassINET}, ipc.NoError)
	// A record operation on a context that is no registration.
	c.sendWithErrSocket(encode(t, ipc.Request{Header: ipc.Header{Context: ctxOf(77), RegIndex: ipc.RegIndexPrimaryTXT}, HasErrReturn: true,
		Body: ipc.UpdateRecordRequest{RData: []byte{0}}})).expectCode(ipc.BadReference)
	// Still usable.
	sub(reg, ipc.NoError)
	expectRegReplyCtx(t, c, ctxOf(n))
	if fake.Snapshot().Active() != 1 {
		t.Fatal("the good registration is not there")
	}
}

func expectRegReplyCtx(t *testing.T, c *client, ctx [8]byte) {
	t.Helper()
	r := c.expectReply()
	if r.Header.Op != ipc.OpRegisterServiceReply || r.Header.Context != ctx {
		t.Fatalf("got %v ctx %x", r.Header.Op, r.Header.Context)
	}
}

// TestCancelStopsOneSubOperation: cancel_request stops the named
// sub-operation only; closing the socket stops the rest.
func TestCancelStopsOneSubOperation(t *testing.T) {
	fake := daemontest.New()
	_, path := startServer(t, fake, nil)
	c := dial(t, path)
	c.send(encode(t, ipc.Request{Body: ipc.ConnectionRequest{}}))
	c.expectCode(ipc.NoError)
	for n := byte(1); n <= 2; n++ {
		c.sendWithErrSocket(encode(t, ipc.Request{Header: ipc.Header{Context: ctxOf(n)}, HasErrReturn: true,
			Body: ipc.BrowseRequest{Flags: ipc.FlagShareConnection, RegType: "_x._tcp"}})).expectCode(ipc.NoError)
	}
	c.sendWithErrSocket(encode(t, ipc.Request{Header: ipc.Header{Context: ctxOf(3)}, HasErrReturn: true,
		Body: ipc.RegisterServiceRequest{Flags: ipc.FlagShareConnection, Name: "Mine", RegType: "_y._tcp", Port: 1}})).expectCode(ipc.NoError)
	expectRegReplyCtx(t, c, ctxOf(3))
	c.send(encode(t, ipc.Request{Header: ipc.Header{Context: ctxOf(1)}, Body: ipc.CancelRequest{}}))
	c.send(encode(t, ipc.Request{Header: ipc.Header{Context: ctxOf(42)}, Body: ipc.CancelRequest{}})) // unknown: ignored
	waitFor(t, fake, "one browse left", func(s daemontest.Snapshot) bool { return s.ActiveQueries == 1 })
	fake.AddRecord("", &dns.PTR{Hdr: dns.RR_Header{Name: "_x._tcp.local.", Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: 4500}, Ptr: "A\\.B._x._tcp.local."})
	r := c.expectReply()
	b, ok := r.Body.(ipc.BrowseReply)
	if !ok || r.Header.Context != ctxOf(2) || b.Name != "A.B" || b.RegType != "_x._tcp." || b.Domain != "local." || b.Flags != ipc.FlagAdd {
		t.Fatalf("got ctx %x %+v", r.Header.Context, r.Body)
	}
	c.expectQuiet(50 * time.Millisecond)
	// Cancelling the registration withdraws it.
	c.send(encode(t, ipc.Request{Header: ipc.Header{Context: ctxOf(3)}, Body: ipc.CancelRequest{}}))
	waitFor(t, fake, "the withdrawal", func(s daemontest.Snapshot) bool { return s.Active() == 0 })
	c.c.Close()
	waitFor(t, fake, "no browse left", func(s daemontest.Snapshot) bool { return s.ActiveQueries == 0 })
}

// TestQueryReportsChanges: query_reply per record added (Add) and removed
// (flags 0, TTL 0); an Updated record is reported as the old data removed
// and the new added; the reply carries the interface's index.
func TestQueryReportsChanges(t *testing.T) {
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Skip("no loopback interface named lo")
	}
	fake := daemontest.New()
	_, path := startServer(t, fake, nil)
	old := mustRR(t, `Some\ Thing._x._tcp.local. 4500 IN TXT "v=1"`)
	nw := mustRR(t, `Some\ Thing._x._tcp.local. 4500 IN TXT "v=2"`)
	fake.AddRecord("lo", old)
	c := dial(t, path)
	c.send(encode(t, ipc.Request{Body: ipc.QueryRequest{FullName: `Some\032Thing._x._tcp.local`, RRType: dns.TypeTXT, RRClass: dns.ClassINET}}))
	c.expectCode(ipc.NoError)
	check := func(flags ipc.Flags, rdata string, ttl uint32) {
		t.Helper()
		r := c.expectReply()
		b, ok := r.Body.(ipc.QueryReply)
		if !ok || b.Flags&^ipc.FlagMoreComing != flags || string(b.RData) != rdata || b.TTL != ttl ||
			b.FullName != `Some\032Thing._x._tcp.local.` || b.RRType != dns.TypeTXT || b.RRClass != dns.ClassINET || b.InterfaceIndex != uint32(lo.Index) {
			t.Fatalf("got %+v", r.Body)
		}
	}
	check(ipc.FlagAdd, "\x03v=1", 4500)
	fake.UpdateRecord("lo", old, nw)
	check(0, "\x03v=1", 0)
	check(ipc.FlagAdd, "\x03v=2", 4500)
	fake.RemoveRecord("lo", nw)
	check(0, "\x03v=2", 0)

	// A filter on another interface sees nothing; a bad index is BadParam.
	c2 := dial(t, path)
	c2.send(encode(t, ipc.Request{Body: ipc.QueryRequest{InterfaceIndex: uint32(lo.Index) + 1000, FullName: "x.local", RRType: dns.TypeA, RRClass: dns.ClassINET}}))
	c2.expectCode(ipc.BadParam)
}

// TestAddrInfo: A and AAAA answers for protocol 3, the host name as the
// reply's name.
func TestAddrInfo(t *testing.T) {
	fake := daemontest.New()
	_, path := startServer(t, fake, nil)
	fake.AddRecord("", mustRR(t, "host.local. 120 IN A 192.0.2.7"))
	fake.AddRecord("", mustRR(t, "host.local. 120 IN AAAA 2001:db8::7"))
	fake.AddRecord("", mustRR(t, "other.local. 120 IN A 192.0.2.8"))
	c := dial(t, path)
	c.send(encode(t, ipc.Request{Body: ipc.AddrInfoRequest{Protocol: ipc.ProtocolIPv4 | ipc.ProtocolIPv6, Hostname: "host.local"}}))
	c.expectCode(ipc.NoError)
	got := map[string]bool{}
	for range 2 {
		r := c.expectReply()
		b, ok := r.Body.(ipc.AddrInfoReply)
		if !ok || b.Hostname != "host.local." || b.Flags&ipc.FlagAdd == 0 {
			t.Fatalf("got %+v", r.Body)
		}
		a, _ := b.Addr()
		got[a.String()] = true
	}
	if !got["192.0.2.7"] || !got["2001:db8::7"] {
		t.Fatalf("addresses %v", got)
	}
	c.expectQuiet(50 * time.Millisecond)
}

// TestResolveReportsChanges: one resolve_reply once SRV and TXT are both
// known, another when the TXT changes.
func TestResolveReportsChanges(t *testing.T) {
	fake := daemontest.New()
	_, path := startServer(t, fake, nil)
	c := dial(t, path)
	c.send(encode(t, ipc.Request{Body: ipc.ResolveRequest{Name: "My Printer", RegType: "_ipp._tcp", Domain: ""}}))
	c.expectCode(ipc.NoError)
	srv := mustRR(t, `My\ Printer._ipp._tcp.local. 120 IN SRV 0 0 631 printer.local.`)
	txt := mustRR(t, `My\ Printer._ipp._tcp.local. 4500 IN TXT "rp=x"`)
	fake.AddRecord("", srv)
	c.expectQuiet(30 * time.Millisecond)
	fake.AddRecord("", txt)
	check := func(txt string) {
		t.Helper()
		r := c.expectReply()
		b, ok := r.Body.(ipc.ResolveReply)
		if !ok || b.FullName != `My\032Printer._ipp._tcp.local.` || b.HostTarget != "printer.local." || b.Port != 631 || string(b.TXT) != txt {
			t.Fatalf("got %+v", r.Body)
		}
	}
	check("\x04rp=x")
	fake.UpdateRecord("", txt, mustRR(t, `My\ Printer._ipp._tcp.local. 4500 IN TXT "rp=y"`))
	check("\x04rp=y")
}

// TestEnumerationAndProperty: enumeration answers local.; an unknown
// property gets Unsupported in a well-formed answer.
func TestEnumerationAndProperty(t *testing.T) {
	fake := daemontest.New()
	_, path := startServer(t, fake, nil)
	c := dial(t, path)
	c.send(encode(t, ipc.Request{Body: ipc.EnumerationRequest{Flags: ipc.FlagRegistrationDomains}}))
	c.expectCode(ipc.NoError)
	r := c.expectReply()
	if b, ok := r.Body.(ipc.EnumerationReply); !ok || b.Domain != "local." || b.Flags != ipc.FlagAdd {
		t.Fatalf("got %+v", r.Body)
	}
	p := dial(t, path)
	p.send(encode(t, ipc.Request{Body: ipc.GetPropertyRequest{Property: "NoSuchProperty"}}))
	p.cs.ExpectProperty()
	if it := p.mustNext(); it.Kind != ipc.ItemProperty || it.Property.Error != ipc.Unsupported {
		t.Fatalf("got %s %+v", describe(it), it.Property)
	}
}

// TestBrowseServiceTypes: _services._dns-sd._udp is answered the way
// Apple's daemon reports service types.
func TestBrowseServiceTypes(t *testing.T) {
	fake := daemontest.New()
	_, path := startServer(t, fake, nil)
	fake.AddRecord("", mustRR(t, "_services._dns-sd._udp.local. 4500 IN PTR _http._tcp.local."))
	c := dial(t, path)
	c.send(encode(t, ipc.Request{Body: ipc.BrowseRequest{RegType: "_services._dns-sd._udp", Domain: "local."}}))
	c.expectCode(ipc.NoError)
	r := c.expectReply()
	if b, ok := r.Body.(ipc.BrowseReply); !ok || b.Name != "_http" || b.RegType != "_tcp.local." || b.Domain != "." {
		t.Fatalf("got %+v", r.Body)
	}
}

// TestServeEndsWithContext: when Serve's context ends it closes its
// connections (withdrawing registrations) and returns nil.
func TestServeEndsWithContext(t *testing.T) {
	fake := daemontest.New()
	defer fake.Close()
	dir := t.TempDir()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: dir + "/s", Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	srv := &Server{Backend: fake, Logger: testLogger(t)}
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	c := dial(t, dir+"/s")
	register(t, c, 0, "Printer")
	expectRegReply(t, c, ipc.NoError, "Printer")
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	c.expectEOF()
	if fake.Snapshot().Active() != 0 {
		t.Fatal("registration not withdrawn")
	}
}

type fakeListener struct{ net.Listener }

func (fakeListener) Addr() net.Addr { return &net.TCPAddr{} }

func TestServeRefusesOtherListeners(t *testing.T) {
	srv := &Server{Backend: daemontest.New()}
	if err := srv.Serve(context.Background(), fakeListener{}); err == nil {
		t.Fatal("Serve accepted a TCP listener")
	}
	if err := (&Server{}).Serve(context.Background(), fakeListener{}); err == nil {
		t.Fatal("Serve without a Backend")
	}
	srv.Close()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: t.TempDir() + "/s", Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := srv.Serve(context.Background(), ln); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve after Close: %v", err)
	}
}
