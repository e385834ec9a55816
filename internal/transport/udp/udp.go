// Package udp is the real network transport: mDNS over UDP multicast on
// IPv4 (224.0.0.251) and IPv6 (ff02::fb), port 5353 shared with other
// responders on the host (SO_REUSEADDR/SO_REUSEPORT), group membership per
// interface, the arrival interface and destination learnt from control
// messages, TTL and hop limit 255 (RFC 6762 §11), traffic for other groups
// filtered out. A second pair of sockets on an ephemeral port sends one-shot
// queries (RFC 6762 §5.1) so that their unicast answers reach us even when
// another responder shares port 5353.
package udp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/rendezvous-mdns/rendezvous/internal/mdns"
)

// ErrClosed is returned once the transport is closed.
var ErrClosed = errors.New("udp transport closed")

// Config configures the transport.
type Config struct {
	// Port is the mDNS port; 0 means 5353. Tests never change it: they run
	// in network namespaces.
	Port   int
	Logger *slog.Logger
	// DisableIPv4 / DisableIPv6 turn a family off.
	DisableIPv4, DisableIPv6 bool
}

// Transport implements driver.Transport over real sockets.
type Transport struct {
	cfg Config
	log *slog.Logger

	v4, v4e *ipv4.PacketConn // mDNS port and ephemeral
	v6, v6e *ipv6.PacketConn

	rx   chan mdns.Packet
	quit chan struct{}
	wg   sync.WaitGroup
	once sync.Once

	mu     sync.Mutex
	links  map[mdns.LinkID]mdns.Link
	joined map[mdns.LinkID][2]bool // v4, v6 membership
}

// Listen opens the sockets. No group is joined until SetLinks.
func Listen(cfg Config) (*Transport, error) {
	if cfg.Port == 0 {
		cfg.Port = mdns.Port
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	t := &Transport{cfg: cfg, log: cfg.Logger, rx: make(chan mdns.Packet, 256), quit: make(chan struct{}),
		links: map[mdns.LinkID]mdns.Link{}, joined: map[mdns.LinkID][2]bool{}}
	lc := net.ListenConfig{Control: reuseControl}
	ctx := context.Background()
	var errs []error
	if !cfg.DisableIPv4 {
		c, err := lc.ListenPacket(ctx, "udp4", fmt.Sprintf("0.0.0.0:%d", cfg.Port))
		if err != nil {
			errs = append(errs, fmt.Errorf("IPv4 port %d: %w", cfg.Port, err))
		} else {
			t.v4 = ipv4.NewPacketConn(c)
			multicastAllOff(c, false)
			if err := setupV4(t.v4); err != nil {
				errs = append(errs, err)
			}
			if c, err := net.ListenPacket("udp4", "0.0.0.0:0"); err == nil {
				t.v4e = ipv4.NewPacketConn(c)
				_ = setupV4(t.v4e)
			}
		}
	}
	if !cfg.DisableIPv6 {
		c, err := lc.ListenPacket(ctx, "udp6", fmt.Sprintf("[::]:%d", cfg.Port))
		if err != nil {
			errs = append(errs, fmt.Errorf("IPv6 port %d: %w", cfg.Port, err))
		} else {
			t.v6 = ipv6.NewPacketConn(c)
			multicastAllOff(c, true)
			if err := setupV6(t.v6); err != nil {
				errs = append(errs, err)
			}
			if c, err := net.ListenPacket("udp6", "[::]:0"); err == nil {
				t.v6e = ipv6.NewPacketConn(c)
				_ = setupV6(t.v6e)
			}
		}
	}
	if t.v4 == nil && t.v6 == nil {
		t.closeSockets()
		return nil, fmt.Errorf("cannot listen for mDNS on port %d: %w", cfg.Port, errors.Join(errs...))
	}
	for _, err := range errs {
		t.log.Warn("rendezvous: mDNS partly unavailable", "err", err)
	}
	for _, c := range []*ipv4.PacketConn{t.v4, t.v4e} {
		if c != nil {
			t.wg.Add(1)
			go t.read4(c)
		}
	}
	for _, c := range []*ipv6.PacketConn{t.v6, t.v6e} {
		if c != nil {
			t.wg.Add(1)
			go t.read6(c)
		}
	}
	return t, nil
}

func setupV4(c *ipv4.PacketConn) error {
	if err := c.SetControlMessage(ipv4.FlagTTL|ipv4.FlagDst|ipv4.FlagInterface, true); err != nil {
		return fmt.Errorf("IPv4 control messages: %w", err)
	}
	_ = c.SetMulticastTTL(255)
	_ = c.SetTTL(255)
	_ = c.SetMulticastLoopback(true)
	return nil
}

func setupV6(c *ipv6.PacketConn) error {
	if err := c.SetControlMessage(ipv6.FlagHopLimit|ipv6.FlagDst|ipv6.FlagInterface, true); err != nil {
		return fmt.Errorf("IPv6 control messages: %w", err)
	}
	_ = c.SetMulticastHopLimit(255)
	_ = c.SetHopLimit(255)
	_ = c.SetMulticastLoopback(true)
	return nil
}

// SetLinks joins the mDNS groups on new interfaces and leaves those gone.
func (t *Transport) SetLinks(links []mdns.Link) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	want := map[mdns.LinkID]mdns.Link{}
	for _, l := range links {
		want[l.ID] = l
	}
	var errs []error
	for id := range t.links {
		if _, ok := want[id]; !ok {
			t.leave(id)
		}
	}
	for id, l := range want {
		ifi, err := net.InterfaceByIndex(int(id))
		if err != nil {
			errs = append(errs, fmt.Errorf("interface %s: %w", l.Name, err))
			continue
		}
		j := t.joined[id]
		has4, has6 := families(l)
		if t.v4 != nil && has4 && !j[0] {
			if err := t.v4.JoinGroup(ifi, &net.UDPAddr{IP: mdns.GroupV4.Addr().AsSlice()}); err != nil {
				errs = append(errs, fmt.Errorf("join 224.0.0.251 on %s: %w", l.Name, err))
			} else {
				j[0] = true
			}
		}
		if t.v6 != nil && has6 && !j[1] {
			if err := t.v6.JoinGroup(ifi, &net.UDPAddr{IP: mdns.GroupV6.Addr().AsSlice()}); err != nil {
				errs = append(errs, fmt.Errorf("join ff02::fb on %s: %w", l.Name, err))
			} else {
				j[1] = true
			}
		}
		t.joined[id] = j
		t.links[id] = l
	}
	return errors.Join(errs...)
}

