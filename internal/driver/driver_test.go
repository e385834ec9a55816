package driver

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

func host(t *testing.T, n *vnet.Network, name string, addr string) *Driver {
	t.Helper()
	link := mdns.Link{ID: 1, Name: "veth0", Addrs: []netip.Prefix{netip.MustParsePrefix(addr)}}
	ep := n.Attach(vnet.Port{Segment: "lan", Link: link})
	d, err := New(Config{Engine: mdns.Config{HostName: name, Seed: uint64(len(name))}, Transport: ep, Links: ep.Links()})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Whole stack on virtual time: register on one host, browse from another,
// see the goodbye when the first closes.
func TestDriverRegisterBrowseGoodbye(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := vnet.New(1)
		a := host(t, n, "alpha", "10.0.0.1/24")
		b := host(t, n, "beta", "10.0.0.2/24")
		defer b.Close()
		ctx := context.Background()

		start := time.Now()
		reg, err := a.Publish(ctx, mdns.ServiceSpec{Instance: "DAAP Server", Type: "_daap._tcp", Port: 3689, TXT: []string{"txtvers=1"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := reg.Established(ctx); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < 750*time.Millisecond || d > time.Second+10*time.Millisecond {
			t.Errorf("established after %v, want probing's 0.75–1 s", d)
		}
		if reg.Name() != "DAAP Server" {
			t.Errorf("name %q", reg.Name())
		}

		q, err := b.StartQuery(ctx, mdns.Question{Name: "_daap._tcp.local.", Type: dns.TypePTR})
		if err != nil {
			t.Fatal(err)
		}
		defer q.Close()
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		ev, err := q.Next(qctx)
		cancel()
		if err != nil || ev.Kind != mdns.EventAdded || ev.Record.(*dns.PTR).Ptr != `DAAP\ Server._daap._tcp.local.` {
			t.Fatalf("browse: %v %v", ev, err)
		}

		closed := time.Now()
		if err := a.Close(); err != nil {
			t.Fatal(err)
		}
		qctx, cancel = context.WithTimeout(ctx, 3*time.Second)
		ev, err = q.Next(qctx)
		cancel()
		if err != nil || ev.Kind != mdns.EventRemoved {
			t.Fatalf("after close: %v %v", ev, err)
		}
		if d := time.Since(closed); d > 1100*time.Millisecond {
			t.Errorf("removal seen %v after close, want ~1 s (goodbye + 1 s)", d)
		}
	})
}

func TestDriverCloseIsIdempotentAndStopsQueries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := vnet.New(2)
		a := host(t, n, "alpha", "10.0.0.1/24")
		q, err := a.StartQuery(context.Background(), mdns.Question{Name: "_x._tcp.local.", Type: dns.TypePTR})
		if err != nil {
			t.Fatal(err)
		}
		a.Close()
		a.Close()
		if _, err := q.Next(context.Background()); err != ErrClosed {
			t.Fatalf("Next after Close: %v", err)
		}
		if _, err := a.StartQuery(context.Background(), mdns.Question{Name: "_x._tcp.local.", Type: dns.TypePTR}); err != ErrClosed {
			t.Fatalf("StartQuery after Close: %v", err)
		}
	})
}
