package avahi

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/rendezvous-mdns/rendezvous/internal/dnsname"
)

// Entry group states (AvahiEntryGroupState).
const (
	groupUncommitted = 0
	groupRegistering = 1
	groupEstablished = 2
	groupCollision   = 3
	groupFailure     = 4
)

// Conflict back-off as in the embedded engine (RFC 6762 §8.1): after 15
// conflicts within 10 s, wait 5 s before trying the next name.
const (
	conflictBurst  = 15
	conflictWindow = 10 * time.Second
	conflictWait   = 5 * time.Second
)

// ErrFailed reports that avahi-daemon could not publish a service.
var ErrFailed = errors.New("avahi-daemon could not publish the service")

// Service is what Register publishes; names are raw (unescaped) except
// Domain and Host, which are in miekg/dns presentation form. The caller
// has validated it.
type Service struct {
	Name     string
	Type     string   // base type, "_daap._tcp"
	Subtypes []string // "_music"
	Domain   string   // "" or "local."
	Host     string   // "" for avahi-daemon's host name
	Port     uint16
	TXT      []string // raw strings
}

// Registration is one service published as an Avahi entry group.
type Registration struct {
	b *Backend

	mu          sync.Mutex
	svc         Service // Name is the name in use or being tried
	stem        string
	n           int
	path        dbus.ObjectPath // "" while avahi-daemon is away
	established bool
	renaming    bool // a conflict after establishment: report the new name
	closed      bool
	conflicts   []time.Time
	first       chan error // the first outcome, once
	renamed     chan string
}

// Register publishes svc through avahi-daemon and returns once Avahi has
// established it, renamed "Name (2)"… on conflicts.
func (b *Backend) Register(ctx context.Context, svc Service) (*Registration, error) {
	stem, n := dnsname.SplitSuffix(svc.Name)
	r := &Registration{b: b, svc: svc, stem: stem, n: n, first: make(chan error, 1), renamed: make(chan string, 1)}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, ErrClosed
	}
	b.regs[r] = true
	b.mu.Unlock()
	err := r.publish(ctx)
	if errors.Is(err, errLocalCollision) {
		r.rename() // taken by another program on this host
	} else if err != nil {
		r.drop()
		return nil, err
	}
	select {
	case err := <-r.first:
		if err != nil {
			r.drop()
			return nil, err
		}
		return r, nil
	case <-ctx.Done():
		_ = r.Close(context.Background())
		return nil, ctx.Err()
	}
}

func (r *Registration) drop() {
	r.b.mu.Lock()
	delete(r.b.regs, r)
	if r.path != "" {
		delete(r.b.groups, r.path)
	}
	r.b.mu.Unlock()
	r.freeGroup()
}

func (r *Registration) group() dbus.BusObject {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.b.conn.Object(busName, r.path)
}

// publish creates a new entry group for the registration and commits it.
func (r *Registration) publish(ctx context.Context) error {
	var path dbus.ObjectPath
	if err := r.b.serverObj().CallWithContext(ctx, ifaceServer+".EntryGroupNew", 0).Store(&path); err != nil {
		return fmt.Errorf("avahi: creating an entry group: %w", err)
	}
	r.mu.Lock()
	r.path = path
	r.mu.Unlock()
	r.b.mu.Lock()
	r.b.groups[path] = r
	r.b.mu.Unlock()
	return r.fill(ctx)
}

// fill adds the service (with its subtypes) to the group and commits it.
func (r *Registration) fill(ctx context.Context) error {
	r.mu.Lock()
	svc := r.svc
	r.mu.Unlock()
	g := r.group()
	typ := svc.Type
	domain := avahiDomain(svc.Domain)
	host := ""
	if svc.Host != "" {
		h, err := toAvahi(svc.Host)
		if err != nil {
			return err
		}
		host = h
	}
	if err := g.CallWithContext(ctx, ifaceGroup+".AddService", 0, ifUnspec, protoUnspec, uint32(0),
		svc.Name, typ, domain, host, svc.Port, txtBytes(svc.TXT)).Err; err != nil {
		return r.mapErr(err)
	}
	for _, sub := range svc.Subtypes {
		if err := g.CallWithContext(ctx, ifaceGroup+".AddServiceSubtype", 0, ifUnspec, protoUnspec, uint32(0),
			svc.Name, typ, domain, sub+"._sub."+typ).Err; err != nil {
			return r.mapErr(err)
		}
	}
	if err := g.CallWithContext(ctx, ifaceGroup+".Commit", 0).Err; err != nil {
		return r.mapErr(err)
	}
	return nil
}

// mapErr turns Avahi's errors into the package's: a name already taken
// locally (another program on this host published it through Avahi) is a
// conflict to rename from, like one on the network.
func (r *Registration) mapErr(err error) error {
	var de dbus.Error
	if errors.As(err, &de) && de.Name == "org.freedesktop.Avahi.CollisionError" {
		return errLocalCollision
	}
	return fmt.Errorf("avahi: %w", err)
}

var errLocalCollision = errors.New("avahi: local name collision")

