package driver

import (
	"context"
	"sync"
	"time"

	"github.com/rendezvous-mdns/rendezvous/internal/mdns"
)

// Registration is a published service. Its events (established, renamed)
// are delivered on Events; only the newest undelivered name is kept, so a
// consumer that does not read never blocks the driver.
type Registration struct {
	d  *Driver
	id mdns.RegID

	mu          sync.Mutex
	name        string
	established bool
	withdrawn   bool
	estCh       chan struct{} // closed when first established
	goneCh      chan struct{} // closed when withdrawn (goodbyes sent)
	events      chan mdns.Event
}

// Publish registers a service and returns once the engine accepted it; use
// Established to wait for probing to finish.
func (d *Driver) Publish(ctx context.Context, spec mdns.ServiceSpec) (*Registration, error) {
	var r *Registration
	var err error
	derr := d.do(ctx, func(now time.Time) {
		var id mdns.RegID
		id, err = d.e.Publish(now, spec)
		if err != nil {
			return
		}
		r = &Registration{d: d, id: id, name: spec.Instance,
			estCh: make(chan struct{}), goneCh: make(chan struct{}), events: make(chan mdns.Event, 1)}
		d.regs[id] = r
	})
	if derr != nil {
		return nil, derr
	}
	return r, err
}

func (r *Registration) event(ev mdns.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch ev.Kind {
	case mdns.EventEstablished:
		r.name = ev.Name
		if !r.established {
			r.established = true
			close(r.estCh)
		}
	case mdns.EventRenamed:
		r.name = ev.Name
	case mdns.EventWithdrawn:
		if !r.withdrawn {
			r.withdrawn = true
			close(r.goneCh)
			close(r.events)
		}
		return
	}
	// Keep only the newest undelivered event.
	select {
	case r.events <- ev:
	default:
		select {
		case <-r.events:
		default:
		}
		r.events <- ev
	}
}

func (r *Registration) closeEvents() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.withdrawn {
		r.withdrawn = true
		close(r.goneCh)
		close(r.events)
	}
}

// Established waits until the service finished probing (with its final
// name) or ctx ends.
func (r *Registration) Established(ctx context.Context) error {
	select {
	case <-r.estCh:
		return nil
	case <-r.goneCh:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Name returns the instance name in use (after any rename).
func (r *Registration) Name() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.name
}

// Events delivers Established and Renamed events; it is closed when the
// registration ends.
func (r *Registration) Events() <-chan mdns.Event { return r.events }

// UpdateTXT replaces the TXT record and re-announces it.
func (r *Registration) UpdateTXT(ctx context.Context, txt []string) error {
	var err error
	if derr := r.d.do(ctx, func(now time.Time) { err = r.d.e.UpdateTXT(now, r.id, txt) }); derr != nil {
		return derr
	}
	return err
}

// Close withdraws the service and waits (bounded by ctx and the driver's
// goodbye timeout) until its goodbyes are sent.
func (r *Registration) Close(ctx context.Context) error {
	var err error
	derr := r.d.do(ctx, func(now time.Time) { err = r.d.e.Withdraw(now, r.id) })
	if derr == ErrClosed {
		return nil // the driver's Close already sent the goodbyes
	}
	if derr != nil {
		return derr
	}
	if err != nil {
		return nil // already withdrawn
	}
	t := time.NewTimer(r.d.cfg.GoodbyeTimeout)
	defer t.Stop()
	select {
	case <-r.goneCh:
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	}
	return nil
}
