package dnssd

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/rendezvous-mdns/rendezvous/internal/driver"
	"github.com/rendezvous-mdns/rendezvous/internal/mdns"
	"github.com/rendezvous-mdns/rendezvous/internal/netmon"
	"github.com/rendezvous-mdns/rendezvous/internal/transport/udp"
)

// embedded is the Backend that runs rendezvous's own mDNS engine in this
// process: an interface monitor, UDP multicast sockets and the driver
// goroutine that owns the engine.
type embedded struct {
	d   *driver.Driver
	mon *netmon.Monitor // nil in tests over vnet

	mu    sync.Mutex
	names map[mdns.LinkID]string
	links []mdns.Link
}

// EmbeddedConfig configures the embedded responder.
type EmbeddedConfig struct {
	// Interfaces restricts mDNS to these interfaces; empty means all that
	// are up and can multicast.
	Interfaces []string
	// HostName is this host's name on the link ("" = the system host name).
	HostName string
	Logger   *slog.Logger
}

// NewEmbedded starts the embedded responder.
func NewEmbedded(cfg EmbeddedConfig) (Backend, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	mon, err := netmon.New(netmon.Config{Interfaces: cfg.Interfaces, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	tr, err := udp.Listen(udp.Config{Logger: cfg.Logger})
	if err != nil {
		mon.Close()
		return nil, fmt.Errorf("%w (is another program holding port 5353 without SO_REUSEPORT?)", err)
	}
	links := mon.Links()
	if len(links) == 0 {
		cfg.Logger.Warn("rendezvous: no usable network interface yet; waiting for one")
	}
	b, err := newEmbedded(cfg, tr, links, mon.Updates())
	if err != nil {
		mon.Close()
		return nil, err
	}
	b.mon = mon
	return b, nil
}

func newEmbedded(cfg EmbeddedConfig, tr driver.Transport, links []mdns.Link, updates <-chan []mdns.Link) (*embedded, error) {
	host := cfg.HostName
	if host == "" {
		host = systemHostName()
	}
	var seed [8]byte
	_, _ = rand.Read(seed[:])
	b := &embedded{names: map[mdns.LinkID]string{}}
	b.setLinks(links)
	d, err := driver.New(driver.Config{
		Engine:    mdns.Config{HostName: host, Seed: binary.LittleEndian.Uint64(seed[:]), Logger: cfg.Logger, OneShotFirst: true, LazyHost: true},
		Transport: tr, Links: links, LinkUpdates: updates, OnLinks: b.setLinks, Logger: cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	b.d = d
	return b, nil
}

func (b *embedded) setLinks(links []mdns.Link) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.links = links
	for _, l := range links {
		b.names[l.ID] = l.Name
	}
}

func (b *embedded) ifname(id mdns.LinkID) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.names[id]
}

// systemHostName returns the first label of the OS host name, reduced to
// letters, digits and hyphens (RFC 6762 §16 allows any UTF-8, but host
// names are conventionally LDH).
func systemHostName() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "rendezvous"
	}
	h, _, _ = strings.Cut(h, ".")
	var b strings.Builder
	for _, r := range h {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "rendezvous"
	}
	return b.String()
}

func (b *embedded) Register(ctx context.Context, svc Service) (BackendRegistration, error) {
	spec := mdns.ServiceSpec{Instance: svc.Name, Type: string(svc.Type.Base()), Subtypes: svc.Type.Subtypes(),
		Domain: normalizeDomainOrLocal(svc.Domain), Host: svc.Host, Port: svc.Port, TXT: svc.TXT.DNSStrings()}
	r, err := b.d.Publish(ctx, spec)
	if err != nil {
		return nil, mapErr(err)
	}
	if err := r.Established(ctx); err != nil {
		_ = r.Close(context.Background())
		return nil, mapErr(err)
	}
	er := &embeddedReg{r: r, renamed: make(chan string, 1)}
	go er.watch()
	return er, nil
}

type embeddedReg struct {
	r       *driver.Registration
	renamed chan string
}

func (e *embeddedReg) watch() {
	defer close(e.renamed)
	for ev := range e.r.Events() {
		if ev.Kind == mdns.EventRenamed {
			select {
			case <-e.renamed: // keep only the newest
			default:
			}
			e.renamed <- ev.Name
		}
	}
}

func (e *embeddedReg) Name() string           { return e.r.Name() }
func (e *embeddedReg) Renamed() <-chan string { return e.renamed }
func (e *embeddedReg) Close(ctx context.Context) error {
	return mapErr(e.r.Close(ctx))
}
func (e *embeddedReg) UpdateTXT(ctx context.Context, txt TXT) error {
	return mapErr(e.r.UpdateTXT(ctx, txt.DNSStrings()))
}

func (b *embedded) Query(ctx context.Context, name string, rrtype uint16) (BackendQuery, error) {
	q, err := b.d.StartQuery(ctx, mdns.Question{Name: name, Type: rrtype})
	if err != nil {
		return nil, mapErr(err)
	}
	return &embeddedQuery{b: b, q: q}, nil
}

type embeddedQuery struct {
	b *embedded
	q *driver.Query
}

func (e *embeddedQuery) Next(ctx context.Context) (RecordEvent, error) {
	ev, err := e.q.Next(ctx)
	if err != nil {
		return RecordEvent{}, mapErr(err)
	}
	kind := Added
	switch ev.Kind {
	case mdns.EventUpdated:
		kind = Updated
	case mdns.EventRemoved:
		kind = Removed
	}
	return RecordEvent{Kind: kind, Interface: e.b.ifname(ev.Link), Record: ev.Record}, nil
}

func (e *embeddedQuery) Close() error { return e.q.Close() }

func (b *embedded) Close() error {
	err := b.d.Close()
	if b.mon != nil {
		b.mon.Close()
	}
	return err
}

func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, driver.ErrClosed):
		return ErrClosed
	case errors.Is(err, mdns.ErrTooMany):
		return fmt.Errorf("%w: %v", ErrLimit, err)
	}
	return err
}

func (b *embedded) kind() string { return "embedded" }
