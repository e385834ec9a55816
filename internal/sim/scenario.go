package sim

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

// Scenario describes one simulation: the hosts and the segments joining
// them, what each host registers and browses and when, and the faults of the
// network. Together with a seed it determines the whole run.
type Scenario struct {
	// Hosts is the number of simulated hosts, host0…host(N-1), at most
	// MaxHosts. Host i has the address 10.0.S.(i+1)/24 on segment S.
	Hosts int
	// HostNames optionally overrides the host name label of host i ("" keeps
	// "hostI"); giving two hosts the same one forces a host name conflict
	// (RFC 6762 §9: the loser becomes "name-2").
	HostNames []string
	// Segments are the virtual links. Nil means one segment, "eth0", that
	// every host is attached to.
	Segments []Segment
	// IPv6 gives every host an IPv6 link-local address on every segment as
	// well, so every multicast goes out once per address family.
	IPv6 bool
	// Faults applies to every delivery between two hosts (a host's own
	// multicast looped back to it is always delivered at once).
	Faults Faults

	Services   []ServicePlan
	Browsers   []BrowserPlan
	Partitions []Partition
	Flaps      []Flap

	// Settle bounds convergence: by the last scripted change (registration,
	// browser start, end of a partition or link flap, or a rename it caused)
	// plus Settle, every browser must show every live service. 0 means
	// DefaultSettle.
	Settle time.Duration
	// Duration, when non-zero, stops the run at that virtual time; checks
	// due later are reported as skipped. 0 runs until every check is done
	// (past the TTL of the last withdrawn service: virtual time is cheap).
	Duration time.Duration
	// Trace, when set, receives one line per packet sent (with what became
	// of its copies) and per event. It does not change the run.
	Trace io.Writer
}

// MaxHosts is the most hosts a scenario can have: the last octet of
// 10.0.S.N holds the host index plus one.
const MaxHosts = 254

// Segment is one virtual link (an Ethernet segment or a Wi-Fi network).
type Segment struct {
	// Name is the interface name hosts see for it ("eth0" when empty for
	// segment 0, "eth1" for segment 1…).
	Name string
	// Hosts lists the attached hosts; nil attaches every host.
	Hosts []int
}

// Faults is the fault model of a delivery: each copy of a packet to each
// receiver is lost with probability Loss; a delivered one is duplicated with
// probability Dup; each copy is delayed by a uniform random time in
// [MinDelay, MaxDelay], which also reorders packets.
type Faults struct {
	Loss, Dup          float64
	MinDelay, MaxDelay time.Duration
}

// ServicePlan is one registration.
type ServicePlan struct {
	Host int // index of the registering host
	Name string
	Type string // "_test._tcp"
	Port uint16 // 0 means 1
	TXT  []string
	At   time.Duration
	// WithdrawAt, if non-zero, withdraws the service then (goodbyes, RFC
	// 6762 §10.1).
	WithdrawAt time.Duration
}

// BrowserPlan is one continuous browse (a PTR query for the type, RFC 6763
// §4) started at At and kept running to the end.
type BrowserPlan struct {
	Host int
	Type string
	At   time.Duration
}

// Partition cuts a host off one segment between From and To: nothing it
// sends there arrives and nothing reaches it, but its link stays up, so its
// engine does not know.
type Partition struct {
	Host, Segment int
	From, To      time.Duration
}

// Flap takes a host's link to a segment away at At (SetLinks without it)
// and gives it back after Down.
type Flap struct {
	Host, Segment int
	At, Down      time.Duration
}

