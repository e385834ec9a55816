package dnssd_test

import (
	"net/netip"
	"testing"
	"testing/synctest"

	"github.com/rendezvous-mdns/rendezvous/dnssd"
	"github.com/rendezvous-mdns/rendezvous/dnssd/dnssdtest"
	"github.com/rendezvous-mdns/rendezvous/internal/transport/vnet"
)

// The backend conformance suite on the embedded responder, two hosts on an
// in-memory LAN, on virtual time.
func TestEmbeddedBackendSuite(t *testing.T) {
	dnssdtest.Run(t, func(t *testing.T, f func(t *testing.T, env dnssdtest.Env)) {
		synctest.Test(t, func(t *testing.T) {
			n := vnet.New(7)
			a, err := dnssd.NewEmbeddedOnVNet(n, 1, "alpha", "10.0.0.1/24", "fe80::1/64")
			if err != nil {
				t.Fatal(err)
			}
			b, err := dnssd.NewEmbeddedOnVNet(n, 1, "beta", "10.0.0.2/24")
			if err != nil {
				t.Fatal(err)
			}
			f(t, dnssdtest.Env{A: a, B: b, AHost: "alpha.local.", AAddrs: []netip.Addr{netip.MustParseAddr("10.0.0.1")}})
		})
	})
}
