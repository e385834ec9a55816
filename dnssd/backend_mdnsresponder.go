package dnssd

import (
	"context"
	"errors"
	"log/slog"

	"github.com/rendezvous-mdns/rendezvous/internal/mdnsclient"
)

// MDNSResponderConfig configures the mDNSResponder-protocol backend
// (package dnssd/mdnsresponder).
type MDNSResponderConfig struct {
	// Path is the daemon's socket; "" means $DNSSD_UDS_PATH, else
	// /var/run/mDNSResponder.
	Path string
	// Logger receives the backend's logs; nil discards them.
	Logger *slog.Logger
}

// NewMDNSResponder connects to a daemon speaking Apple's mDNSResponder
// client protocol (Apple's mDNSResponder or `rendezvous daemon`) and
// returns a Backend that works through it. Package dnssd/mdnsresponder
// documents it.
func NewMDNSResponder(ctx context.Context, cfg MDNSResponderConfig) (Backend, error) {
	b, err := mdnsclient.New(ctx, mdnsclient.Config{Path: cfg.Path, Logger: cfg.Logger})
	if err != nil {
		return nil, mapMDNSErr(err)
	}
	return &mdnsBackend{b: b}, nil
}

// mdnsBackend adapts internal/mdnsclient to Backend.
type mdnsBackend struct{ b *mdnsclient.Backend }

func (m *mdnsBackend) Register(ctx context.Context, svc Service) (BackendRegistration, error) {
	if err := svc.Validate(); err != nil {
		return nil, err
	}
	r, err := m.b.Register(ctx, mdnsclient.Service{
		Name: svc.Name, RegType: string(svc.Type), Domain: svc.Domain, Host: svc.Host,
		Port: svc.Port, TXT: svc.TXT.Strings(),
	})
	if err != nil {
		return nil, mapMDNSErr(err)
	}
	return textReg{r, mapMDNSErr}, nil
}

func (m *mdnsBackend) Query(ctx context.Context, name string, rrtype uint16) (BackendQuery, error) {
	q, err := m.b.Query(ctx, name, rrtype)
	if err != nil {
		return nil, mapMDNSErr(err)
	}
	return mdnsQuery{q}, nil
}

func (m *mdnsBackend) Close() error { return m.b.Close() }

func (m *mdnsBackend) kind() string { return "mdnsresponder" }

type mdnsQuery struct{ q *mdnsclient.Query }

func (q mdnsQuery) Next(ctx context.Context) (RecordEvent, error) {
	ev, err := q.q.Next(ctx)
	if err != nil {
		return RecordEvent{}, mapMDNSErr(err)
	}
	kind := Added
	if ev.Removed {
		kind = Removed
	}
	return RecordEvent{Kind: kind, Interface: ev.Interface, Record: ev.Record}, nil
}

func (q mdnsQuery) Close() error { return q.q.Close() }

func mapMDNSErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mdnsclient.ErrClosed):
		return ErrClosed
	case errors.Is(err, mdnsclient.ErrLimit):
		return alsoIs(err, ErrLimit)
	}
	return err
}
