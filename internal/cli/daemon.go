package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/rendezvous-mdns/rendezvous/dnssd"
	"github.com/rendezvous-mdns/rendezvous/dnssd/mdnsresponder"
	"github.com/rendezvous-mdns/rendezvous/internal/daemon"
)

// newDaemonBackend starts the responder that the daemon serves: the
// embedded one. Tests replace it with an in-memory fake, so they send
// nothing on a network.
var newDaemonBackend = func(cfg dnssd.EmbeddedConfig) (dnssd.Backend, error) {
	return dnssd.NewEmbedded(cfg)
}

// runDaemon: rendezvous daemon [--socket PATH] [--interface NAME]...
// [--json] [--max-clients N] serves the mDNSResponder client protocol on
// a Unix socket with the embedded responder until SIGINT/SIGTERM (or
// --timeout), then withdraws every client's registrations (goodbyes).
func runDaemon(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var socket string
	var maxClients int
	cf, pos, err := parseCommand("daemon", args, stdout, func(fs *flag.FlagSet) {
		fs.StringVar(&socket, "socket", mdnsresponder.DefaultPath, "Unix socket to serve the mDNSResponder client protocol on")
		fs.IntVar(&maxClients, "max-clients", daemon.DefaultMaxClients, "most client connections at once")
	})
	if err != nil {
		return err
	}
	if err := cf.check(); err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if maxClients < 1 {
		return usagef("--max-clients %d: must be at least 1", maxClients)
	}
	if socket == "" {
		return usagef("--socket: must not be empty")
	}
	log := daemonLogger(cf.json, stderr)

	if err := prepareSocket(ctx, socket, log); err != nil {
		return err
	}
	backend, err := newDaemonBackend(dnssd.EmbeddedConfig{Interfaces: cf.interfaces, Logger: log})
	if err != nil {
		return err
	}
	defer backend.Close() // after the server: goodbyes for what is left
	ln, err := listenSocket(socket)
	if err != nil {
		return err
	}
	srv := &daemon.Server{Backend: backend, Logger: log, MaxClients: maxClients}
	defer srv.Close()
	ctx, cancel := cf.context(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()

	if cf.json {
		err = emitJSON(stdout, map[string]any{"event": "ready", "socket": socket})
	} else {
		_, err = fmt.Fprintf(stdout, "rendezvous daemon: serving the mDNSResponder protocol on %s\n", socket)
	}
	if err != nil {
		cancel()
		<-done
		return err
	}
	// Serve returns nil once ctx ends (a signal or --timeout), after every
	// client's operations have ended.
	return <-done
}

// daemonLogger logs on stderr, as JSON lines with --json;
// RENDEZVOUS_DEBUG=1 adds the debug level (dropped clients and why).
func daemonLogger(asJSON bool, stderr io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if os.Getenv("RENDEZVOUS_DEBUG") != "" {
		opts.Level = slog.LevelDebug
	}
	if asJSON {
		return slog.New(slog.NewJSONHandler(stderr, opts))
	}
	return slog.New(slog.NewTextHandler(stderr, opts))
}

// prepareSocket makes path free for the daemon's socket: nothing there is
// fine; a socket nobody listens on is stale and removed; a socket where
// something answers means another daemon runs, and the daemon refuses to
// start; anything else is left alone.
func prepareSocket(ctx context.Context, path string, log *slog.Logger) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSocket == 0 {
		return fmt.Errorf("%s exists and is not a socket; not touching it (use --socket to pick another path)", path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if v, err := mdnsresponder.DaemonVersion(pctx, path); err == nil {
			return fmt.Errorf("another daemon already serves the mDNSResponder protocol on %s (it reports version %d.%d.%d); stop it or use --socket", path, v/10000, v/100%100, v%100)
		}
		return fmt.Errorf("something already listens on %s; stop it or use --socket", path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("removing the stale socket %s: %w", path, err)
	}
	log.Info("rendezvous daemon: removed a stale socket nobody listened on", "socket", path)
	return nil
}

// listenSocket creates the socket, readable and writable by every local
// user like Apple's daemon's (which uses 0777): any process may use the
// responder. Closing the listener removes the file.
func listenSocket(path string) (*net.UnixListener, error) {
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o666); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}