func avahiDomain(d string) string {
	if d == "" {
		return ""
	}
	a, err := toAvahi(d)
	if err != nil {
		return d
	}
	return a
}

func txtBytes(t []string) [][]byte {
	out := [][]byte{}
	for _, s := range t {
		out = append(out, []byte(s))
	}
	return out
}

// stateChanged handles the group's StateChanged signal (on the dispatcher
// goroutine).
func (r *Registration) stateChanged(path dbus.ObjectPath, st int32, msg string) {
	r.mu.Lock()
	if r.closed || path != r.path {
		r.mu.Unlock()
		return
	}
	switch st {
	case groupEstablished:
		if !r.established {
			r.established = true
			r.mu.Unlock()
			r.outcome(nil)
			return
		}
		if r.renaming {
			// Under r.mu, so Close cannot close the channel meanwhile;
			// the send never blocks (one slot, emptied first).
			r.renaming = false
			select {
			case <-r.renamed: // keep only the newest
			default:
			}
			r.renamed <- r.svc.Name
		}
		r.mu.Unlock()
	case groupCollision:
		r.mu.Unlock()
		r.rename()
	case groupFailure:
		established := r.established
		r.mu.Unlock()
		err := fmt.Errorf("avahi: %w: %s", ErrFailed, msg)
		if !established {
			r.outcome(err)
		} else {
			r.b.log.Error("avahi: publishing failed", "name", r.Name(), "err", msg)
		}
	default:
		r.mu.Unlock()
	}
}

// outcome reports the first publication's result to Register, once.
func (r *Registration) outcome(err error) {
	select {
	case r.first <- err:
	default:
	}
}

// rename moves to the next name after a conflict (RFC 6762 §9) and
// publishes it in the same group.
func (r *Registration) rename() {
	for {
		r.mu.Lock()
		now := time.Now()
		r.conflicts = append(r.conflicts, now)
		for len(r.conflicts) > 0 && now.Sub(r.conflicts[0]) > conflictWindow {
			r.conflicts = r.conflicts[1:]
		}
		wait := len(r.conflicts) >= conflictBurst
		if r.n < 2 {
			r.n = 2
		} else {
			r.n++
		}
		r.svc.Name = dnsname.NthLabel(r.stem, r.n, false)
		if r.established {
			r.renaming = true
		}
		r.mu.Unlock()
		r.b.log.Info("avahi: name conflict; trying the next name", "name", r.Name())
		if wait {
			select {
			case <-time.After(conflictWait):
			case <-r.b.done:
				return
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		g := r.group()
		err := g.CallWithContext(ctx, ifaceGroup+".Reset", 0).Err
		if err == nil {
			err = r.fill(ctx)
		}
		cancel()
		if errors.Is(err, errLocalCollision) {
			continue
		}
		if err != nil {
			r.b.log.Error("avahi: re-publishing after a conflict", "name", r.Name(), "err", err)
			r.mu.Lock()
			established := r.established
			r.mu.Unlock()
			if !established {
				r.outcome(err)
			}
		}
		return
	}
}

// republish publishes the registration again after avahi-daemon restarted.
func (r *Registration) republish() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.path = ""
	if r.established {
		r.renaming = true // report the name if it has to change
	}
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := r.publish(ctx)
	if errors.Is(err, errLocalCollision) {
		r.rename()
		return
	}
	if err != nil {
		r.b.log.Error("avahi: re-registering after a restart of avahi-daemon", "name", r.Name(), "err", err)
	}
}

// ensurePublished commits the group again if avahi-daemon reset it (it
// does while re-establishing its host name).
func (r *Registration) ensurePublished() {
	var st int32
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.group().CallWithContext(ctx, ifaceGroup+".GetState", 0).Store(&st); err != nil || st != groupUncommitted {
		return
	}
	if err := r.fill(ctx); errors.Is(err, errLocalCollision) {
		r.rename()
	}
}

func (r *Registration) Name() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.svc.Name
}

func (r *Registration) Renamed() <-chan string { return r.renamed }

// UpdateTXT replaces the TXT record; Avahi announces the new one.
func (r *Registration) UpdateTXT(ctx context.Context, txt []string) error {
	r.mu.Lock()
	r.svc.TXT = txt
	svc := r.svc
	r.mu.Unlock()
	err := r.group().CallWithContext(ctx, ifaceGroup+".UpdateServiceTxt", 0, ifUnspec, protoUnspec, uint32(0),
		svc.Name, svc.Type, avahiDomain(svc.Domain), txtBytes(txt)).Err
	if err != nil {
		return fmt.Errorf("avahi: updating TXT of %s: %w", svc.Name, err)
	}
	return nil
}

// Close withdraws the service: freeing the group makes Avahi send its
// goodbyes.
func (r *Registration) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	close(r.renamed)
	r.mu.Unlock()
	r.drop()
	return nil
}

func (r *Registration) freeGroup() {
	r.mu.Lock()
	path := r.path
	r.path = ""
	r.mu.Unlock()
	if path == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = r.b.conn.Object(busName, path).CallWithContext(ctx, ifaceGroup+".Free", 0).Err
}
