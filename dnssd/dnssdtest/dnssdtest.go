// Package dnssdtest is one behavioural test suite for every dnssd.Backend:
// the embedded responder, Avahi, and the mDNSResponder protocol (Apple's
// daemon or rendezvous's own). Each backend's tests build two hosts on one
// link, A and B, each with a Backend, and hand them to Run; the suite
// checks what a user of Bonjour relies on, through dnssd.Client, the same
// way for all of them.
package dnssdtest

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/rendezvous-mdns/rendezvous/dnssd"
)

// Env is two hosts on one link.
type Env struct {
	// A and B are the hosts' backends; the suite closes them.
	A, B dnssd.Backend
	// AHost is A's host name as peers see it ("alpha.local.") and AAddrs
	// the addresses a peer must resolve for it (at least one).
	AHost  string
	AAddrs []netip.Addr
	// Timeout bounds each step; 0 means 10 s.
	Timeout time.Duration
}

// Harness creates a fresh Env for one test and runs f with it, inside
// whatever the backend needs (a synctest bubble, namespaces…), cleaning up
// afterwards.
type Harness func(t *testing.T, f func(t *testing.T, env Env))

// Run runs the suite, each test with a fresh Env from h.
func Run(t *testing.T, h Harness) {
	for _, tc := range []struct {
		name string
		f    func(t *testing.T, env Env, a, b *dnssd.Client)
	}{
		{"RegisterBrowseResolve", registerBrowseResolve},
		{"SubtypeBrowse", subtypeBrowse},
		{"ConflictRenames", conflictRenames},
		{"UpdateTXT", updateTXT},
		{"CloseSendsGoodbye", closeSendsGoodbye},
		{"LookupHost", lookupHost},
		{"QueryAnyRecord", queryAnyRecord},
		{"BrowseTypes", browseTypes},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h(t, func(t *testing.T, env Env) {
				a, b := &dnssd.Client{Backend: env.A}, &dnssd.Client{Backend: env.B}
				defer a.Close()
				defer b.Close()
				if env.Timeout == 0 {
					env.Timeout = 10 * time.Second
				}
				tc.f(t, env, a, b)
			})
		})
	}
}

func step(t *testing.T, env Env) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), env.Timeout)
	t.Cleanup(cancel)
	return ctx
}

var daap = dnssd.Service{Name: "Suite Server", Type: "_daap._tcp", Port: 3689, TXT: dnssd.MustTXT("txtvers=1", "Machine Name=Den")}

func register(t *testing.T, env Env, c *dnssd.Client, svc dnssd.Service) *dnssd.Registration {
	t.Helper()
	r, err := c.Register(step(t, env), svc)
	if err != nil {
		t.Fatalf("register %q: %v", svc.Name, err)
	}
	return r
}

// waitBrowse browses t on c until an event of kind for instance name.
func waitBrowse(t *testing.T, env Env, c *dnssd.Client, st dnssd.ServiceType, kind dnssd.EventKind, name string) dnssd.BrowseEvent {
	t.Helper()
	for ev, err := range c.Browse(step(t, env), st, "") {
		if err != nil {
			t.Fatalf("browse %s for %q: %v", st, name, err)
		}
		if ev.Kind == kind && ev.Instance.Name == name {
			return ev
		}
	}
	t.Fatalf("browse %s: no %v event for %q", st, kind, name)
	return dnssd.BrowseEvent{}
}

func registerBrowseResolve(t *testing.T, env Env, a, b *dnssd.Client) {
	r := register(t, env, a, daap)
	if r.Name() != daap.Name {
		t.Fatalf("registered as %q, want %q", r.Name(), daap.Name)
	}
	ev := waitBrowse(t, env, b, "_daap._tcp", dnssd.Added, daap.Name)
	want := dnssd.Instance{Name: daap.Name, Type: "_daap._tcp", Domain: "local."}
	if ev.Instance != want {
		t.Fatalf("browse gave %+v, want %+v", ev.Instance, want)
	}
	rs, err := b.Resolve(step(t, env), ev.Instance)
	if err != nil {
		t.Fatal(err)
	}
	if rs.Port != 3689 || !strings.EqualFold(rs.Host, env.AHost) {
		t.Fatalf("resolved %s port %d, want %s port 3689", rs.Host, rs.Port, env.AHost)
	}
	if !slices.ContainsFunc(rs.Addrs, func(x netip.Addr) bool { return slices.Contains(env.AAddrs, x) }) {
		t.Fatalf("resolved addresses %v, want one of %v", rs.Addrs, env.AAddrs)
	}
	if v, ok := rs.TXT.Get("machine name"); !ok || v != "Den" {
		t.Fatalf("resolved TXT %v", rs.TXT)
	}
}