func (t *Transport) leave(id mdns.LinkID) {
	j := t.joined[id]
	if ifi, err := net.InterfaceByIndex(int(id)); err == nil {
		if j[0] {
			_ = t.v4.LeaveGroup(ifi, &net.UDPAddr{IP: mdns.GroupV4.Addr().AsSlice()})
		}
		if j[1] {
			_ = t.v6.LeaveGroup(ifi, &net.UDPAddr{IP: mdns.GroupV6.Addr().AsSlice()})
		}
	}
	delete(t.joined, id)
	delete(t.links, id)
}

func families(l mdns.Link) (v4, v6 bool) {
	for _, p := range l.Addrs {
		if p.Addr().Unmap().Is4() {
			v4 = true
		} else {
			v6 = true
		}
	}
	return
}

func (t *Transport) knownLink(ifindex int) (mdns.Link, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	l, ok := t.links[mdns.LinkID(ifindex)]
	return l, ok
}

// Send transmits p on its link.
func (t *Transport) Send(p mdns.Packet) error {
	l, ok := t.knownLink(int(p.Link))
	if !ok {
		return fmt.Errorf("send on unknown link %d", p.Link)
	}
	dst := p.Dst
	if dst.Addr().Unmap().Is4() {
		c := t.v4
		if p.OneShot && t.v4e != nil {
			c = t.v4e
		}
		if c == nil {
			return errors.New("IPv4 is not available")
		}
		cm := &ipv4.ControlMessage{IfIndex: int(p.Link)}
		if dst.Addr().IsMulticast() {
			ifi, err := net.InterfaceByIndex(int(p.Link))
			if err != nil {
				return err
			}
			if err := c.SetMulticastInterface(ifi); err != nil {
				return err
			}
		}
		_, err := c.WriteTo(p.Data, cm, net.UDPAddrFromAddrPort(netip.AddrPortFrom(dst.Addr().Unmap(), dst.Port())))
		return err
	}
	c := t.v6
	if p.OneShot && t.v6e != nil {
		c = t.v6e
	}
	if c == nil {
		return errors.New("IPv6 is not available")
	}
	a := dst.Addr()
	if a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsMulticast() {
		a = a.WithZone(l.Name)
	}
	cm := &ipv6.ControlMessage{IfIndex: int(p.Link), HopLimit: 255}
	_, err := c.WriteTo(p.Data, cm, net.UDPAddrFromAddrPort(netip.AddrPortFrom(a, dst.Port())))
	return err
}

