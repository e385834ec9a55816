package dnssd

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// recordBackend answers queries from a fixed set of records, as a peer's
// responder would; it cannot register.
type recordBackend struct{ rrs []dns.RR }

func (b recordBackend) Register(context.Context, Service) (BackendRegistration, error) {
	return nil, ErrNotFound
}

func (b recordBackend) Query(_ context.Context, name string, rrtype uint16) (BackendQuery, error) {
	q := &listQuery{}
	for _, rr := range b.rrs {
		h := rr.Header()
		if strings.EqualFold(dns.CanonicalName(h.Name), dns.CanonicalName(name)) && h.Rrtype == rrtype {
			q.evs = append(q.evs, RecordEvent{Kind: Added, Interface: "eth0", Record: rr})
		}
	}
	return q, nil
}

func (b recordBackend) Close() error { return nil }

type listQuery struct{ evs []RecordEvent }

func (q *listQuery) Next(ctx context.Context) (RecordEvent, error) {
	if len(q.evs) == 0 {
		<-ctx.Done()
		return RecordEvent{}, ctx.Err()
	}
	ev := q.evs[0]
	q.evs = q.evs[1:]
	return ev, nil
}

func (q *listQuery) Close() error { return nil }

func mustRR(t *testing.T, s string) dns.RR {
	t.Helper()
	rr, err := dns.NewRR(s)
	if err != nil {
		t.Fatal(err)
	}
	return rr
}

// python-zeroconf 0.47 puts an instance name holding a dot on the wire as
// two labels; InstanceFromPTR reads it back as "Py.Library", and Resolve
// of that instance finds the records under the two-label name.
func TestResolveInstanceNameSplitIntoLabelsByThePeer(t *testing.T) {
	c := &Client{Backend: recordBackend{rrs: []dns.RR{
		mustRR(t, "Py.Library._daap._tcp.local. 120 IN SRV 0 0 3690 py-host.local."),
		mustRR(t, `Py.Library._daap._tcp.local. 4500 IN TXT "txtvers=1"`),
		mustRR(t, "py-host.local. 120 IN A 10.0.0.9"),
	}}}
	inst, err := InstanceFromPTR("_daap._tcp.local.", "Py.Library._daap._tcp.local.")
	if err != nil || inst.Name != "Py.Library" {
		t.Fatalf("InstanceFromPTR: %+v %v", inst, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rs, err := c.Resolve(ctx, inst)
	if err != nil {
		t.Fatal(err)
	}
	if rs.Port != 3690 || rs.Host != "py-host.local." || len(rs.Addrs) != 1 || rs.Addrs[0] != netip.MustParseAddr("10.0.0.9") {
		t.Fatalf("resolve: %+v", rs)
	}
	if rs.Name != "Py.Library" {
		t.Fatalf("name %q", rs.Name)
	}
}

// A name with a dot in one label (RFC 6763 §4.3, escaped on the wire)
// resolves as such.
func TestResolveInstanceNameWithAnEscapedDot(t *testing.T) {
	c := &Client{Backend: recordBackend{rrs: []dns.RR{
		mustRR(t, `Py\.Library._daap._tcp.local. 120 IN SRV 0 0 3691 other.local.`),
		mustRR(t, `Py\.Library._daap._tcp.local. 4500 IN TXT ""`),
		mustRR(t, "other.local. 120 IN A 10.0.0.10"),
	}}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rs, err := c.Resolve(ctx, Instance{Name: "Py.Library", Type: "_daap._tcp"})
	if err != nil || rs.Port != 3691 {
		t.Fatalf("resolve: %+v %v", rs, err)
	}
}
