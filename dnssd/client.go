package dnssd

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Client runs DNS-SD operations through a Backend. The zero value is ready
// to use: on first use it works through the system's responder when one
// runs (avahi-daemon on the system bus, else a daemon speaking the
// mDNSResponder protocol on its socket), else it starts the embedded
// responder. Close it to stop what it started (registrations send their
// goodbyes).
type Client struct {
	// Interfaces restricts the embedded responder to these interfaces.
	// (A system responder uses the interfaces it is configured for.)
	Interfaces []string
	// HostName is this host's name on the link ("" = the system's).
	HostName string
	// Logger receives the library's logs; nil discards them.
	Logger *slog.Logger
	// Backend, if set, is used instead of selecting one.
	Backend Backend

	mu     sync.Mutex
	b      Backend
	kind   string
	closed bool
	// cands replaces the candidates in tests.
	cands []candidate
}

// DefaultClient is used by the package-level functions.
var DefaultClient = &Client{}

func (c *Client) backend() (Backend, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if c.b != nil {
		return c.b, nil
	}
	if c.Backend != nil {
		c.b, c.kind = c.Backend, "custom"
		if k, ok := c.Backend.(interface{ kind() string }); ok {
			c.kind = k.kind()
		}
		return c.b, nil
	}
	cands := c.cands
	if cands == nil {
		cands = c.candidates()
	}
	b, kind, err := selectBackend(context.Background(), c, cands)
	if err != nil {
		return nil, err
	}
	c.b, c.kind = b, kind
	return b, nil
}

// BackendName says which backend the client works through: "embedded",
// "avahi", "mdnsresponder", or "custom" for a Backend set by the caller. A zero Client
// selects its backend here if no operation has yet.
func (c *Client) BackendName() (string, error) {
	if _, err := c.backend(); err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.kind, nil
}

// Close ends every operation of the client; registrations send their
// goodbyes. A Backend passed in is closed too.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	if c.b != nil {
		return c.b.Close()
	}
	return nil
}

// Registration is a published service. Close it to withdraw the service.
type Registration struct {
	svc Service
	r   BackendRegistration
}

// Register publishes svc and returns once it is established on the network:
// after probing (RFC 6762 §8.1) and, if the name was taken, renaming to
// "Name (2)"…; Name reports the final name.
func (c *Client) Register(ctx context.Context, svc Service) (*Registration, error) {
	if svc.Domain == "" {
		svc.Domain = Local
	}
	if err := svc.Validate(); err != nil {
		return nil, err
	}
	b, err := c.backend()
	if err != nil {
		return nil, &OpError{Op: "register", Name: svc.Instance().String(), Err: err}
	}
	r, err := b.Register(ctx, svc)
	if err != nil {
		return nil, &OpError{Op: "register", Name: svc.Instance().String(), Err: err}
	}
	return &Registration{svc: svc, r: r}, nil
}

// Register publishes svc with DefaultClient.
func Register(ctx context.Context, svc Service) (*Registration, error) {
	return DefaultClient.Register(ctx, svc)
}

// Name returns the instance name in use (after any rename).
func (r *Registration) Name() string { return r.r.Name() }

// Service returns the registered service with its current name.
func (r *Registration) Service() Service {
	s := r.svc
	s.Name = r.Name()
	return s
}

// Renamed delivers the new name whenever a conflict after registration
// forces a rename (RFC 6762 §9); it is closed when the registration ends.
func (r *Registration) Renamed() <-chan string { return r.r.Renamed() }

// UpdateTXT replaces the TXT record; it is re-announced (RFC 6762 §8.4).
func (r *Registration) UpdateTXT(ctx context.Context, txt TXT) error {
	if err := r.r.UpdateTXT(ctx, txt); err != nil {
		return &OpError{Op: "update", Name: r.Name(), Err: err}
	}
	r.svc.TXT = txt
	return nil
}

// Close withdraws the service: goodbye packets tell every browser at once
// (RFC 6762 §10.1). It waits up to two seconds for them to go out.
func (r *Registration) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return r.r.Close(ctx)
}