// Receive returns the next datagram for a link in use.
func (t *Transport) Receive() (mdns.Packet, error) {
	select {
	case p := <-t.rx:
		return p, nil
	case <-t.quit:
		return mdns.Packet{}, ErrClosed
	}
}

func (t *Transport) deliver(p mdns.Packet) {
	select {
	case t.rx <- p:
	case <-t.quit:
	}
}

// accept filters traffic: only links in use, and of multicast only the mDNS
// groups (Linux hands wildcard sockets every group joined on the host).
func (t *Transport) accept(ifindex int, dst netip.Addr) bool {
	if _, ok := t.knownLink(ifindex); !ok {
		return false
	}
	if dst.IsValid() && dst.IsMulticast() && dst != mdns.GroupV4.Addr() && dst != mdns.GroupV6.Addr() {
		return false
	}
	return true
}

// datagram is what a read returns, whatever the address family.
type datagram struct {
	n       int
	ifindex int
	dst     netip.Addr
	hop     int
	src     net.Addr
}

func (t *Transport) read4(c *ipv4.PacketConn) {
	t.readLoop("IPv4", localPort(c), func(buf []byte) (datagram, error) {
		n, cm, src, err := c.ReadFrom(buf)
		if err != nil || cm == nil {
			return datagram{}, err
		}
		dst, _ := netip.AddrFromSlice(cm.Dst.To4())
		return datagram{n: n, ifindex: cm.IfIndex, dst: dst, hop: cm.TTL, src: src}, nil
	})
}

func (t *Transport) read6(c *ipv6.PacketConn) {
	t.readLoop("IPv6", localPort(c), func(buf []byte) (datagram, error) {
		n, cm, src, err := c.ReadFrom(buf)
		if err != nil || cm == nil {
			return datagram{}, err
		}
		dst, _ := netip.AddrFromSlice(cm.Dst.To16())
		return datagram{n: n, ifindex: cm.IfIndex, dst: dst, hop: cm.HopLimit, src: src}, nil
	})
}

// readLoop reads one socket until the transport closes, filtering and
// forwarding datagrams.
func (t *Transport) readLoop(family string, port int, read func([]byte) (datagram, error)) {
	defer t.wg.Done()
	buf := make([]byte, 9000)
	for {
		d, err := read(buf)
		if err != nil {
			if t.closed() {
				return
			}
			t.log.Debug("rendezvous: read", "family", family, "err", err)
			continue
		}
		ua, ok := d.src.(*net.UDPAddr)
		if !ok || !t.accept(d.ifindex, d.dst) {
			continue
		}
		s := ua.AddrPort()
		t.deliver(mdns.Packet{Link: mdns.LinkID(d.ifindex), Src: netip.AddrPortFrom(s.Addr().Unmap().WithZone(""), s.Port()),
			Dst: netip.AddrPortFrom(d.dst, uint16(port)), HopLimit: d.hop, Data: append([]byte(nil), buf[:d.n]...)})
	}
}

type localAddrer interface{ LocalAddr() net.Addr }

func localPort(c localAddrer) int {
	if ua, ok := c.LocalAddr().(*net.UDPAddr); ok {
		return ua.Port
	}
	return 0
}

func (t *Transport) closed() bool {
	select {
	case <-t.quit:
		return true
	default:
		return false
	}
}

// Close closes the sockets and waits for the reader goroutines.
func (t *Transport) Close() error {
	t.once.Do(func() {
		close(t.quit)
		t.closeSockets()
		t.wg.Wait()
	})
	return nil
}

func (t *Transport) closeSockets() {
	for _, c := range []*ipv4.PacketConn{t.v4, t.v4e} {
		if c != nil {
			c.Close()
		}
	}
	for _, c := range []*ipv6.PacketConn{t.v6, t.v6e} {
		if c != nil {
			c.Close()
		}
	}
}
