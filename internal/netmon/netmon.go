// Package netmon watches the host's network interfaces and addresses and
// reports the set mDNS should use: interfaces that are up, can multicast and
// are not loopback (or exactly those named in Config.Interfaces). On Linux
// it listens to netlink link and address events; elsewhere it polls.
package netmon

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/rendezvous-mdns/rendezvous/internal/mdns"
)

// Config configures a Monitor.
type Config struct {
	// Interfaces pins the monitor to these interface names; empty means
	// every suitable interface.
	Interfaces []string
	// PollInterval is how often the polling fallback re-reads the
	// interfaces; 0 means 2 s. On Linux it is only a safety net (30 s).
	PollInterval time.Duration
	Logger       *slog.Logger
}

// UnknownInterfaceError reports an interface name that does not exist.
type UnknownInterfaceError struct{ Name string }

func (e *UnknownInterfaceError) Error() string {
	return fmt.Sprintf("no network interface named %q (see `ip link` for the names on this host)", e.Name)
}

// Monitor reports interface changes. Its goroutines end with Close.
type Monitor struct {
	cfg     Config
	log     *slog.Logger
	updates chan []mdns.Link
	kick    chan struct{}
	quit    chan struct{}
	wg      sync.WaitGroup
	once    sync.Once

	mu      sync.Mutex
	current []mdns.Link
}

// New reads the interfaces once and starts watching them.
func New(cfg Config) (*Monitor, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	for _, name := range cfg.Interfaces {
		if _, err := net.InterfaceByName(name); err != nil {
			return nil, &UnknownInterfaceError{Name: name}
		}
	}
	m := &Monitor{cfg: cfg, log: cfg.Logger, updates: make(chan []mdns.Link, 1),
		kick: make(chan struct{}, 1), quit: make(chan struct{})}
	links, err := m.read()
	if err != nil {
		return nil, err
	}
	m.current = links
	watching := m.watch() // platform events, if any
	poll := cfg.PollInterval
	if poll <= 0 {
		poll = 2 * time.Second
		if watching {
			poll = 30 * time.Second
		}
	}
	m.wg.Add(1)
	go m.run(poll)
	return m, nil
}

// Links returns the current set.
func (m *Monitor) Links() []mdns.Link {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.current)
}

// Updates delivers each new set of links; only the newest is kept if the
// reader is slow.
func (m *Monitor) Updates() <-chan []mdns.Link { return m.updates }

// changed asks the monitor to re-read the interfaces soon.
func (m *Monitor) changed() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

func (m *Monitor) run(poll time.Duration) {
	defer m.wg.Done()
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		select {
		case <-m.quit:
			return
		case <-t.C:
		case <-m.kick:
			// Let a burst of netlink events settle.
			select {
			case <-time.After(50 * time.Millisecond):
			case <-m.quit:
				return
			}
		}
		links, err := m.read()
		if err != nil {
			m.log.Debug("rendezvous: reading interfaces", "err", err)
			continue
		}
		m.mu.Lock()
		same := equalLinks(links, m.current)
		if !same {
			m.current = links
		}
		m.mu.Unlock()
		if same {
			continue
		}
		select {
		case <-m.updates: // drop an unread older set
		default:
		}
		m.updates <- links
	}
}

func equalLinks(a, b []mdns.Link) bool {
	return slices.EqualFunc(a, b, func(x, y mdns.Link) bool {
		return x.ID == y.ID && x.Name == y.Name && slices.Equal(x.Addrs, y.Addrs)
	})
}

// read lists the interfaces mDNS should use.
func (m *Monitor) read() ([]mdns.Link, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var out []mdns.Link
	for _, ifi := range ifs {
		pinned := slices.Contains(m.cfg.Interfaces, ifi.Name)
		if len(m.cfg.Interfaces) > 0 && !pinned {
			continue
		}
		if ifi.Flags&net.FlagUp == 0 || ifi.Flags&net.FlagMulticast == 0 && !pinned {
			continue
		}
		if ifi.Flags&net.FlagLoopback != 0 && !pinned {
			continue
		}
		addrs, err := ifi.Addrs()
		if err != nil {
			continue
		}
		l := mdns.Link{ID: mdns.LinkID(ifi.Index), Name: ifi.Name}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(ipn.IP)
			if !ok {
				continue
			}
			bits, _ := ipn.Mask.Size()
			ip = ip.Unmap()
			if ip.Is4() && bits > 32 {
				bits -= 96
			}
			l.Addrs = append(l.Addrs, netip.PrefixFrom(ip, bits))
		}
		if len(l.Addrs) == 0 {
			continue
		}
		slices.SortFunc(l.Addrs, func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
		out = append(out, l)
	}
	return out, nil
}

// Close stops watching and waits for the monitor's goroutines.
func (m *Monitor) Close() error {
	m.once.Do(func() {
		close(m.quit)
		m.wg.Wait()
	})
	return nil
}

var errNoWatch = errors.New("no interface events on this platform")
