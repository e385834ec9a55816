package mdnsresponder

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/goleak"

	"github.com/rendezvous-mdns/rendezvous/dnssd"
	"github.com/rendezvous-mdns/rendezvous/internal/daemon"
	"github.com/rendezvous-mdns/rendezvous/internal/daemon/daemontest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const testTimeout = 5 * time.Second

// env is rendezvous's daemon over the fake Backend on a socket in a temp
// dir, and a Backend of this package connected to it.
type env struct {
	fake *daemontest.Backend
	srv  *daemon.Server
	path string
	b    dnssd.Backend
	done chan error
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir, err := os.MkdirTemp("", "rdvm")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	e := &env{fake: daemontest.New(), path: filepath.Join(dir, "s"), done: make(chan error, 1)}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: e.path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = &daemon.Server{Backend: e.fake, DefaultName: "testhost"}
	go func() { e.done <- e.srv.Serve(context.Background(), ln) }()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	e.b, err = New(ctx, Config{Path: e.path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.b.Close()
		e.stopDaemon()
	})
	return e
}

func (e *env) stopDaemon() {
	e.srv.Close()
	if e.done != nil {
		<-e.done
		e.done = nil
	}
	e.fake.Close()
}

func (e *env) wait(t *testing.T, what string, cond func(daemontest.Snapshot) bool) daemontest.Snapshot {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	s, err := e.fake.WaitFor(ctx, cond)
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
	return s
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// TestRegisterRenameUpdateClose: a registration reaches the Backend with
// everything the Service says, returns with the established name, reports
// a later rename, updates its TXT and is withdrawn on Close.
func TestRegisterRenameUpdateClose(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	svc := dnssd.Service{Name: "Café Printer", Type: "_ipp._tcp,_universal", Domain: "local.", Port: 631, TXT: dnssd.MustTXT("rp=printers/a", "Color=T")}
	reg, err := e.b.Register(ctx, svc)
	if err != nil {
		t.Fatal(err)
	}
	if reg.Name() != "Café Printer" {
		t.Fatalf("name %q", reg.Name())
	}
	st := e.wait(t, "the registration", func(s daemontest.Snapshot) bool { return s.Active() == 1 })
	got := st.Registrations[0].Requested
	if got.Name != svc.Name || got.Type != svc.Type || got.Port != 631 || got.TXT != svc.TXT || got.Domain != "local." {
		t.Fatalf("the Backend got %+v, want %+v", got, svc)
	}

	st.Registrations[0].Reg.Rename("Café Printer (2)")
	select {
	case n := <-reg.Renamed():
		if n != "Café Printer (2)" || reg.Name() != n {
			t.Fatalf("renamed to %q, Name %q", n, reg.Name())
		}
	case <-ctx.Done():
		t.Fatal("no rename")
	}

	if err := reg.UpdateTXT(ctx, dnssd.MustTXT("rp=printers/b")); err != nil {
		t.Fatal(err)
	}
	if got := e.fake.Snapshot().Registrations[0].TXT; got != dnssd.MustTXT("rp=printers/b") {
		t.Fatalf("TXT %v", got)
	}
	if err := reg.UpdateTXT(ctx, dnssd.TXT{}); err != nil {
		t.Fatal(err)
	}
	if err := reg.Close(ctx); err != nil {
		t.Fatal(err)
	}
	e.wait(t, "the withdrawal", func(s daemontest.Snapshot) bool { return s.Active() == 0 })
	if _, ok := <-reg.Renamed(); ok {
		t.Fatal("Renamed not closed")
	}
	if err := reg.UpdateTXT(ctx, dnssd.TXT{}); !errors.Is(err, dnssd.ErrClosed) {
		t.Fatalf("UpdateTXT after Close: %v", err)
	}
}

// TestRegisterTakenName: a name that is taken comes back renamed.
func TestRegisterTakenName(t *testing.T) {
	e := newEnv(t)
	e.fake.Take("Printer")
	reg, err := e.b.Register(testCtx(t), dnssd.Service{Name: "Printer", Type: "_ipp._tcp", Port: 631})
	if err != nil {
		t.Fatal(err)
	}
	if reg.Name() != "Printer (2)" {
		t.Fatalf("name %q", reg.Name())
	}
}

// TestRegisterErrors: the daemon's error codes come back typed: from the
// error socket (Unsupported) and from the reply (NoMemory → dnssd.ErrLimit).
func TestRegisterErrors(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	_, err := e.b.Register(ctx, dnssd.Service{Name: "Proxy", Type: "_http._tcp", Host: "elsewhere.local.", Port: 80})
	var de *DaemonError
	if !errors.Is(err, ErrUnsupported) || !errors.As(err, &de) || de.Code != -65544 || !strings.Contains(err.Error(), "Unsupported (-65544)") {
		t.Fatalf("explicit host: %v", err)
	}
	e.fake.FailRegister(dnssd.ErrLimit)
	_, err = e.b.Register(ctx, dnssd.Service{Name: "Full", Type: "_http._tcp", Port: 80})
	if !errors.Is(err, dnssd.ErrLimit) {
		t.Fatalf("backend full: %v", err)
	}
	// The connection is still good.
	e.fake.FailRegister(nil)
	if _, err := e.b.Register(ctx, dnssd.Service{Name: "Fine", Type: "_http._tcp", Port: 80}); err != nil {
		t.Fatal(err)
	}
}

// TestRegisterContextEnds: a Register whose context ends while the daemon
// probes returns the context's error, and the daemon forgets it.
func TestRegisterContextEnds(t *testing.T) {
	e := newEnv(t)
	e.fake.Hold()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := e.b.Register(ctx, dnssd.Service{Name: "Slow", Type: "_http._tcp", Port: 80})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	e.fake.Release()
	e.wait(t, "nothing registered", func(s daemontest.Snapshot) bool { return s.Active() == 0 })
}

// TestQueryAddRemove: query replies become RecordEvents with the record
// rebuilt from name, type, class, rdata and TTL, and the interface's name.
func TestQueryAddRemove(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	txt := &dns.TXT{Hdr: dns.RR_Header{Name: `Caf\195\169\ Printer._ipp._tcp.local.`, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 4500}, Txt: []string{"rp=x", `a\"b`}}
	iface := ""
	if _, err := net.InterfaceByName("lo"); err == nil {
		iface = "lo"
	}
	e.fake.AddRecord(iface, txt)
	q, err := e.b.Query(ctx, txt.Hdr.Name, dns.TypeTXT)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := q.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Kind != dnssd.Added || !dns.IsDuplicate(ev.Record, txt) || ev.Record.Header().Ttl != 4500 || ev.Interface != iface {
		t.Fatalf("got %v %v %q", ev.Kind, ev.Record, ev.Interface)
	}
	e.fake.RemoveRecord(iface, txt)
	ev, err = q.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Kind != dnssd.Removed || !dns.IsDuplicate(ev.Record, txt) {
		t.Fatalf("got %v %v", ev.Kind, ev.Record)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Next(ctx); !errors.Is(err, dnssd.ErrClosed) {
		t.Fatalf("Next after Close: %v", err)
	}
	e.wait(t, "the query to stop", func(s daemontest.Snapshot) bool { return s.ActiveQueries == 0 })
}

// TestErrorSocketsAreUsed: every sub-operation request passed its error
// socket with SCM_RIGHTS (the daemon counts what it received).
func TestErrorSocketsAreUsed(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	reg, err := e.b.Register(ctx, dnssd.Service{Name: "A", Type: "_http._tcp", Port: 80})
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.UpdateTXT(ctx, dnssd.MustTXT("x=1")); err != nil {
		t.Fatal(err)
	}
	q, err := e.b.Query(ctx, "a.local.", dns.TypeA)
	if err != nil {
		t.Fatal(err)
	}
	q.Close()
	if n := e.srv.Stats().PassedFDs; n != 3 {
		t.Fatalf("the daemon received %d descriptors, want 3 (register, update, query)", n)
	}
}

// TestDaemonGone: no daemon on the path is a NotRunningError naming it; a
// daemon that goes away ends every operation with ErrConnectionLost.
func TestDaemonGone(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nothing-here")
	_, err := New(testCtx(t), Config{Path: missing})
	var nr *NotRunningError
	if !errors.Is(err, ErrNotRunning) || !errors.As(err, &nr) || nr.Path != missing || !strings.Contains(err.Error(), missing) {
		t.Fatalf("got %v", err)
	}
	if err := Available(testCtx(t), missing); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Available: %v", err)
	}

	e := newEnv(t)
	ctx := testCtx(t)
	reg, err := e.b.Register(ctx, dnssd.Service{Name: "A", Type: "_http._tcp", Port: 80})
	if err != nil {
		t.Fatal(err)
	}
	q, err := e.b.Query(ctx, "a.local.", dns.TypeA)
	if err != nil {
		t.Fatal(err)
	}
	e.stopDaemon()
	if _, err := q.Next(ctx); !errors.Is(err, ErrConnectionLost) {
		t.Fatalf("Next: %v", err)
	}
	select {
	case _, ok := <-reg.Renamed():
		if ok {
			t.Fatal("a rename?")
		}
	case <-ctx.Done():
		t.Fatal("Renamed not closed when the daemon went away")
	}
	_, err = e.b.Query(ctx, "b.local.", dns.TypeA)
	if !errors.Is(err, ErrConnectionLost) || !strings.Contains(err.Error(), e.path) {
		t.Fatalf("Query after the daemon left: %v", err)
	}
}

// TestAvailable: the daemon answers DaemonVersion; something else on the
// socket is not taken for a daemon.
func TestAvailable(t *testing.T) {
	e := newEnv(t)
	v, err := DaemonVersion(testCtx(t), e.path)
	if err != nil || v != daemon.DaemonVersion {
		t.Fatalf("DaemonVersion: %d, %v", v, err)
	}
	if err := Available(testCtx(t), e.path); err != nil {
		t.Fatal(err)
	}
	// A listener that closes every connection at once.
	other := filepath.Join(filepath.Dir(e.path), "other")
	ln, err := net.Listen("unix", other)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	})
	defer wg.Wait()
	defer ln.Close()
	err = Available(testCtx(t), other)
	if !errors.Is(err, ErrNotRunning) || !strings.Contains(err.Error(), other) {
		t.Fatalf("got %v", err)
	}
}

