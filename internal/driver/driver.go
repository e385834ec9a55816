// Package driver runs an mdns.Engine on a real or virtual network: one
// goroutine owns the engine and is the only one to call it; reader
// goroutines forward datagrams from the transport; commands arrive as
// closures; events fan out to registrations and queries through bounded,
// coalescing queues, so a slow consumer never blocks the loop.
package driver

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/rendezvous-mdns/rendezvous/internal/mdns"
)

// Transport moves datagrams between the driver and the network. It is
// owned by the driver once passed to New, and closed by Driver.Close.
type Transport interface {
	// SetLinks tells the transport which interfaces to use (join the
	// multicast groups on new ones, leave the ones that are gone).
	SetLinks(links []mdns.Link) error
	// Send transmits one packet on p.Link to p.Dst.
	Send(p mdns.Packet) error
	// Receive blocks until a packet arrives; it returns an error once the
	// transport is closed.
	Receive() (mdns.Packet, error)
	// Close stops the transport and waits for its goroutines.
	Close() error
}

// ErrClosed is returned by operations on a closed driver.
var ErrClosed = errors.New("driver closed")

// Config configures a Driver.
type Config struct {
	Engine    mdns.Config
	Transport Transport
	// Links are the interfaces to start with; LinkUpdates, if set, delivers
	// later sets (from the interface monitor).
	Links       []mdns.Link
	LinkUpdates <-chan []mdns.Link
	// OnLinks, if set, is called on the loop with each new set of links.
	OnLinks func([]mdns.Link)
	Logger  *slog.Logger
	// GoodbyeTimeout bounds how long Close waits for goodbyes; 0 means 2 s.
	GoodbyeTimeout time.Duration
	// QueueLimit bounds each query's undelivered distinct results; 0 means
	// 4096. Past it the oldest are dropped (and counted).
	QueueLimit int
}

// Driver owns one engine and its goroutines.
type Driver struct {
	cfg  Config
	log  *slog.Logger
	cmds chan func(now time.Time)
	rx   chan mdns.Packet
	quit chan struct{}
	// done is closed when the loop has exited.
	done chan struct{}
	wg   sync.WaitGroup

	closeOnce sync.Once
	closeErr  error

	// Owned by the loop goroutine.
	e       *mdns.Engine
	regs    map[mdns.RegID]*Registration
	queries map[mdns.QueryID]*Query
	timer   *time.Timer
	armed   time.Time
}

