// Package mdnsresponder is the dnssd.Backend that works through a daemon
// speaking Apple's mDNSResponder client protocol (dnssd_ipc.h VERSION 1) on
// a Unix socket: Apple's mDNSResponder on macOS, its POSIX build (mdnsd),
// or `rendezvous daemon`. It is pure Go; no libdns_sd, no cgo.
//
// The socket is Config.Path, else the DNSSD_UDS_PATH environment variable,
// else /var/run/mDNSResponder, as for libdns_sd. A backend keeps one shared
// connection and runs every operation on it; each request passes its
// error-return socket by SCM_RIGHTS exactly as libdns_sd does.
//
// A zero dnssd.Client selects this backend by itself when no avahi-daemon
// is on the system bus and a daemon answers on the socket; New is for
// choosing it explicitly.
//
// Errors say what went wrong: a *NotRunningError (errors.Is ErrNotRunning)
// names the socket path where no daemon answered; a *DaemonError carries
// the daemon's error code and matches ErrNameConflict, ErrUnsupported,
// dnssd.ErrLimit or ErrNotRunning where one fits; a lost connection is
// ErrConnectionLost.
package mdnsresponder

import (
	"context"

	"github.com/rendezvous-mdns/rendezvous/dnssd"
	"github.com/rendezvous-mdns/rendezvous/internal/mdnsclient"
)

// Config configures the backend.
type Config = dnssd.MDNSResponderConfig

// DefaultPath is the socket libdns_sd uses when DNSSD_UDS_PATH is unset.
const DefaultPath = mdnsclient.DefaultPath

// Errors that errors.Is finds in the backend's errors.
var (
	ErrNotRunning     = mdnsclient.ErrNotRunning
	ErrNameConflict   = mdnsclient.ErrNameConflict
	ErrUnsupported    = mdnsclient.ErrUnsupported
	ErrConnectionLost = mdnsclient.ErrConnectionLost
)

type (
	// NotRunningError reports that nothing speaking the protocol answers
	// on Path.
	NotRunningError = mdnsclient.NotRunningError
	// DaemonError is an error code the daemon returned.
	DaemonError = mdnsclient.DaemonError
)

// New connects to the daemon.
func New(ctx context.Context, cfg Config) (dnssd.Backend, error) {
	return dnssd.NewMDNSResponder(ctx, cfg)
}

// SocketPath is the socket a Config with Path path uses.
func SocketPath(path string) string { return mdnsclient.SocketPath(path) }

// Available reports whether a daemon answers on path ("" as for Config):
// nil if it does, an error saying why not otherwise.
func Available(ctx context.Context, path string) error { return mdnsclient.Available(ctx, path) }

// DaemonVersion asks the daemon for its version (DNSServiceGetProperty
// "DaemonVersion").
func DaemonVersion(ctx context.Context, path string) (uint32, error) {
	return mdnsclient.DaemonVersion(ctx, path)
}
