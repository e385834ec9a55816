package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rendezvous-mdns/rendezvous/dnssd"
)

// Defaults for the Server's zero-valued limits.
const (
	DefaultMaxClients      = 256
	DefaultMaxOpsPerClient = 64
	DefaultMaxQueuedBytes  = 1 << 20
	DefaultWriteTimeout    = 10 * time.Second
	DefaultWithdrawTimeout = 2 * time.Second
)

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("daemon: server closed")

// Server serves the mDNSResponder client protocol over a Backend. Set the
// fields before the first Serve and do not change them afterwards. The
// Server does not own the Backend: close it after Close.
type Server struct {
	// Backend performs the operations. Required.
	Backend dnssd.Backend
	// Logger receives the server's logs; nil discards them. Protocol
	// violations by clients are logged at debug level.
	Logger *slog.Logger
	// MaxClients bounds the connections open at once; a connection beyond
	// it is closed as soon as it is accepted. 0 means DefaultMaxClients.
	MaxClients int
	// MaxOpsPerClient bounds the operations of one shared connection; a
	// request beyond it gets the error code NoMemory (-65539). 0 means
	// DefaultMaxOpsPerClient.
	MaxOpsPerClient int
	// MaxQueuedBytes bounds the replies waiting to be written to one
	// client; a client that lets more pile up is disconnected. 0 means
	// DefaultMaxQueuedBytes.
	MaxQueuedBytes int
	// WriteTimeout bounds one write to a client; a client that does not
	// read for that long is disconnected. 0 means DefaultWriteTimeout.
	WriteTimeout time.Duration
	// WithdrawTimeout bounds the withdrawal (goodbyes) of a registration
	// whose client went away. 0 means DefaultWithdrawTimeout.
	WithdrawTimeout time.Duration
	// DefaultName is the instance name of a registration that asks for
	// none (dns_sd.h: "the computer name"). "" means the first label of
	// os.Hostname.
	DefaultName string

	mu        sync.Mutex
	closed    bool
	listeners map[net.Listener]struct{}
	sessions  map[*session]struct{}
	wg        sync.WaitGroup // session goroutines and Serve calls
	nextID    atomic.Uint64
	ifaces    ifIndexCache

	accepted  atomic.Uint64
	rejected  atomic.Uint64
	dropped   atomic.Uint64
	passedFDs atomic.Uint64
}

// Stats are the server's counters since it started.
type Stats struct {
	Accepted  uint64 // connections served
	Rejected  uint64 // connections closed at once because MaxClients were open
	Dropped   uint64 // connections ended for a protocol violation, a full reply queue or a write timeout
	PassedFDs uint64 // error-return sockets received with SCM_RIGHTS
	Active    int    // connections open now
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	n := len(s.sessions)
	s.mu.Unlock()
	return Stats{Accepted: s.accepted.Load(), Rejected: s.rejected.Load(), Dropped: s.dropped.Load(),
		PassedFDs: s.passedFDs.Load(), Active: n}
}

func (s *Server) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

func (s *Server) maxClients() int { return orDefault(s.MaxClients, DefaultMaxClients) }
func (s *Server) maxOps() int     { return orDefault(s.MaxOpsPerClient, DefaultMaxOpsPerClient) }
func (s *Server) maxQueued() int  { return orDefault(s.MaxQueuedBytes, DefaultMaxQueuedBytes) }
func (s *Server) writeTimeout() time.Duration {
	return orDefault(s.WriteTimeout, DefaultWriteTimeout)
}
func (s *Server) withdrawTimeout() time.Duration {
	return orDefault(s.WithdrawTimeout, DefaultWithdrawTimeout)
}

func (s *Server) defaultName() string {
	if s.DefaultName != "" {
		return s.DefaultName
	}
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "rendezvous"
	}
	h, _, _ = strings.Cut(h, ".")
	return h
}

// serveGroup is the set of connections one Serve call accepted.
type serveGroup struct {
	wg sync.WaitGroup
}

// Serve accepts connections on ln and serves each until it closes, until
// ctx ends or until Close. ln must be a Unix-domain socket listener: the
// error-return channel of shared connections and record operations is a
// socket passed with SCM_RIGHTS (README "Error return", item 2). (Over TCP
// the error channel is a connection back to a port the client names; a TCP
// transport can be added beside the Unix one in transport.go.)
//
// When ctx ends, Serve closes ln, ends every connection it accepted (their
// registrations are withdrawn), waits for them and returns nil. After Close
// it returns ErrServerClosed; if ln fails, that error.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.Backend == nil {
		return errors.New("daemon: Server.Backend is nil")
	}
	ul, ok := ln.(*net.UnixListener)
	if !ok {
		return fmt.Errorf("daemon: cannot serve on a %s listener: only Unix-domain sockets are supported (the error-return channel needs SCM_RIGHTS)", ln.Addr().Network())
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrServerClosed
	}
	if s.listeners == nil {
		s.listeners = map[net.Listener]struct{}{}
		s.sessions = map[*session]struct{}{}
	}
	s.listeners[ln] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()

	g := &serveGroup{}
	mine := map[*session]struct{}{}
	var mineMu sync.Mutex
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()

	var backoff time.Duration
	for {
		c, err := ul.AcceptUnix()
		if err != nil {
			if ctx.Err() == nil && !s.isClosed() && !errors.Is(err, net.ErrClosed) && isTemporary(err) {
				// EMFILE and the like: wait and retry, like net/http.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.logger().Warn("daemon: accept failed; retrying", "err", err, "in", backoff)
				select {
				case <-time.After(backoff):
				case <-ctx.Done():
				}
				continue
			}
			ln.Close()
			s.mu.Lock()
			delete(s.listeners, ln)
			s.mu.Unlock()
			mineMu.Lock()
			for sess := range mine {
				sess.abort("server stopping")
			}
			mineMu.Unlock()
			g.wg.Wait()
			switch {
			case s.isClosed():
				return ErrServerClosed
			case ctx.Err() != nil:
				return nil
			}
			return err
		}
		backoff = 0
		sess := s.admit(c, g)
		if sess == nil {
			continue
		}
		mineMu.Lock()
		mine[sess] = struct{}{}
		mineMu.Unlock()
		go func() {
			defer s.wg.Done()
			defer g.wg.Done()
			sess.run()
			s.mu.Lock()
			delete(s.sessions, sess)
			s.mu.Unlock()
			mineMu.Lock()
			delete(mine, sess)
			mineMu.Unlock()
		}()
	}
}

// admit registers a new connection, or closes it at once when the server
// is closed or MaxClients connections are open. The caller starts run.
func (s *Server) admit(c *net.UnixConn, g *serveGroup) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		c.Close()
		return nil
	}
	if len(s.sessions) >= s.maxClients() {
		s.rejected.Add(1)
		c.Close()
		s.logger().Debug("daemon: connection refused: too many clients", "max", s.maxClients())
		return nil
	}
	s.accepted.Add(1)
	sess := newSession(s, newUnixTransport(c, &s.passedFDs))
	s.sessions[sess] = struct{}{}
	s.wg.Add(1)
	g.wg.Add(1)
	return sess
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Close stops every Serve call, ends every connection (withdrawing their
// registrations, bounded by WithdrawTimeout) and waits for all of it.
func (s *Server) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		for ln := range s.listeners {
			ln.Close()
		}
		for sess := range s.sessions {
			sess.abort("server closing")
		}
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// isTemporary reports accept errors worth retrying (EMFILE, ENFILE,
// ECONNABORTED...).
func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}
