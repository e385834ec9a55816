package dnssd

import (
	"context"
	"errors"
	"log/slog"

	"github.com/rendezvous-mdns/rendezvous/internal/avahi"
)

// AvahiConfig configures the Avahi backend (package dnssd/avahi).
type AvahiConfig struct {
	// BusAddress is the system bus address; "" means
	// $DBUS_SYSTEM_BUS_ADDRESS, else /run/dbus/system_bus_socket.
	BusAddress string
	// Logger receives the backend's logs; nil discards them.
	Logger *slog.Logger
}

// NewAvahi connects to avahi-daemon on the system bus and returns a
// Backend that registers and queries through it. Package dnssd/avahi
// documents it.
func NewAvahi(ctx context.Context, cfg AvahiConfig) (Backend, error) {
	b, err := avahi.New(ctx, avahi.Config{BusAddress: cfg.BusAddress, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	return &avahiBackend{b: b}, nil
}

// avahiBackend adapts internal/avahi to Backend.
type avahiBackend struct{ b *avahi.Backend }

func (a *avahiBackend) Register(ctx context.Context, svc Service) (BackendRegistration, error) {
	if err := svc.Validate(); err != nil {
		return nil, err
	}
	r, err := a.b.Register(ctx, avahi.Service{
		Name: svc.Name, Type: string(svc.Type.Base()), Subtypes: svc.Type.Subtypes(),
		Domain: svc.Domain, Host: svc.Host, Port: svc.Port, TXT: svc.TXT.Strings(),
	})
	if err != nil {
		return nil, mapAvahiErr(err)
	}
	return textReg{r, mapAvahiErr}, nil
}

func (a *avahiBackend) Query(ctx context.Context, name string, rrtype uint16) (BackendQuery, error) {
	q, err := a.b.Query(ctx, name, rrtype)
	if err != nil {
		return nil, mapAvahiErr(err)
	}
	return avahiQuery{q}, nil
}

func (a *avahiBackend) Close() error { return a.b.Close() }

func (a *avahiBackend) kind() string { return "avahi" }

type avahiQuery struct{ q *avahi.Query }

func (q avahiQuery) Next(ctx context.Context) (RecordEvent, error) {
	ev, err := q.q.Next(ctx)
	if err != nil {
		return RecordEvent{}, mapAvahiErr(err)
	}
	kind := Added
	if ev.Removed {
		kind = Removed
	}
	return RecordEvent{Kind: kind, Interface: ev.Interface, Record: ev.Record}, nil
}

func (q avahiQuery) Close() error { return q.q.Close() }

func mapAvahiErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, avahi.ErrClosed):
		return ErrClosed
	case errors.Is(err, avahi.ErrLimit):
		return alsoIs(err, ErrLimit)
	}
	return err
}
