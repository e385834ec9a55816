package dnssd

import (
	"context"
	"errors"
	"iter"

	"github.com/miekg/dns"
)

// BrowseEvent is a service instance appearing or going away.
type BrowseEvent struct {
	Kind      EventKind // Added or Removed
	Instance  Instance
	Interface string
}

// Browse reports the instances of a service type as they come and go
// (RFC 6763 §4), until ctx ends or the loop breaks. A type with one subtype
// ("_http._tcp,_printer") browses that subtype (§7.1). Domain "" is
// "local.". An error ends the sequence.
func (c *Client) Browse(ctx context.Context, t ServiceType, domain string) iter.Seq2[BrowseEvent, error] {
	return func(yield func(BrowseEvent, error) bool) {
		if err := t.Validate(); err != nil {
			yield(BrowseEvent{}, err)
			return
		}
		owner := t.DNSName(domain)
		name := owner
		if subs := t.Subtypes(); len(subs) == 1 {
			name = t.SubtypeDNSName(subs[0], domain)
		}
		for ev, err := range c.query(ctx, "browse", string(t), name, dns.TypePTR) {
			if err != nil {
				yield(BrowseEvent{}, err)
				return
			}
			ptr, ok := ev.Record.(*dns.PTR)
			if !ok {
				continue
			}
			inst, err := InstanceFromPTR(owner, ptr.Ptr)
			if err != nil {
				continue // a malformed name from the network: skip it
			}
			if ev.Kind == Updated {
				continue
			}
			if !yield(BrowseEvent{Kind: ev.Kind, Instance: inst, Interface: ev.Interface}, nil) {
				return
			}
		}
	}
}

// Browse browses with DefaultClient.
func Browse(ctx context.Context, t ServiceType, domain string) iter.Seq2[BrowseEvent, error] {
	return DefaultClient.Browse(ctx, t, domain)
}

// Query reports the records of one name and type (any type, dns.TypeANY
// for all) as they come, change and go, until ctx ends or the loop breaks.
func (c *Client) Query(ctx context.Context, name string, rrtype uint16) iter.Seq2[RecordEvent, error] {
	return c.query(ctx, "query", name, dns.Fqdn(name), rrtype)
}

// Query queries with DefaultClient.
func Query(ctx context.Context, name string, rrtype uint16) iter.Seq2[RecordEvent, error] {
	return DefaultClient.Query(ctx, name, rrtype)
}

// query runs one backend query as a sequence; the end of ctx ends it
// without an error.
func (c *Client) query(ctx context.Context, op, what, name string, rrtype uint16) iter.Seq2[RecordEvent, error] {
	return func(yield func(RecordEvent, error) bool) {
		b, err := c.backend()
		if err != nil {
			yield(RecordEvent{}, &OpError{Op: op, Name: what, Err: err})
			return
		}
		q, err := b.Query(ctx, name, rrtype)
		if err != nil {
			if ctx.Err() == nil {
				yield(RecordEvent{}, &OpError{Op: op, Name: what, Err: err})
			}
			return
		}
		defer q.Close()
		for {
			ev, err := q.Next(ctx)
			if err != nil {
				if ctx.Err() == nil && !errors.Is(err, context.Canceled) {
					yield(RecordEvent{}, &OpError{Op: op, Name: what, Err: err})
				}
				return
			}
			if !yield(ev, nil) {
				return
			}
		}
	}
}

// TypeEvent is a service type appearing on or leaving the link.
type TypeEvent struct {
	Kind      EventKind
	Type      ServiceType
	Domain    string
	Interface string
}

// BrowseTypes reports the service types in use (RFC 6763 §9).
func (c *Client) BrowseTypes(ctx context.Context, domain string) iter.Seq2[TypeEvent, error] {
	return func(yield func(TypeEvent, error) bool) {
		d := normalizeDomainOrLocal(domain)
		for ev, err := range c.query(ctx, "types", d, "_services._dns-sd._udp."+d, dns.TypePTR) {
			if err != nil {
				yield(TypeEvent{}, err)
				return
			}
			ptr, ok := ev.Record.(*dns.PTR)
			if !ok || ev.Kind == Updated {
				continue
			}
			t, dom, err := parseTypeDomain(ptr.Ptr)
			if err != nil {
				continue
			}
			if !yield(TypeEvent{Kind: ev.Kind, Type: t, Domain: dom, Interface: ev.Interface}, nil) {
				return
			}
		}
	}
}

// BrowseTypes enumerates service types with DefaultClient.
func BrowseTypes(ctx context.Context, domain string) iter.Seq2[TypeEvent, error] {
	return DefaultClient.BrowseTypes(ctx, domain)
}