// Bounds of the invariants. The engine's timing they rely on: probing takes
// about a second (RFC 6762 §8.1: 0–250 ms, then three probes 250 ms apart and
// 250 ms of silence); announcements go out at 0, 1 and 3 s (§8.3, three of
// them); continuous queries at 20–120 ms, then 1, 2, 4, 8… s apart up to an
// hour (§5.2); goodbyes twice, 250 ms apart, which receivers expire after
// one second (§10.1); PTR and TXT records live 4500 s, SRV and addresses
// 120 s (§10).
const (
	// DefaultSettle is the hard convergence bound. A browser that heard
	// none of the three announcements (at 10 % loss one pair in a thousand)
	// learns the service from its own continuous queries (§5.2), whose
	// intervals double. With the last change at most a few tens of seconds
	// after the browser started, the five minutes after it hold at least
	// five of those queries (at about 15, 31, 63, 127 and 255 s of the
	// series); each fails only if the query or its answer is lost (19 % at
	// 10 % loss), so a pair misses the bound with probability about
	// 0.001 × 0.19⁵ ≈ 2.5·10⁻⁷: with 50 runs of 20 browsers and ~45
	// services each (45,000 pairs) a correct engine fails about once in a
	// hundred acceptance runs, while an engine whose announcements or query
	// back-off were broken fails at once.
	DefaultSettle = 5 * time.Minute
	// FastWindow is how soon nearly every browser should show a service,
	// counted from when the service was established under its final name or
	// the browser started, whichever is later: the announcements at 0, 1
	// and 3 s (§8.3), or the answers to the browser's queries at 0.1, 1, 3
	// and 7 s (§5.2), plus the probing of a rename. How many may miss it
	// depends on the loss (see allowedMisses).
	FastWindow = 10 * time.Second
	// GoodbyeWindow is how soon a withdrawn service should leave a browser
	// that hears one of its goodbyes: goodbyes at 0 and 0.25 s, expiry one
	// second after (§10.1), plus delivery delay and slack. A browser misses
	// both goodbyes with probability loss² (1 % at 10 % loss); it then
	// drops the record when its TTL runs out.
	GoodbyeWindow = 5 * time.Second
	// recordTTL is the engine's default TTL of PTR records (Config.TTL):
	// the latest a browser that missed every goodbye drops a withdrawn
	// service (its refresh queries at 80–95 % of the TTL go unanswered,
	// §5.2).
	recordTTL = 4500 * time.Second
	// ttlSlack covers delivery delay and the one-second rounding of TTLs.
	ttlSlack = 5 * time.Second
)

// ErrInvalidScenario is wrapped by the errors Run returns for a scenario
// that cannot be simulated.
var ErrInvalidScenario = errors.New("sim: invalid scenario")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidScenario, fmt.Sprintf(format, args...))
}

// segments returns the scenario's segments with defaults filled in.
func (sc *Scenario) segments() []Segment {
	segs := sc.Segments
	if len(segs) == 0 {
		segs = []Segment{{}}
	}
	out := make([]Segment, len(segs))
	for i, s := range segs {
		out[i] = s
		if out[i].Name == "" {
			out[i].Name = fmt.Sprintf("eth%d", i)
		}
		if s.Hosts == nil {
			out[i].Hosts = make([]int, sc.Hosts)
			for h := range out[i].Hosts {
				out[i].Hosts[h] = h
			}
		}
	}
	return out
}

// validate reports what makes the scenario impossible to run.
func (sc *Scenario) validate() error {
	if sc.Hosts < 1 || sc.Hosts > MaxHosts {
		return invalid("hosts must be 1–%d, not %d", MaxHosts, sc.Hosts)
	}
	if len(sc.HostNames) > sc.Hosts {
		return invalid("%d host names for %d hosts", len(sc.HostNames), sc.Hosts)
	}
	if len(sc.Segments) > 250 {
		return invalid("at most 250 segments, not %d", len(sc.Segments))
	}
	f := sc.Faults
	if f.Loss < 0 || f.Loss >= 1 || f.Dup < 0 || f.Dup >= 1 {
		return invalid("loss and duplication must be in [0, 1): %v, %v", f.Loss, f.Dup)
	}
	if f.MinDelay < 0 || f.MaxDelay < f.MinDelay {
		return invalid("delay range [%v, %v]", f.MinDelay, f.MaxDelay)
	}
	if sc.Settle < 0 || sc.Duration < 0 {
		return invalid("negative settle or duration")
	}
	segs := sc.segments()
	on := func(h, s int) bool {
		for _, x := range segs[s].Hosts {
			if x == h {
				return true
			}
		}
		return false
	}
	for i, s := range segs {
		seen := map[int]bool{}
		for _, h := range s.Hosts {
			if h < 0 || h >= sc.Hosts {
				return invalid("segment %d: no host %d", i, h)
			}
			if seen[h] {
				return invalid("segment %d: host %d attached twice", i, h)
			}
			seen[h] = true
		}
	}
	host := func(what string, i, h int) error {
		if h < 0 || h >= sc.Hosts {
			return invalid("%s %d: no host %d", what, i, h)
		}
		return nil
	}
	for i, s := range sc.Services {
		if err := host("service", i, s.Host); err != nil {
			return err
		}
		if s.At < 0 || (s.WithdrawAt != 0 && s.WithdrawAt <= s.At) {
			return invalid("service %d: withdrawn at %v, before it is published at %v", i, s.WithdrawAt, s.At)
		}
	}
	for i, b := range sc.Browsers {
		if err := host("browser", i, b.Host); err != nil {
			return err
		}
		if b.At < 0 {
			return invalid("browser %d starts at %v", i, b.At)
		}
	}
	for i, p := range sc.Partitions {
		if err := host("partition", i, p.Host); err != nil {
			return err
		}
		if p.Segment < 0 || p.Segment >= len(segs) || !on(p.Host, p.Segment) {
			return invalid("partition %d: host %d is not on segment %d", i, p.Host, p.Segment)
		}
		if p.From < 0 || p.To <= p.From {
			return invalid("partition %d: empty window [%v, %v)", i, p.From, p.To)
		}
	}
	for i, f := range sc.Flaps {
		if err := host("flap", i, f.Host); err != nil {
			return err
		}
		if f.Segment < 0 || f.Segment >= len(segs) || !on(f.Host, f.Segment) {
			return invalid("flap %d: host %d is not on segment %d", i, f.Host, f.Segment)
		}
		if f.At < 0 || f.Down <= 0 {
			return invalid("flap %d: down at %v for %v", i, f.At, f.Down)
		}
		for j, g := range sc.Flaps[:i] {
			if g.Host == f.Host && g.Segment == f.Segment && f.At < g.At+g.Down && g.At < f.At+f.Down {
				return invalid("flaps %d and %d of host %d overlap", j, i, f.Host)
			}
		}
	}
	return nil
}

