package mdns

import (
	"log/slog"
	"time"
)

// Config holds the engine's settings. The zero value works: every field has
// a default chosen to match RFC 6762 and Bonjour's behaviour.
type Config struct {
	// HostName is the raw label of this host's name (NAME.local.). Empty
	// means "rendezvous".
	HostName string
	// Seed seeds the engine's random source (probe and response delays).
	// The engine never uses global randomness, so the same seed and inputs
	// give the same outputs.
	Seed uint64
	// Logger receives debug logs about dropped packets and conflicts; nil
	// discards them.
	Logger *slog.Logger

	// HostTTL is the TTL of records naming the host (A, AAAA, SRV, reverse
	// PTR); 0 means 120 s (RFC 6762 §10).
	HostTTL time.Duration
	// TTL is the TTL of the other records (PTR, TXT); 0 means 4500 s.
	TTL time.Duration
	// Announcements is how many unsolicited announcements are sent after
	// probing (RFC 6762 §8.3, at least 2, at most 8); 0 means 3.
	Announcements int
	// Goodbyes is how many times goodbye records are sent (RFC 6762 §10.1);
	// 0 means 2, sent 250 ms apart, to survive the loss of one packet.
	Goodbyes int
	// MaxPacket is the largest DNS message sent, in bytes; 0 means 1440
	// (fits an Ethernet MTU with IPv6 and UDP headers).
	MaxPacket int
	// DisableQU turns off the unicast-response bit on first queries and
	// probes (RFC 6762 §5.4); transports that cannot receive unicast replies
	// set it.
	DisableQU bool
	// OneShotFirst sends the first query of each series as a one-shot
	// query (RFC 6762 §5.1) from the transport's ephemeral port
	// (Packet.OneShot) instead of a QU query from port 5353. Responders
	// answer it by unicast to that port, which reaches us even when another
	// responder on this host shares port 5353 and would receive the unicast
	// answers to a QU query. The series continues with QM queries.
	OneShotFirst bool
	// PublishReverse also announces a reverse-mapping PTR for each address
	// (4.3.2.1.in-addr.arpa. → host.local.), as Apple's responder does. It
	// is off by default: when another responder (avahi-daemon) runs on the
	// same host it owns those names too, and two owners of one reverse name
	// are a conflict that makes it rename its host.
	PublishReverse bool
	// LazyHost publishes the host name only once the first service is
	// published. A process that only browses and resolves then claims no
	// name on the network (and fights nobody over one).
	LazyHost bool

	// Limits; 0 means the default in parentheses.
	MaxCacheRecords  int // records in the cache (10,000)
	MaxRegistrations int // published services (16,384)
	MaxQueries       int // continuous queries (4,096)
	MaxKnownAnswers  int // known answers kept for one received query (1,024)
	MaxTCPending     int // received truncated queries awaiting their known answers, per link (64)
	MaxEvents        int // undrained events; older ones are dropped past it (65,536)
}

const (
	defaultHostTTL = 120 * time.Second
	defaultTTL     = 4500 * time.Second
)

func (c *Config) withDefaults() Config {
	d := *c
	if d.HostName == "" {
		d.HostName = "rendezvous"
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.HostTTL <= 0 {
		d.HostTTL = defaultHostTTL
	}
	if d.TTL <= 0 {
		d.TTL = defaultTTL
	}
	if d.Announcements <= 0 {
		d.Announcements = 3
	}
	d.Announcements = min(d.Announcements, 8)
	if d.Goodbyes <= 0 {
		d.Goodbyes = 2
	}
	if d.MaxPacket <= 0 {
		d.MaxPacket = 1440
	}
	d.MaxPacket = min(max(d.MaxPacket, 512), 9000)
	def := func(v *int, n int) {
		if *v <= 0 {
			*v = n
		}
	}
	def(&d.MaxCacheRecords, 10000)
	def(&d.MaxRegistrations, 16384)
	def(&d.MaxQueries, 4096)
	def(&d.MaxKnownAnswers, 1024)
	def(&d.MaxTCPending, 64)
	def(&d.MaxEvents, 65536)
	return d
}
