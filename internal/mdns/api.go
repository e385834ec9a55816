package mdns

import (
	"net/netip"

	"github.com/miekg/dns"
)

// LinkID names one network interface (its index on the host).
type LinkID int

// Link is one interface the engine works on, with its addresses. Each link
// is probed, announced and answered on separately (RFC 6762 §14): answers on
// a link carry that link's addresses only.
type Link struct {
	ID   LinkID
	Name string
	// Addrs are the interface's addresses with their prefix lengths; the
	// prefixes decide which unicast sources are on-link (RFC 6762 §11).
	Addrs []netip.Prefix
}

// Packet is one UDP datagram, received or to be sent.
type Packet struct {
	Link LinkID
	// Src is the sender of a received packet; unset for packets to send.
	Src netip.AddrPort
	// Dst is where a packet to send goes (a multicast group or a unicast
	// address). For a received packet it is the destination address the
	// transport saw; an invalid Dst means "multicast".
	Dst netip.AddrPort
	// HopLimit is the IPv4 TTL or IPv6 hop limit of a received packet, 0 when
	// the transport does not know it.
	HopLimit int
	// OneShot marks a packet to send from the transport's ephemeral-port
	// socket (Config.OneShotFirst); answers come back to that port.
	OneShot bool
	Data    []byte
}

// Multicast group addresses and port (RFC 6762 §3).
var (
	GroupV4 = netip.AddrPortFrom(netip.AddrFrom4([4]byte{224, 0, 0, 251}), Port)
	GroupV6 = netip.AddrPortFrom(netip.MustParseAddr("ff02::fb"), Port)
)

// Port is the mDNS UDP port.
const Port = 5353

// RegID identifies a registration (a service, or the host name).
type RegID uint64

// HostReg is the RegID of the engine's own host name registration.
const HostReg RegID = 1

// QueryID identifies a continuous query.
type QueryID uint64

// ServiceSpec describes a DNS-SD service instance to publish (RFC 6763).
// Names are in miekg/dns presentation form except Instance, which is the raw
// UTF-8 instance label exactly as the user wrote it.
type ServiceSpec struct {
	Instance string   // raw instance label, e.g. "DAAP Server" or "Café v1.2 \ test"
	Type     string   // "_daap._tcp"
	Subtypes []string // "_printer" (each becomes _printer._sub.TYPE)
	Domain   string   // "local." when empty
	// Host is the SRV target when the service runs on another host (a
	// proxy registration, RFC 6763 §5): an FQDN whose addresses that host
	// publishes itself. "" means this host's name.
	Host string
	Port uint16
	// TXT holds the TXT strings in miekg/dns escaped form; empty means one
	// zero-length string on the wire (RFC 6763 §6.1).
	TXT []string
}

// Question is what a continuous query asks.
type Question struct {
	Name string // FQDN in miekg/dns presentation form
	Type uint16 // dns.TypePTR, dns.TypeSRV, ... or dns.TypeANY
}

// EventKind says what an Event reports.
type EventKind int

const (
	// EventAdded: a record answering a query entered the cache.
	EventAdded EventKind = iota + 1
	// EventUpdated: a unique record answering a query was replaced by one
	// with new data (cache-flush, RFC 6762 §10.2); Old holds the previous one.
	EventUpdated
	// EventRemoved: a record answering a query left the cache (goodbye,
	// expiry, cache-flush, POOF, or its link went away).
	EventRemoved
	// EventEstablished: a registration finished probing on every link; Name
	// is the final (possibly renamed) name.
	EventEstablished
	// EventRenamed: an established registration lost a conflict and now
	// uses Name (RFC 6762 §9).
	EventRenamed
	// EventWithdrawn: a withdrawn registration's goodbyes are all sent.
	EventWithdrawn
)

func (k EventKind) String() string {
	switch k {
	case EventAdded:
		return "added"
	case EventUpdated:
		return "updated"
	case EventRemoved:
		return "removed"
	case EventEstablished:
		return "established"
	case EventRenamed:
		return "renamed"
	case EventWithdrawn:
		return "withdrawn"
	}
	return "unknown"
}

// Event is an output of the engine, drained with PollEvent.
type Event struct {
	Kind EventKind
	// Query is set on Added, Updated and Removed.
	Query QueryID
	// Reg is set on Established, Renamed and Withdrawn.
	Reg RegID
	// Link is the interface a record was seen on.
	Link LinkID
	// Record is the record added, updated (its new value) or removed, with
	// the TTL it arrived with.
	Record dns.RR
	// Old is the replaced record of an Updated event.
	Old dns.RR
	// Name is the raw label (instance or host name) of a registration event.
	Name string
}
