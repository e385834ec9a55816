package dnssd

import (
	"context"
	"log/slog"
	"time"

	"github.com/rendezvous-mdns/rendezvous/internal/avahi"
	"github.com/rendezvous-mdns/rendezvous/internal/mdnsclient"
)

// Only one mDNS responder should own a host's port 5353 and host name. A
// zero Client therefore looks for the system's responder before it starts
// its own: Avahi on the system bus first, then a daemon speaking the
// mDNSResponder protocol on its socket (Apple's, or `rendezvous daemon`),
// then the embedded responder.

// probeTimeout bounds each look for a system responder.
const probeTimeout = 2 * time.Second

// candidate is a backend a zero Client may select: probe says whether it is
// there (nil) or why not, open starts it.
type candidate struct {
	name  string
	probe func(ctx context.Context) error
	open  func(ctx context.Context, c *Client) (Backend, error)
}

// candidates are tried in order; the last one (the embedded responder) has
// no probe and always applies. Tests replace the probes.
func (c *Client) candidates() []candidate {
	return []candidate{
		{
			name:  "avahi",
			probe: func(ctx context.Context) error { return avahi.Available(ctx, avahi.Config{}) },
			open: func(ctx context.Context, c *Client) (Backend, error) {
				return NewAvahi(ctx, AvahiConfig{Logger: c.Logger})
			},
		},
		{
			name:  "mdnsresponder",
			probe: func(ctx context.Context) error { return mdnsclient.Available(ctx, "") },
			open: func(ctx context.Context, c *Client) (Backend, error) {
				return NewMDNSResponder(ctx, MDNSResponderConfig{Logger: c.Logger})
			},
		},
		{
			name: "embedded",
			open: func(_ context.Context, c *Client) (Backend, error) {
				return NewEmbedded(EmbeddedConfig{Interfaces: c.Interfaces, HostName: c.HostName, Logger: c.Logger})
			},
		},
	}
}

// selectBackend opens the first candidate whose probe succeeds.
func selectBackend(ctx context.Context, c *Client, cands []candidate) (Backend, string, error) {
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for _, cand := range cands {
		if cand.probe != nil {
			pctx, cancel := context.WithTimeout(ctx, probeTimeout)
			err := cand.probe(pctx)
			cancel()
			if err != nil {
				log.Debug("rendezvous: backend not available", "backend", cand.name, "reason", err)
				continue
			}
		}
		b, err := cand.open(ctx, c)
		if err != nil {
			return nil, cand.name, err
		}
		log.Debug("rendezvous: using backend", "backend", cand.name)
		return b, cand.name, nil
	}
	return nil, "", ErrClosed // unreachable: the last candidate has no probe
}
