package avahi_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/goleak"

	"github.com/rendezvous-mdns/rendezvous/dnssd"
	"github.com/rendezvous-mdns/rendezvous/dnssd/avahi"
	"github.com/rendezvous-mdns/rendezvous/internal/netnstest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// twoAvahiHosts starts avahi-daemon on two namespace hosts and a backend
// on each daemon's bus.
func twoAvahiHosts(t *testing.T) (*netnstest.LAN, [2]*netnstest.Avahi, [2]dnssd.Backend) {
	t.Helper()
	netnstest.RequireAvahi(t)
	lan := netnstest.NewLAN(t, 2)
	var as [2]*netnstest.Avahi
	var bs [2]dnssd.Backend
	for i := range as {
		as[i] = lan.Hosts[i].StartAvahi([]string{"av-one", "av-two"}[i])
		b, err := avahi.New(context.Background(), avahi.Config{BusAddress: as[i].BusAddress()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		bs[i] = b
	}
	return lan, as, bs
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestRegisterBrowseResolveUpdateCloseThroughAvahi(t *testing.T) {
	lan, _, bs := twoAvahiHosts(t)
	one, two := &dnssd.Client{Backend: bs[0]}, &dnssd.Client{Backend: bs[1]}
	reg, err := one.Register(ctxFor(t, 10*time.Second), dnssd.Service{Name: "DAAP Server", Type: "_daap._tcp,_music", Port: 3689, TXT: dnssd.MustTXT("txtvers=1", "Machine Name=Den")})
	if err != nil {
		t.Fatal(err)
	}
	if reg.Name() != "DAAP Server" {
		t.Fatalf("name %q", reg.Name())
	}
	want := dnssd.Instance{Name: "DAAP Server", Type: "_daap._tcp", Domain: "local."}
	for _, typ := range []dnssd.ServiceType{"_daap._tcp", "_daap._tcp,_music"} {
		found := false
		for ev, err := range two.Browse(ctxFor(t, 10*time.Second), typ, "") {
			if err != nil {
				t.Fatalf("browse %s: %v", typ, err)
			}
			if ev.Kind == dnssd.Added && ev.Instance == want && ev.Interface == "eth0" {
				found = true
				break
			}
		}
		if !found {
			t.Fatalf("browse %s did not find %v", typ, want)
		}
	}
	rs, err := two.Resolve(ctxFor(t, 10*time.Second), want)
	if err != nil {
		t.Fatal(err)
	}
	if rs.Port != 3689 || rs.Host != "av-one.local." || !containsAddr(rs.Addrs, lan.Hosts[0].V4) {
		t.Fatalf("resolve: %+v (want port 3689 on av-one.local. at %v)", rs, lan.Hosts[0].V4)
	}
	if v, _ := rs.TXT.Get("Machine Name"); v != "Den" {
		t.Fatalf("TXT %v", rs.TXT)
	}

	// A TXT update reaches the browser's side; Close sends goodbyes.
	if err := reg.UpdateTXT(ctxFor(t, 5*time.Second), dnssd.MustTXT("txtvers=2")); err != nil {
		t.Fatal(err)
	}
	updated := false
	for ev, err := range two.Query(ctxFor(t, 10*time.Second), want.DNSName(), dns.TypeTXT) {
		if err != nil {
			t.Fatal(err)
		}
		if txt, ok := ev.Record.(*dns.TXT); ok && ev.Kind != dnssd.Removed && len(txt.Txt) == 1 && txt.Txt[0] == "txtvers=2" {
			updated = true
			break
		}
	}
	if !updated {
		t.Fatal("the TXT update did not arrive")
	}
	bctx := ctxFor(t, 15*time.Second)
	closed, removed := false, false
	for ev, err := range two.Browse(bctx, "_daap._tcp", "") {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Kind == dnssd.Added && !closed {
			closed = true
			if err := reg.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if ev.Kind == dnssd.Removed && ev.Instance == want {
			removed = true
			break
		}
	}
	if !removed {
		t.Fatal("the goodbye did not reach the other host")
	}
}

func containsAddr(list []netip.Addr, a netip.Addr) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

// Two hosts register the same name through their Avahi daemons: the later
// one is renamed the way the embedded responder renames (RFC 6762 §9).
func TestConflictRenamesThroughAvahi(t *testing.T) {
	_, _, bs := twoAvahiHosts(t)
	svc := dnssd.Service{Name: "Shared Name", Type: "_daap._tcp", Port: 3689}
	r1, err := bs[0].Register(ctxFor(t, 10*time.Second), svc)
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close(context.Background())
	r2, err := bs[1].Register(ctxFor(t, 10*time.Second), svc)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close(context.Background())
	if r1.Name() != "Shared Name" || r2.Name() != "Shared Name (2)" {
		t.Fatalf("names %q and %q, want \"Shared Name\" and \"Shared Name (2)\"", r1.Name(), r2.Name())
	}
	// The same name for other data on one host: Avahi refuses the second
	// locally; it is renamed too.
	svc.Port = 3700
	r3, err := bs[0].Register(ctxFor(t, 10*time.Second), svc)
	if err != nil {
		t.Fatal(err)
	}
	defer r3.Close(context.Background())
	if r3.Name() == "Shared Name" || !strings.HasPrefix(r3.Name(), "Shared Name (") {
		t.Fatalf("third registration named %q", r3.Name())
	}
}

// avahi-daemon restarts under its clients: registrations are published
// again and a running browse goes on, without reporting a service that is
// still there as removed.
func TestSurvivesAvahiRestart(t *testing.T) {
	_, as, bs := twoAvahiHosts(t)
	reg, err := bs[0].Register(ctxFor(t, 10*time.Second), dnssd.Service{Name: "Survivor", Type: "_daap._tcp", Port: 3689})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close(context.Background())
	q, err := bs[1].Query(ctxFor(t, 60*time.Second), "_daap._tcp.local.", dns.TypePTR)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	next := func(d time.Duration) (dnssd.RecordEvent, error) {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		return q.Next(ctx)
	}
	if ev, err := next(10 * time.Second); err != nil || ev.Kind != dnssd.Added {
		t.Fatalf("before the restarts: %+v %v", ev, err)
	}

	as[0].Restart() // the registering side
	as[1].Restart() // the browsing side
	// Over the next seconds: no removal that is not followed by the
	// service again, and the registration still has its name.
	present := true
	deadline := time.Now().Add(10 * time.Second) // past the 5 s sweep
	for time.Now().Before(deadline) {
		ev, err := next(time.Until(deadline))
		if errors.Is(err, context.DeadlineExceeded) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		present = ev.Kind != dnssd.Removed
	}
	if !present {
		t.Fatal("after the restarts the browse reports the service removed")
	}
	if reg.Name() != "Survivor" {
		t.Fatalf("renamed to %q by the restart", reg.Name())
	}
	// A new browse through the restarted daemon finds it.
	c := &dnssd.Client{Backend: bs[1]}
	found := false
	for ev, err := range c.Browse(ctxFor(t, 10*time.Second), "_daap._tcp", "") {
		if err == nil && ev.Instance.Name == "Survivor" {
			found = true
			break
		}
	}
	if !found {
		t.Fatal("a new browse after the restart did not find the service")
	}
}
