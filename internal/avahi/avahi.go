// Package avahi works through the system's
// avahi-daemon over its D-Bus API, so that a host running Avahi keeps one
// mDNS responder: registrations become Avahi entry groups, queries become
// Avahi record browsers.
//
// Avahi reports records without their TTL; records this backend reports
// carry a nominal TTL (NominalTTL).
//
// The backend follows avahi-daemon across restarts: when the daemon leaves
// the bus and comes back, registrations are published again (renamed on a
// conflict, as the embedded responder would) and queries browse again;
// records the new daemon no longer reports are then reported removed.
package avahi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

// D-Bus names of the Avahi API (avahi-daemon's introspection files in
// /usr/share/dbus-1/interfaces).
const (
	busName            = "org.freedesktop.Avahi"
	ifaceServer        = "org.freedesktop.Avahi.Server"
	ifaceGroup         = "org.freedesktop.Avahi.EntryGroup"
	ifaceRecordBrowser = "org.freedesktop.Avahi.RecordBrowser"
	ifUnspec           = int32(-1) // AVAHI_IF_UNSPEC
	protoUnspec        = int32(-1) // AVAHI_PROTO_UNSPEC
	defaultSystemBus   = "unix:path=/run/dbus/system_bus_socket"
)

// Server states (AvahiServerState).
const (
	serverRunning = 2
)

// NominalTTL is the TTL put on records Avahi reports, since its D-Bus API
// does not carry theirs.
const NominalTTL = 120

// Errors of operations; the dnssd adapter maps them to dnssd's.
var (
	ErrClosed = errors.New("avahi: closed")
	ErrLimit  = errors.New("avahi: limit reached")
)

// ErrNotRunning reports that no avahi-daemon owns org.freedesktop.Avahi on
// the system bus.
var ErrNotRunning = errors.New("avahi-daemon is not running (org.freedesktop.Avahi has no owner on the system bus)")

// Config configures the backend. The zero value uses the system bus.
type Config struct {
	// BusAddress is the system bus address; "" means
	// $DBUS_SYSTEM_BUS_ADDRESS, else /run/dbus/system_bus_socket.
	BusAddress string
	// Logger receives the backend's logs; nil discards them.
	Logger *slog.Logger
	// MaxPending bounds the events a query holds for a reader that does not
	// keep up; past it the query fails with ErrLimit. 0 means 10000.
	MaxPending int
}

func (c Config) address() string {
	if c.BusAddress != "" {
		return c.BusAddress
	}
	if a := os.Getenv("DBUS_SYSTEM_BUS_ADDRESS"); a != "" {
		return a
	}
	return defaultSystemBus
}

func connect(addr string) (*dbus.Conn, error) {
	conn, err := dbus.Connect(addr, dbus.WithSignalHandler(dbus.NewSequentialSignalHandler()))
	if err != nil {
		return nil, fmt.Errorf("avahi: cannot reach the system bus at %s: %w", addr, err)
	}
	return conn, nil
}

func hasOwner(ctx context.Context, conn *dbus.Conn) (bool, error) {
	var ok bool
	err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, busName).Store(&ok)
	return ok, err
}

// Available reports whether avahi-daemon answers on the system bus: nil if
// it does, an error saying why not otherwise. Auto-selection uses it.
func Available(ctx context.Context, cfg Config) error {
	conn, err := connect(cfg.address())
	if err != nil {
		return err
	}
	defer conn.Close()
	ok, err := hasOwner(ctx, conn)
	if err != nil {
		return fmt.Errorf("avahi: asking the bus at %s: %w", cfg.address(), err)
	}
	if !ok {
		return fmt.Errorf("avahi: %w at %s", ErrNotRunning, cfg.address())
	}
	return nil
}

// Backend is the Avahi backend. Create it with New.
type Backend struct {
	cfg  Config
	log  *slog.Logger
	conn *dbus.Conn
	sigs chan *dbus.Signal
	done chan struct{}
	wg   sync.WaitGroup

	// mu guards the fields below; the dispatcher goroutine and callers
	// share them.
	mu       sync.Mutex
	closed   bool
	up       bool // avahi-daemon owns its bus name
	server   int32
	groups   map[dbus.ObjectPath]*Registration
	browsers map[dbus.ObjectPath]*Query
	regs     map[*Registration]bool
	queries  map[*Query]bool
	ifnames  map[int32]string
}

// New connects to avahi-daemon on the system bus. It fails with an error
// wrapping ErrNotRunning when the daemon is not there.
func New(ctx context.Context, cfg Config) (*Backend, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = 10000
	}
	conn, err := connect(cfg.address())
	if err != nil {
		return nil, err
	}
	b := &Backend{
		cfg: cfg, log: cfg.Logger, conn: conn,
		sigs: make(chan *dbus.Signal, 64), done: make(chan struct{}),
		groups: map[dbus.ObjectPath]*Registration{}, browsers: map[dbus.ObjectPath]*Query{},
		regs: map[*Registration]bool{}, queries: map[*Query]bool{}, ifnames: map[int32]string{},
	}
	for _, opts := range [][]dbus.MatchOption{
		{dbus.WithMatchSender("org.freedesktop.DBus"), dbus.WithMatchMember("NameOwnerChanged"), dbus.WithMatchArg(0, busName)},
		{dbus.WithMatchInterface(ifaceServer), dbus.WithMatchMember("StateChanged")},
		{dbus.WithMatchInterface(ifaceGroup)},
		{dbus.WithMatchInterface(ifaceRecordBrowser)},
	} {
		if err := conn.AddMatchSignalContext(ctx, opts...); err != nil {
			conn.Close()
			return nil, fmt.Errorf("avahi: subscribing to signals: %w", err)
		}
	}
	conn.Signal(b.sigs)
	ok, err := hasOwner(ctx, conn)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("avahi: asking the bus at %s: %w", cfg.address(), err)
	}
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("avahi: %w at %s", ErrNotRunning, cfg.address())
	}
	b.up = true
	if err := b.serverObj().CallWithContext(ctx, ifaceServer+".GetState", 0).Store(&b.server); err != nil {
		conn.Close()
		return nil, fmt.Errorf("avahi: %w", err)
	}
	b.wg.Add(1)
	go b.dispatch()
	return b, nil
}

