// Package avahi is the dnssd.Backend that works through the system's
// avahi-daemon over D-Bus, so a host running Avahi keeps a single mDNS
// responder: registrations become Avahi entry groups (renamed "Name (2)"…
// on conflicts, as with the embedded responder), queries become Avahi
// record browsers. It follows avahi-daemon across restarts.
//
// A zero dnssd.Client selects this backend by itself when avahi-daemon is
// on the system bus; New is for choosing it explicitly.
package avahi

import (
	"context"

	"github.com/rendezvous-mdns/rendezvous/dnssd"
	core "github.com/rendezvous-mdns/rendezvous/internal/avahi"
)

// Config configures the backend; the zero value uses the system bus
// ($DBUS_SYSTEM_BUS_ADDRESS, else /run/dbus/system_bus_socket).
type Config = dnssd.AvahiConfig

// ErrNotRunning reports that no avahi-daemon is on the bus.
var ErrNotRunning = core.ErrNotRunning

// New connects to avahi-daemon; the error wraps ErrNotRunning when it is
// not on the bus.
func New(ctx context.Context, cfg Config) (dnssd.Backend, error) { return dnssd.NewAvahi(ctx, cfg) }

// Available reports whether avahi-daemon answers on the bus (nil) or why
// not.
func Available(ctx context.Context, cfg Config) error {
	return core.Available(ctx, core.Config{BusAddress: cfg.BusAddress})
}
