package dnssd

import (
	"context"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/goleak"

	"github.com/rendezvous-mdns/rendezvous/internal/mdns"
	"github.com/rendezvous-mdns/rendezvous/internal/transport/vnet"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// vnetClient is a Client whose embedded responder runs on an in-memory LAN.
func vnetClient(t *testing.T, n *vnet.Network, host string, addrs ...string) *Client {
	t.Helper()
	var ps []netip.Prefix
	for _, a := range addrs {
		ps = append(ps, netip.MustParsePrefix(a))
	}
	link := mdns.Link{ID: 1, Name: "veth0", Addrs: ps}
	ep := n.Attach(vnet.Port{Segment: "lan", Link: link})
	b, err := newEmbedded(EmbeddedConfig{HostName: host}, ep, ep.Links(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Client{Backend: b}
}

func TestClientRegisterBrowseResolveLookupOnVirtualLAN(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := vnet.New(1)
		alpha := vnetClient(t, n, "alpha", "10.0.0.1/24", "fe80::1/64")
		beta := vnetClient(t, n, "beta", "10.0.0.2/24")
		defer beta.Close()
		ctx := context.Background()

		reg, err := alpha.Register(ctx, Service{Name: "DAAP Server", Type: "_daap._tcp,_music", Port: 3689, TXT: MustTXT("txtvers=1", "Machine Name=Den")})
		if err != nil {
			t.Fatal(err)
		}
		if reg.Name() != "DAAP Server" {
			t.Fatalf("name %q", reg.Name())
		}

		bctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		var found BrowseEvent
		for ev, err := range beta.Browse(bctx, "_daap._tcp", "") {
			if err != nil {
				t.Fatal(err)
			}
			found = ev
			break
		}
		cancel()
		want := Instance{Name: "DAAP Server", Type: "_daap._tcp", Domain: "local."}
		if found.Kind != Added || found.Instance != want || found.Interface != "veth0" {
			t.Fatalf("browse: %+v", found)
		}
		// Subtype browse (RFC 6763 §7.1).
		bctx, cancel = context.WithTimeout(ctx, 5*time.Second)
		for ev, err := range beta.Browse(bctx, "_daap._tcp,_music", "") {
			if err != nil || ev.Instance != want {
				t.Fatalf("subtype browse: %+v %v", ev, err)
			}
			break
		}
		cancel()

		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		rs, err := beta.Resolve(rctx, want)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if rs.Port != 3689 || rs.Host != "alpha.local." || len(rs.Addrs) != 2 || rs.Addrs[0] != netip.MustParseAddr("10.0.0.1") {
			t.Fatalf("resolve: %+v", rs)
		}
		if v, _ := rs.TXT.Get("machine name"); v != "Den" {
			t.Fatalf("resolve TXT: %v", rs.TXT)
		}

		lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		addrs, err := beta.LookupHost(lctx, "alpha.local")
		cancel()
		if err != nil || len(addrs) != 2 {
			t.Fatalf("lookup: %v %v", addrs, err)
		}
		lctx, cancel = context.WithTimeout(ctx, 2*time.Second)
		if _, err := beta.LookupHost(lctx, "nobody"); err == nil {
			t.Fatal("lookup of a missing host succeeded")
		}
		cancel()

		tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		for ev, err := range beta.BrowseTypes(tctx, "") {
			if err != nil || ev.Type != "_daap._tcp" {
				t.Fatalf("types: %+v %v", ev, err)
			}
			break
		}
		cancel()

		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		for ev, err := range beta.Query(qctx, want.DNSName(), dns.TypeTXT) {
			if err != nil || ev.Record.(*dns.TXT).Txt[0] != "txtvers=1" {
				t.Fatalf("query: %+v %v", ev, err)
			}
			break
		}
		cancel()

		// Update the TXT; a browse keeps running and sees the goodbye on Close.
		if err := reg.UpdateTXT(ctx, MustTXT("txtvers=2")); err != nil {
			t.Fatal(err)
		}
		bctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		closed := false
		for ev, err := range beta.Browse(bctx, "_daap._tcp", "") {
			if err != nil {
				t.Fatal(err)
			}
			if ev.Kind == Added && !closed {
				closed = true
				if err := alpha.Close(); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if ev.Kind == Removed {
				break
			}
		}
		if !closed || bctx.Err() != nil {
			t.Fatal("the goodbye did not reach the browser")
		}
	})
}

func TestClientRegisterRenamesOnConflict(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := vnet.New(2)
		a := vnetClient(t, n, "alpha", "10.0.0.1/24")
		b := vnetClient(t, n, "beta", "10.0.0.2/24")
		defer a.Close()
		defer b.Close()
		ctx := context.Background()
		svc := Service{Name: "DAAP Server", Type: "_daap._tcp", Port: 3689}
		r1, err := a.Register(ctx, svc)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := b.Register(ctx, svc)
		if err != nil {
			t.Fatal(err)
		}
		if r1.Name() != "DAAP Server" || r2.Name() != "DAAP Server (2)" {
			t.Fatalf("names %q and %q", r1.Name(), r2.Name())
		}
	})
}

func TestClientValidatesBeforeTouchingTheNetwork(t *testing.T) {
	c := &Client{Backend: failingBackend{}}
	if _, err := c.Register(context.Background(), Service{Name: "x", Type: "daap._tcp", Port: 1}); err == nil || err.Error() != `service type "daap._tcp": must start with an underscore, as in _http._tcp` {
		t.Fatalf("error %v", err)
	}
	if _, err := c.Register(context.Background(), Service{Name: "x", Type: "_daap._tcp"}); err == nil || err.Error() != "port 0: must be 1–65535" {
		t.Fatalf("error %v", err)
	}
}

type failingBackend struct{}

func (failingBackend) Register(context.Context, Service) (BackendRegistration, error) {
	panic("must not be reached")
}
func (failingBackend) Query(context.Context, string, uint16) (BackendQuery, error) {
	panic("must not be reached")
}
func (failingBackend) Close() error { return nil }