// TestSocketPath: Config.Path, then DNSSD_UDS_PATH, then the default.
func TestSocketPath(t *testing.T) {
	t.Setenv("DNSSD_UDS_PATH", "")
	if p := SocketPath(""); p != DefaultPath {
		t.Fatal(p)
	}
	t.Setenv("DNSSD_UDS_PATH", "/run/x")
	if p := SocketPath(""); p != "/run/x" {
		t.Fatal(p)
	}
	if p := SocketPath("/y"); p != "/y" {
		t.Fatal(p)
	}
}

// TestClientOverDaemon runs dnssd.Client's Browse and Resolve through this
// backend and the daemon: one process registers, another browses.
func TestClientOverDaemon(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	other, err := New(ctx, Config{Path: e.path})
	if err != nil {
		t.Fatal(err)
	}
	c := &dnssd.Client{Backend: other}
	defer c.Close()
	reg, err := e.b.Register(ctx, dnssd.Service{Name: "Shared Printer", Type: "_ipp._tcp", Port: 631, TXT: dnssd.MustTXT("rp=x")})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close(ctx)
	for ev, err := range c.Browse(ctx, "_ipp._tcp", "") {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Kind != dnssd.Added || ev.Instance.Name != "Shared Printer" {
			t.Fatalf("browse: %+v", ev)
		}
		break
	}
	e.fake.AddRecord("", &dns.A{Hdr: dns.RR_Header{Name: e.fake.HostName, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 120}, A: net.IPv4(192, 0, 2, 1)})
	rs, err := c.Resolve(ctx, dnssd.Instance{Name: "Shared Printer", Type: "_ipp._tcp"})
	if err != nil {
		t.Fatal(err)
	}
	if rs.Port != 631 || rs.TXT != dnssd.MustTXT("rp=x") || rs.Host != e.fake.HostName || len(rs.Addrs) != 1 || rs.Addrs[0].String() != "192.0.2.1" {
		t.Fatalf("resolve: %+v", rs)
	}
}

// TestConcurrentOperations: many goroutines share one Backend.
func TestConcurrentOperations(t *testing.T) {
	e := newEnv(t)
	ctx := testCtx(t)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			name := "svc " + string(rune('a'+i))
			reg, err := e.b.Register(ctx, dnssd.Service{Name: name, Type: "_http._tcp", Port: 80})
			if err != nil {
				t.Error(err)
				return
			}
			q, err := e.b.Query(ctx, "_http._tcp.local.", dns.TypePTR)
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := q.Next(ctx); err != nil {
				t.Error(err)
			}
			q.Close()
			reg.Close(ctx)
		})
	}
	wg.Wait()
	e.wait(t, "everything stopped", func(s daemontest.Snapshot) bool { return s.Active() == 0 && s.ActiveQueries == 0 })
}
