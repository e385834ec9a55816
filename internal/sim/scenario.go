// Package sim is a deterministic multi-host simulator over mdns.Engines: N
// hosts on one virtual segment with seeded loss, duplication, delay (and so
// reordering), partitions and link flaps, driven on virtual time by a
// discrete-event loop. A run is a pure function of its Scenario and seed;
// invariants are checked as it runs and at the end, and a failing run
// reports the seed that replays it exactly.
package sim

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Scenario describes a simulation.
type Scenario struct {
	Hosts int
	// Faults on every delivery between hosts.
	Loss, Dup          float64
	MinDelay, MaxDelay time.Duration
	// IPv6 gives every host a link-local IPv6 address as well, so every
	// multicast goes out twice.
	IPv6 bool

	Services   []ServicePlan
	Browsers   []BrowserPlan
	Partitions []Partition
	Flaps      []Flap

	// Settle is how long after the last registration change browsers must
	// have converged; 0 means DefaultSettle.
	Settle time.Duration
	// Trace records a line per packet and event in Result.Trace; with
	// TraceFilter set, only the lines it accepts.
	Trace       bool
	TraceFilter func(line string) bool
}

// ServicePlan is one registration.
type ServicePlan struct {
	Host int // 0-based host index
	Name string
	Type string // "_daap._tcp"
	Port uint16
	At   time.Duration
	// WithdrawAt, if non-zero, withdraws the service then.
	WithdrawAt time.Duration
}

// BrowserPlan is one continuous browse.
type BrowserPlan struct {
	Host int
	Type string
	At   time.Duration
}

// Partition cuts a host off the segment between From and To: nothing it
// sends arrives and nothing reaches it (the link stays up).
type Partition struct {
	Host     int
	From, To time.Duration
}

// Flap takes a host's link down (SetLinks without it) at At and back up
// after Down.
type Flap struct {
	Host int
	At   time.Duration
	Down time.Duration
}

// DefaultSettle bounds convergence after the last registration change: by
// then every browser must show exactly the live services. RFC 6762 §8.3
// announcements go out at 0, 1 and 3 s; a browser that missed all three
// (one in a thousand at 10 % loss) learns the service from its continuous
// queries (§5.2), whose intervals double: 1, 2, 4 … 128 s. Each such round
// fails when the query or the answer is lost (19 % at 10 % loss), so a hard
// bound meant for tens of thousands of browser–service pairs must allow
// several rounds: five minutes covers the announcements and seven or more
// query rounds. How fast discovery usually is, is checked separately
// (FastWindow).
const DefaultSettle = 5 * time.Minute

// FastWindow is how soon after a service is established (or a browser
// starts, whichever is later) nearly every browser should show it: the
// announcements at 0, 1 and 3 s, or the first answers to the browser's
// queries.
const FastWindow = 10 * time.Second

// GoodbyeWindow is how soon a withdrawn service should leave a browser that
// received a goodbye: goodbyes at 0 and 0.25 s (RFC 6762 §10.1), records
// expire 1 s after a goodbye, plus slack for delay.
const GoodbyeWindow = 5 * time.Second

// Standard builds the acceptance scenario: every host registers
// servicesPerHost services of type _test._tcp at a random time in the first
// five seconds and browses for the type; every fourth host also registers
// "Shared Name", so those must be renamed "Shared Name (2)"…; every third
// host withdraws its first service once everything has settled. Start
// times come from seed, so the scenario is as reproducible as the run.
func Standard(hosts, servicesPerHost int, loss float64, seed uint64) Scenario {
	r := rand.New(rand.NewPCG(seed, 0x7363656e))
	sc := Scenario{Hosts: hosts, Loss: loss, MinDelay: 100 * time.Microsecond, MaxDelay: 2 * time.Millisecond}
	at := func() time.Duration { return time.Duration(r.Int64N(int64(5 * time.Second))) }
	withdrawAt := 5*time.Second + DefaultSettle + 10*time.Second
	if loss == 0 {
		sc.Settle = 30 * time.Second
		withdrawAt = 5*time.Second + sc.Settle + 10*time.Second
	}
	for h := 0; h < hosts; h++ {
		for k := 0; k < servicesPerHost; k++ {
			sp := ServicePlan{Host: h, Name: fmt.Sprintf("Service %d-%d", h, k), Type: "_test._tcp", Port: uint16(1000 + k), At: at()}
			if k == 0 && h%3 == 0 {
				sp.WithdrawAt = withdrawAt
			}
			sc.Services = append(sc.Services, sp)
		}
		if h%4 == 0 {
			sc.Services = append(sc.Services, ServicePlan{Host: h, Name: "Shared Name", Type: "_test._tcp", Port: 4242, At: at()})
		}
		sc.Browsers = append(sc.Browsers, BrowserPlan{Host: h, Type: "_test._tcp", At: at()})
	}
	return sc
}
