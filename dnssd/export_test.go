package dnssd

import (
	"net/netip"

	"github.com/rendezvous-mdns/rendezvous/internal/mdns"
	"github.com/rendezvous-mdns/rendezvous/internal/transport/vnet"
)

// NewEmbeddedOnVNet is, for tests outside the package, the embedded
// responder on an in-memory LAN: host name host, addresses addrs (prefixes)
// on link "veth0" of segment "lan".
func NewEmbeddedOnVNet(n *vnet.Network, id mdns.LinkID, host string, addrs ...string) (Backend, error) {
	var ps []netip.Prefix
	for _, a := range addrs {
		ps = append(ps, netip.MustParsePrefix(a))
	}
	ep := n.Attach(vnet.Port{Segment: "lan", Link: mdns.Link{ID: id, Name: "veth0", Addrs: ps}})
	return newEmbedded(EmbeddedConfig{HostName: host}, ep, ep.Links(), nil)
}