// New starts a driver: its loop and its reader goroutine.
func New(cfg Config) (*Driver, error) {
	if cfg.Transport == nil {
		return nil, errors.New("driver: no transport")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Engine.Logger == nil {
		cfg.Engine.Logger = cfg.Logger
	}
	if cfg.GoodbyeTimeout <= 0 {
		cfg.GoodbyeTimeout = 2 * time.Second
	}
	if cfg.QueueLimit <= 0 {
		cfg.QueueLimit = 4096
	}
	d := &Driver{
		cfg:     cfg,
		log:     cfg.Logger,
		cmds:    make(chan func(time.Time)),
		rx:      make(chan mdns.Packet, 256),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
		e:       mdns.New(cfg.Engine),
		regs:    map[mdns.RegID]*Registration{},
		queries: map[mdns.QueryID]*Query{},
	}
	if err := cfg.Transport.SetLinks(cfg.Links); err != nil {
		cfg.Transport.Close()
		return nil, err
	}
	d.e.SetLinks(time.Now(), cfg.Links)
	d.wg.Add(2)
	go d.read()
	go d.loop()
	return d, nil
}

// read forwards datagrams from the transport to the loop.
func (d *Driver) read() {
	defer d.wg.Done()
	for {
		p, err := d.cfg.Transport.Receive()
		if err != nil {
			return
		}
		select {
		case d.rx <- p:
		case <-d.quit:
			return
		}
	}
}

func (d *Driver) loop() {
	defer d.wg.Done()
	defer close(d.done)
	d.timer = time.NewTimer(time.Hour)
	d.timer.Stop()
	d.pump()
	for {
		select {
		case p := <-d.rx:
			d.e.HandlePacket(time.Now(), p)
		case fn := <-d.cmds:
			fn(time.Now())
		case <-d.timer.C:
			d.armed = time.Time{}
			d.e.HandleTimeout(time.Now())
		case links, ok := <-d.cfg.LinkUpdates:
			if !ok {
				d.cfg.LinkUpdates = nil
				continue
			}
			if d.cfg.OnLinks != nil {
				d.cfg.OnLinks(links)
			}
			if err := d.cfg.Transport.SetLinks(links); err != nil {
				d.log.Warn("rendezvous: could not use the new interfaces", "err", err)
			}
			d.e.SetLinks(time.Now(), links)
		case <-d.quit:
			d.shutdown()
			return
		}
		d.pump()
	}
}

// pump drains the engine's outputs and re-arms the timer.
func (d *Driver) pump() {
	for {
		p, ok := d.e.PollTransmit()
		if !ok {
			break
		}
		if err := d.cfg.Transport.Send(p); err != nil {
			d.log.Debug("rendezvous: send failed", "link", p.Link, "dst", p.Dst, "err", err)
		}
	}
	for {
		ev, ok := d.e.PollEvent()
		if !ok {
			break
		}
		d.dispatch(ev)
	}
	at, ok := d.e.NextTimeout()
	if !ok {
		if !d.armed.IsZero() {
			d.timer.Stop()
			d.armed = time.Time{}
		}
		return
	}
	if at.Equal(d.armed) {
		return
	}
	d.armed = at
	d.timer.Reset(max(time.Until(at), 0))
}

func (d *Driver) dispatch(ev mdns.Event) {
	switch ev.Kind {
	case mdns.EventAdded, mdns.EventUpdated, mdns.EventRemoved:
		if q := d.queries[ev.Query]; q != nil {
			q.push(ev)
		}
	case mdns.EventEstablished, mdns.EventRenamed, mdns.EventWithdrawn:
		if r := d.regs[ev.Reg]; r != nil {
			r.event(ev)
			if ev.Kind == mdns.EventWithdrawn {
				delete(d.regs, ev.Reg)
			}
		}
	}
}

// shutdown withdraws every registration and lets the goodbyes go out,
// within GoodbyeTimeout.
func (d *Driver) shutdown() {
	now := time.Now()
	for id := range d.regs {
		_ = d.e.Withdraw(now, id)
	}
	d.pump()
	deadline := time.Now().Add(d.cfg.GoodbyeTimeout)
	for d.e.Pending() {
		at, ok := d.e.NextTimeout()
		if !ok || at.After(deadline) {
			break
		}
		if w := time.Until(at); w > 0 {
			time.Sleep(w) // the loop is ending: nothing else to serve
		}
		d.e.HandleTimeout(time.Now())
		d.pump()
	}
	d.timer.Stop()
	for _, r := range d.regs {
		r.closeEvents()
	}
	for _, q := range d.queries {
		q.finish(ErrClosed)
	}
}

// do runs fn on the loop and waits for it; it fails if the driver is
// closed or ctx ends first.
func (d *Driver) do(ctx context.Context, fn func(now time.Time)) error {
	ran := make(chan struct{})
	wrapped := func(now time.Time) {
		fn(now)
		close(ran)
	}
	select {
	case d.cmds <- wrapped:
	case <-d.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	<-ran
	return nil
}

// Engine runs fn with the engine on the loop goroutine (for inspection:
// stats, host name). fn must not keep the engine.
func (d *Driver) Engine(ctx context.Context, fn func(e *mdns.Engine, now time.Time)) error {
	return d.do(ctx, func(now time.Time) { fn(d.e, now) })
}

// Close withdraws every registration (goodbyes), closes the transport and
// waits for every goroutine the driver started.
func (d *Driver) Close() error {
	d.closeOnce.Do(func() {
		close(d.quit)
		<-d.done
		d.closeErr = d.cfg.Transport.Close()
		d.wg.Wait()
	})
	return d.closeErr
}