// RFC 6763 §7.1.
func subtypeBrowse(t *testing.T, env Env, a, b *dnssd.Client) {
	svc := daap
	svc.Type = "_daap._tcp,_music"
	register(t, env, a, svc)
	waitBrowse(t, env, b, "_daap._tcp,_music", dnssd.Added, svc.Name)
}

// RFC 6762 §9: the later registration of a name takes "Name (2)".
func conflictRenames(t *testing.T, env Env, a, b *dnssd.Client) {
	r1 := register(t, env, a, daap)
	other := daap
	other.Port = 3690
	r2 := register(t, env, b, other)
	if r1.Name() != daap.Name || r2.Name() != daap.Name+" (2)" {
		t.Fatalf("names %q and %q, want %q and %q", r1.Name(), r2.Name(), daap.Name, daap.Name+" (2)")
	}
	waitBrowse(t, env, b, "_daap._tcp", dnssd.Added, daap.Name)
	waitBrowse(t, env, a, "_daap._tcp", dnssd.Added, daap.Name+" (2)")
}

// RFC 6763 §6, RFC 6762 §8.4: a TXT update reaches the other host.
func updateTXT(t *testing.T, env Env, a, b *dnssd.Client) {
	r := register(t, env, a, daap)
	inst := dnssd.Instance{Name: daap.Name, Type: "_daap._tcp"}
	if _, err := b.Resolve(step(t, env), inst); err != nil {
		t.Fatal(err)
	}
	if err := r.UpdateTXT(step(t, env), dnssd.MustTXT("txtvers=2")); err != nil {
		t.Fatal(err)
	}
	for ev, err := range b.Query(step(t, env), inst.DNSName(), dns.TypeTXT) {
		if err != nil {
			t.Fatalf("no updated TXT: %v", err)
		}
		if txt, ok := ev.Record.(*dns.TXT); ok && ev.Kind != dnssd.Removed && slices.Equal(txt.Txt, []string{"txtvers=2"}) {
			return
		}
	}
}

// RFC 6762 §10.1: closing a registration sends goodbyes.
func closeSendsGoodbye(t *testing.T, env Env, a, b *dnssd.Client) {
	r := register(t, env, a, daap)
	closed := false
	for ev, err := range b.Browse(step(t, env), "_daap._tcp", "") {
		if err != nil {
			t.Fatalf("no removal after Close: %v", err)
		}
		if ev.Instance.Name != daap.Name {
			continue
		}
		if ev.Kind == dnssd.Added && !closed {
			closed = true
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if ev.Kind == dnssd.Removed {
			return
		}
	}
}

// A host name with a registered service resolves to its addresses.
func lookupHost(t *testing.T, env Env, a, b *dnssd.Client) {
	register(t, env, a, daap)
	addrs, err := b.LookupHost(step(t, env), strings.TrimSuffix(env.AHost, "."))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(addrs, func(x netip.Addr) bool { return slices.Contains(env.AAddrs, x) }) {
		t.Fatalf("addresses %v, want one of %v", addrs, env.AAddrs)
	}
}

func queryAnyRecord(t *testing.T, env Env, a, b *dnssd.Client) {
	register(t, env, a, daap)
	inst := dnssd.Instance{Name: daap.Name, Type: "_daap._tcp"}
	for ev, err := range b.Query(step(t, env), inst.DNSName(), dns.TypeSRV) {
		if err != nil {
			t.Fatal(err)
		}
		if srv, ok := ev.Record.(*dns.SRV); ok && srv.Port == 3689 {
			return
		}
	}
}

// RFC 6763 §9.
func browseTypes(t *testing.T, env Env, a, b *dnssd.Client) {
	register(t, env, a, daap)
	for ev, err := range b.BrowseTypes(step(t, env), "") {
		if err != nil {
			t.Fatalf("type _daap._tcp not found: %v", err)
		}
		if ev.Kind == dnssd.Added && ev.Type == "_daap._tcp" {
			return
		}
	}
}
