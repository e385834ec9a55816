package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/rendezvous-mdns/rendezvous/dnssd"
	"github.com/rendezvous-mdns/rendezvous/internal/mdnsclient"
)

// commonFlags are the flags every network command takes (ARCHITECTURE.md).
type commonFlags struct {
	json       bool
	timeout    time.Duration
	interfaces stringList
	backend    string
	domain     string
	verbose    bool
}

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&c.json, "json", false, "print one JSON object per line")
	fs.DurationVar(&c.timeout, "timeout", 0, "stop after this long (e.g. 5s); 0 means no limit")
	fs.Var(&c.interfaces, "interface", "use only this network interface (repeatable)")
	fs.StringVar(&c.backend, "backend", "auto", "responder to use: auto (the system's if one runs, else embedded), embedded, avahi or mdnsresponder")
	fs.BoolVar(&c.verbose, "v", false, "say which responder is used (on stderr)")
	fs.StringVar(&c.domain, "domain", "", "DNS-SD domain (default local.)")
}

// check validates the common flags.
func (c *commonFlags) check() error {
	switch c.backend {
	case "auto", "embedded", "avahi", "mdnsresponder":
	default:
		return usagef("--backend %q: must be auto, embedded, avahi or mdnsresponder", c.backend)
	}
	if c.timeout < 0 {
		return usagef("--timeout %v: must not be negative", c.timeout)
	}
	for _, name := range c.interfaces {
		if _, err := net.InterfaceByName(name); err != nil {
			return usagef("--interface %s: no such network interface (see `ip link`)", name)
		}
	}
	if c.domain != "" && strings.TrimSuffix(strings.ToLower(c.domain), ".") != "local" {
		return usagef("--domain %s: only local. (multicast DNS) is available in this release", c.domain)
	}
	return nil
}

// client starts the client the flags ask for: --backend auto leaves the
// choice to dnssd.Client (the system's responder if one runs), the others
// force one. RENDEZVOUS_DEBUG=1 in the environment logs what the
// responder drops and decides, on stderr.
func (c *commonFlags) client(ctx context.Context) (*dnssd.Client, error) {
	cl := &dnssd.Client{Interfaces: c.interfaces}
	if os.Getenv("RENDEZVOUS_DEBUG") != "" {
		cl.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	var err error
	switch c.backend {
	case "embedded":
		cl.Backend, err = dnssd.NewEmbedded(dnssd.EmbeddedConfig{Interfaces: c.interfaces, Logger: cl.Logger})
	case "avahi":
		cl.Backend, err = dnssd.NewAvahi(ctx, dnssd.AvahiConfig{Logger: cl.Logger})
	case "mdnsresponder":
		cl.Backend, err = dnssd.NewMDNSResponder(ctx, dnssd.MDNSResponderConfig{Logger: cl.Logger})
	}
	if err != nil {
		return nil, fmt.Errorf("--backend %s: %w", c.backend, err)
	}
	return cl, nil
}

// context bounds ctx by --timeout.
func (c *commonFlags) context(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.timeout > 0 {
		return context.WithTimeout(ctx, c.timeout)
	}
	return context.WithCancel(ctx)
}

// parseArgs parses flags anywhere among the arguments ("browse _http._tcp
// --json" works like "browse --json _http._tcp") and returns the
// positional arguments.
func parseArgs(fs *flag.FlagSet, args []string, stdout io.Writer) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args, stdout); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// progress prints a status line on stderr when it is a terminal.
func progress(stderr io.Writer, format string, args ...any) {
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(stderr, format+"\n", args...)
	}
}

func emitJSON(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}

func txtMap(t dnssd.TXT) map[string]string {
	return t.Map()
}

// nameError turns a value-type validation error into a usage error.
func nameError(err error) error {
	if _, ok := err.(*dnssd.NameError); ok {
		return usagef("%v", err)
	}
	return err
}

// parseCommand creates a subcommand's flags (the common ones plus those
// extra adds), parses args and checks the common flags.
func parseCommand(name string, args []string, stdout io.Writer, extra func(*flag.FlagSet)) (*commonFlags, []string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	cf := &commonFlags{}
	cf.register(fs)
	if extra != nil {
		extra(fs)
	}
	pos, err := parseArgs(fs, args, stdout)
	if err != nil {
		return nil, nil, err
	}
	return cf, pos, nil
}

// start bounds ctx by --timeout and starts the client; stop undoes both.
// With -v it says on stderr which responder the client works through.
func (c *commonFlags) start(ctx context.Context, stderr io.Writer) (context.Context, *dnssd.Client, func(), error) {
	ctx, cancel := c.context(ctx)
	cl, err := c.client(ctx)
	if err != nil {
		cancel()
		return nil, nil, nil, err
	}
	stop := func() {
		cl.Close()
		cancel()
	}
	if c.verbose {
		name, err := cl.BackendName()
		if err != nil {
			stop()
			return nil, nil, nil, err
		}
		fmt.Fprintf(stderr, "rendezvous: using the %s responder\n", map[string]string{
			"embedded": "embedded", "avahi": "system's avahi-daemon",
			"mdnsresponder": "mDNSResponder-protocol daemon at " + mdnsclient.SocketPath(""),
		}[name])
	}
	return ctx, cl, stop, nil
}