// lastChange is the time of the last scripted change that browsers must
// converge after: a registration, a browser start, the end of a partition
// or of a link flap. Withdrawals are checked on their own.
func (sc *Scenario) lastChange() time.Duration {
	var t time.Duration
	for _, s := range sc.Services {
		t = max(t, s.At)
	}
	for _, b := range sc.Browsers {
		t = max(t, b.At)
	}
	for _, p := range sc.Partitions {
		t = max(t, p.To)
	}
	for _, f := range sc.Flaps {
		t = max(t, f.At+f.Down)
	}
	return t
}

// StandardType is the service type of Standard scenarios.
const StandardType = "_test._tcp"

// SharedName is the instance name several hosts of a Standard scenario
// register, forcing conflicts and renames ("Shared Name (2)"…).
const SharedName = "Shared Name"

// Standard builds the acceptance scenario on one segment: every host
// registers servicesPerHost services "Service H-K" of type _test._tcp at a
// random time in the first five seconds, and browses for the type from a
// random time in the same window; every fourth host also registers
// "Shared Name", so all but one of those must be renamed; every third host
// withdraws its first service between 30 and 40 s. Deliveries are lost
// with probability loss and delayed 0.1–2 ms. The random times come from
// seed, so the scenario is as reproducible as the run.
func Standard(hosts, servicesPerHost int, loss float64, seed uint64) Scenario {
	r := rand.New(rand.NewPCG(seed, 0x7363656e6172696f))
	sc := Scenario{
		Hosts:  hosts,
		Faults: Faults{Loss: loss, MinDelay: 100 * time.Microsecond, MaxDelay: 2 * time.Millisecond},
	}
	at := func(lo, hi time.Duration) time.Duration { return lo + time.Duration(r.Int64N(int64(hi-lo))) }
	for h := range hosts {
		for k := range servicesPerHost {
			sp := ServicePlan{Host: h, Name: fmt.Sprintf("Service %d-%d", h, k), Type: StandardType,
				Port: uint16(1000 + k), TXT: []string{fmt.Sprintf("host=%d", h)}, At: at(0, 5*time.Second)}
			if k == 0 && h%3 == 0 {
				sp.WithdrawAt = at(30*time.Second, 40*time.Second)
			}
			sc.Services = append(sc.Services, sp)
		}
		if h%4 == 0 {
			sc.Services = append(sc.Services, ServicePlan{Host: h, Name: SharedName, Type: StandardType,
				Port: 4242, At: at(0, 5*time.Second)})
		}
		sc.Browsers = append(sc.Browsers, BrowserPlan{Host: h, Type: StandardType, At: at(0, 5*time.Second)})
	}
	return sc
}
