package sim

import (
	"container/heap"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/rendezvous-mdns/rendezvous/internal/mdns"
)

// event is one thing that happens at a virtual time: a delivery, a host's
// timeout, or a scripted action.
type event struct {
	at   time.Duration
	seq  uint64
	host int
	kind eventKind
	pkt  mdns.Packet
	fn   func()
}

type eventKind int

const (
	evDeliver eventKind = iota
	evTimeout
	evAction
)

type eventQueue []*event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(*event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// lan is the virtual segment: it decides the fate of every delivery from
// one seeded source.
type lan struct {
	rand *rand.Rand
	sc   *Scenario
}

func newLAN(sc *Scenario, seed uint64) *lan {
	return &lan{rand: rand.New(rand.NewPCG(seed, 0x6c616e)), sc: sc}
}

// fates returns the delays of the copies of one delivery: none when lost,
// two when duplicated.
func (l *lan) fates(self bool) []time.Duration {
	if self {
		return []time.Duration{0} // multicast loopback is reliable
	}
	if l.rand.Float64() < l.sc.Loss {
		return nil
	}
	n := 1
	if l.rand.Float64() < l.sc.Dup {
		n = 2
	}
	out := make([]time.Duration, n)
	for i := range out {
		d := l.sc.MinDelay
		if l.sc.MaxDelay > l.sc.MinDelay {
			d += time.Duration(l.rand.Int64N(int64(l.sc.MaxDelay - l.sc.MinDelay)))
		}
		out[i] = d
	}
	return out
}

func hostV4(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 0, byte(i / 250), byte(i%250 + 1)}) }

func hostV6(i int) netip.Addr {
	return netip.AddrFrom16([16]byte{0xfe, 0x80, 14: byte(i >> 8), 15: byte(i + 1)})
}

func (s *Sim) push(e *event) {
	s.seq++
	e.seq = s.seq
	heap.Push(&s.queue, e)
}
