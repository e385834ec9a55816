package dnssd

import (
	"context"

	"github.com/miekg/dns"
)

// Backend is a responder that rendezvous works through: the embedded
// engine (the default), or later the system's own responder. It is small on
// purpose, like http.RoundTripper under http.Client: registration and a
// continuous query of any record type; Client builds browsing, resolving
// and host look-ups on top.
type Backend interface {
	// Register publishes svc and returns once its name is established
	// (after probing and any renaming).
	Register(ctx context.Context, svc Service) (BackendRegistration, error)
	// Query starts a continuous query for name and type.
	Query(ctx context.Context, name string, rrtype uint16) (BackendQuery, error)
	// Close ends every operation and releases the backend's resources.
	Close() error
}

// BackendRegistration is a registration in a Backend.
type BackendRegistration interface {
	// Name is the instance name in use.
	Name() string
	// Renamed delivers the new name after a later conflict (RFC 6762 §9);
	// it is closed when the registration ends.
	Renamed() <-chan string
	UpdateTXT(ctx context.Context, txt TXT) error
	// Close withdraws the service (goodbyes) and waits for that, bounded
	// by ctx.
	Close(ctx context.Context) error
}

// BackendQuery is a running continuous query.
type BackendQuery interface {
	// Next waits for the next result.
	Next(ctx context.Context) (RecordEvent, error)
	Close() error
}

// EventKind says whether something appeared, changed or went away.
type EventKind int

const (
	Added EventKind = iota + 1
	Updated
	Removed
)

func (k EventKind) String() string {
	switch k {
	case Added:
		return "add"
	case Updated:
		return "update"
	case Removed:
		return "remove"
	}
	return "unknown"
}

// RecordEvent is one result of a query: a record that appeared, changed
// (a unique record replaced by new data) or went away, and the interface it
// was seen on.
type RecordEvent struct {
	Kind      EventKind
	Interface string
	Record    dns.RR
}
