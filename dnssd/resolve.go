package dnssd

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// ResolvedService is a resolved instance: where to connect.
type ResolvedService struct {
	Service
	// Addrs are the target host's addresses, IPv4 first.
	Addrs []netip.Addr
	// Interface is where the SRV record was seen.
	Interface string
}

// addrGrace is how long a resolve or look-up waits for the other address
// family once it has the first address: responders answer A and AAAA
// together (RFC 6762 §6.2), so a short wait collects both.
const addrGrace = 150 * time.Millisecond

// Resolve finds an instance's host, port, addresses and TXT (RFC 6763 §5,
// §6). It returns as soon as it knows them all, or fails with ErrNotFound
// wrapped in an *OpError when ctx ends first.
func (c *Client) Resolve(ctx context.Context, inst Instance) (ResolvedService, error) {
	if err := inst.Validate(); err != nil {
		return ResolvedService{}, err
	}
	op := &OpError{Op: "resolve", Name: inst.String()}
	b, err := c.backend()
	if err != nil {
		op.Err = err
		return ResolvedService{}, op
	}
	ctx, cancel := context.WithCancel(ctx)
	m := newMerger(ctx, b)
	defer m.stop(cancel)
	name := inst.DNSName()
	m.start(name, dns.TypeSRV)
	m.start(name, dns.TypeTXT)
	if split := inst.splitDNSName(); split != "" {
		// A browse gives "a.b" both for one label holding a dot and for
		// two labels from a peer that does not escape (see
		// InstanceFromPTR); ask for both.
		m.start(split, dns.TypeSRV)
		m.start(split, dns.TypeTXT)
	}

	var (
		srv     *dns.SRV
		iface   string
		txt     TXT
		haveTXT bool
		target  string
		addrs   = map[netip.Addr]bool{}
		got4    bool
		got6    bool
		grace   <-chan time.Time
	)
	for {
		select {
		case ev := <-m.events:
			if ev.err != nil {
				op.Err = ev.err
				return ResolvedService{}, op
			}
			if ev.Kind == Removed {
				continue
			}
			switch r := ev.Record.(type) {
			case *dns.SRV:
				srv, iface = r, ev.Interface
				if t := dns.CanonicalName(r.Target); t != target {
					target = t
					m.start(target, dns.TypeA)
					m.start(target, dns.TypeAAAA)
				}
			case *dns.TXT:
				if t, err := TXTFromDNSStrings(r.Txt); err == nil {
					txt, haveTXT = t, true
				}
			case *dns.A, *dns.AAAA:
				if target == "" || !strings.EqualFold(dns.CanonicalName(r.Header().Name), target) {
					continue
				}
				a := addrOf(r)
				if !a.IsValid() {
					continue
				}
				addrs[a] = true
				if a.Is4() {
					got4 = true
				} else {
					got6 = true
				}
				if grace == nil {
					grace = time.After(addrGrace)
				}
			}
		case <-grace:
			grace = nil
		case <-ctx.Done():
			op.Err = ErrNotFound
			return ResolvedService{}, op
		}
		// Complete: SRV, TXT and an address, and both families or the
		// grace period over.
		if srv != nil && haveTXT && len(addrs) > 0 && (got4 && got6 || grace == nil) {
			break
		}
	}
	return ResolvedService{
		Service:   Service{Name: inst.Name, Type: inst.Type, Domain: normalizeDomainOrLocal(inst.Domain), Host: target, Port: srv.Port, TXT: txt},
		Addrs:     sortedAddrs(addrs),
		Interface: iface,
	}, nil
}

// Resolve resolves with DefaultClient.
func Resolve(ctx context.Context, inst Instance) (ResolvedService, error) {
	return DefaultClient.Resolve(ctx, inst)
}

// LookupHost returns the addresses of a host on the link ("printer.local",
// or "printer", to which ".local." is added). It returns once it has an
// address (and waited briefly for the other family), or fails with
// ErrNotFound when ctx ends first.
func (c *Client) LookupHost(ctx context.Context, host string) ([]netip.Addr, error) {
	name := dns.Fqdn(host)
	if !strings.Contains(strings.TrimSuffix(name, "."), ".") {
		name += "local."
	}
	op := &OpError{Op: "lookup", Name: name}
	if err := validHostName(name); err != nil {
		return nil, err
	}
	b, err := c.backend()
	if err != nil {
		op.Err = err
		return nil, op
	}
	ctx, cancel := context.WithCancel(ctx)
	m := newMerger(ctx, b)
	defer m.stop(cancel)
	m.start(name, dns.TypeA)
	m.start(name, dns.TypeAAAA)
	addrs := map[netip.Addr]bool{}
	var grace <-chan time.Time
	var got4, got6 bool
	for {
		select {
		case ev := <-m.events:
			if ev.err != nil {
				op.Err = ev.err
				return nil, op
			}
			if ev.Kind == Removed {
				continue
			}
			if a := addrOf(ev.Record); a.IsValid() {
				addrs[a] = true
				got4 = got4 || a.Is4()
				got6 = got6 || a.Is6()
				if grace == nil {
					grace = time.After(addrGrace)
				}
			}
			if got4 && got6 {
				return sortedAddrs(addrs), nil
			}
		case <-grace:
			return sortedAddrs(addrs), nil
		case <-ctx.Done():
			op.Err = ErrNotFound
			return nil, op
		}
	}
}

// LookupHost looks a host up with DefaultClient.
func LookupHost(ctx context.Context, host string) ([]netip.Addr, error) {
	return DefaultClient.LookupHost(ctx, host)
}

func addrOf(rr dns.RR) netip.Addr {
	switch r := rr.(type) {
	case *dns.A:
		a, _ := netip.AddrFromSlice(r.A.To4())
		return a
	case *dns.AAAA:
		a, _ := netip.AddrFromSlice(r.AAAA.To16())
		return a
	}
	return netip.Addr{}
}

func sortedAddrs(m map[netip.Addr]bool) []netip.Addr {
	out := make([]netip.Addr, 0, len(m))
	for a := range m {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b netip.Addr) int {
		if a.Is4() != b.Is4() {
			if a.Is4() {
				return -1
			}
			return 1
		}
		return a.Compare(b)
	})
	return out
}

// merger runs several backend queries and merges their results into one
// channel; stop ends them and waits for their goroutines.
type merger struct {
	ctx    context.Context
	b      Backend
	events chan mergedEvent
	wg     sync.WaitGroup
}

type mergedEvent struct {
	RecordEvent
	err error
}

func newMerger(ctx context.Context, b Backend) *merger {
	return &merger{ctx: ctx, b: b, events: make(chan mergedEvent)}
}

func (m *merger) start(name string, rrtype uint16) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		q, err := m.b.Query(m.ctx, name, rrtype)
		if err != nil {
			m.send(mergedEvent{err: err})
			return
		}
		defer q.Close()
		for {
			ev, err := q.Next(m.ctx)
			if err != nil {
				if m.ctx.Err() == nil {
					m.send(mergedEvent{err: err})
				}
				return
			}
			if !m.send(mergedEvent{RecordEvent: ev}) {
				return
			}
		}
	}()
}

func (m *merger) send(ev mergedEvent) bool {
	select {
	case m.events <- ev:
		return true
	case <-m.ctx.Done():
		return false
	}
}

// stop cancels the queries' context and waits for their goroutines.
func (m *merger) stop(cancel context.CancelFunc) {
	cancel()
	m.wg.Wait()
}