func (b *Backend) serverObj() dbus.BusObject { return b.conn.Object(busName, "/") }

// dispatch is the one goroutine that handles Avahi's signals.
func (b *Backend) dispatch() {
	defer b.wg.Done()
	for {
		select {
		case <-b.done:
			return
		case s, ok := <-b.sigs:
			if !ok {
				return
			}
			b.handle(s)
		}
	}
}

func (b *Backend) handle(s *dbus.Signal) {
	switch s.Name {
	case "org.freedesktop.DBus.NameOwnerChanged":
		if len(s.Body) == 3 {
			newOwner, _ := s.Body[2].(string)
			b.ownerChanged(newOwner != "")
		}
	case ifaceServer + ".StateChanged":
		if len(s.Body) >= 1 {
			st, _ := s.Body[0].(int32)
			b.serverState(st)
		}
	case ifaceGroup + ".StateChanged":
		b.mu.Lock()
		r := b.groups[s.Path]
		b.mu.Unlock()
		if r != nil && len(s.Body) >= 2 {
			st, _ := s.Body[0].(int32)
			msg, _ := s.Body[1].(string)
			r.stateChanged(s.Path, st, msg)
		}
	case ifaceRecordBrowser + ".ItemNew", ifaceRecordBrowser + ".ItemRemove":
		b.mu.Lock()
		q := b.browsers[s.Path]
		b.mu.Unlock()
		if q != nil {
			q.item(s.Path, s.Name == ifaceRecordBrowser+".ItemNew", s.Body)
		}
	case ifaceRecordBrowser + ".AllForNow":
		b.mu.Lock()
		q := b.browsers[s.Path]
		b.mu.Unlock()
		if q != nil {
			q.allForNow(s.Path)
		}
	case ifaceRecordBrowser + ".Failure":
		b.mu.Lock()
		q := b.browsers[s.Path]
		b.mu.Unlock()
		if q != nil && len(s.Body) == 1 {
			msg, _ := s.Body[0].(string)
			q.fail(fmt.Errorf("avahi: record browser failed: %s", msg))
		}
	}
}

// ownerChanged follows avahi-daemon leaving and (re)joining the bus.
func (b *Backend) ownerChanged(up bool) {
	b.mu.Lock()
	if b.closed || up == b.up {
		b.mu.Unlock()
		return
	}
	b.up = up
	clear(b.groups)
	clear(b.browsers)
	clear(b.ifnames)
	regs := keys(b.regs)
	qs := keys(b.queries)
	b.mu.Unlock()
	if !up {
		b.log.Warn("avahi: avahi-daemon left the bus; waiting for it to come back")
		for _, q := range qs {
			q.vanish()
		}
		return
	}
	b.log.Info("avahi: avahi-daemon is back; registering and browsing again")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var st int32
	if b.serverObj().CallWithContext(ctx, ifaceServer+".GetState", 0).Store(&st) == nil {
		b.mu.Lock()
		b.server = st
		b.mu.Unlock()
	}
	for _, r := range regs {
		r.republish()
	}
	for _, q := range qs {
		q.rebrowse()
	}
}

// serverState follows the daemon's own state: while it (re)establishes its
// host name it resets entry groups, which are published again once it
// runs.
func (b *Backend) serverState(st int32) {
	b.mu.Lock()
	was := b.server
	b.server = st
	regs := keys(b.regs)
	b.mu.Unlock()
	if st == serverRunning && was != serverRunning {
		for _, r := range regs {
			r.ensurePublished()
		}
	}
}

func keys[K comparable](m map[K]bool) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// ifname names an interface index Avahi reports.
func (b *Backend) ifname(idx int32) string {
	b.mu.Lock()
	n, ok := b.ifnames[idx]
	b.mu.Unlock()
	if ok {
		return n
	}
	// Avahi's own answer first: it may run in another network namespace
	// than this process (a container, a test), where indexes differ.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.serverObj().CallWithContext(ctx, ifaceServer+".GetNetworkInterfaceNameByIndex", 0, idx).Store(&n); err != nil {
		if ifi, err := net.InterfaceByIndex(int(idx)); err == nil {
			n = ifi.Name
		}
	}
	b.mu.Lock()
	b.ifnames[idx] = n
	b.mu.Unlock()
	return n
}

// Close ends every registration (Avahi sends their goodbyes) and query, and
// disconnects from the bus.
func (b *Backend) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	regs := keys(b.regs)
	qs := keys(b.queries)
	b.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, r := range regs {
		_ = r.Close(ctx)
	}
	for _, q := range qs {
		_ = q.Close()
	}
	close(b.done)
	err := b.conn.Close()
	b.wg.Wait()
	return err
}

func (b *Backend) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}
