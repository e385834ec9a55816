//go:build linux

package avahi_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/goleak"

	"github.com/rendezvous-mdns/rendezvous/dnssd"
	"github.com/rendezvous-mdns/rendezvous/dnssd/avahi"
	"github.com/rendezvous-mdns/rendezvous/dnssd/dnssdtest"
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

// The same name for other data twice on one host: avahi-daemon refuses the
// second locally, and it is renamed like a conflict on the network (the
// conflict between hosts is in the suite).
func TestSameNameTwiceOnOneHostRenamesThroughAvahi(t *testing.T) {
	_, _, bs := twoAvahiHosts(t)
	svc := dnssd.Service{Name: "Shared Name", Type: "_daap._tcp", Port: 3689}
	r1, err := bs[0].Register(ctxFor(t, 10*time.Second), svc)
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close(context.Background())
	svc.Port = 3700
	r2, err := bs[0].Register(ctxFor(t, 10*time.Second), svc)
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close(context.Background())
	if r1.Name() != "Shared Name" || r2.Name() != "Shared Name (2)" {
		t.Fatalf("names %q and %q, want \"Shared Name\" and \"Shared Name (2)\"", r1.Name(), r2.Name())
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

// The backend conformance suite through two avahi-daemons in namespaces.
func TestAvahiBackendSuite(t *testing.T) {
	netnstest.RequireAvahi(t)
	dnssdtest.Run(t, func(t *testing.T, f func(t *testing.T, env dnssdtest.Env)) {
		lan, _, bs := twoAvahiHosts(t)
		f(t, dnssdtest.Env{A: bs[0], B: bs[1], AHost: "av-one.local.", AAddrs: []netip.Addr{lan.Hosts[0].V4, lan.Hosts[0].V6}})
	})
}
