// Package cli implements the rendezvous command's subcommands. Run is the
// whole program minus process setup, so tests drive it directly.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Exit codes (ARCHITECTURE.md's CLI contract).
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError is bad input: it is printed on one line and exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"register", "NAME TYPE PORT [KEY=VALUE ...]: announce a service until interrupted", runRegister},
		{"browse", "TYPE [DOMAIN]: list instances of a service type as they come and go", runBrowse},
		{"resolve", "NAME TYPE [DOMAIN]: host, port, addresses and TXT of an instance", runResolve},
		{"lookup", "HOST: addresses of a .local host", runLookup},
		{"query", "NAME RRTYPE: records of any type", runQuery},
		{"types", "service types on the link", runTypes},
		{"daemon", "serve the mDNSResponder client protocol on a Unix socket (the shared responder)", runDaemon},
		{"simulate", "run a simulated Bonjour LAN (virtual network; nothing is sent on a real one)", runSimulate},
	}
}

const usageText = `rendezvous — Bonjour (mDNS + DNS-SD) for Go, at the terminal

usage: rendezvous <command> [flags] [arguments]

commands:
%s
Common flags: --json (one JSON object per line), --timeout DURATION,
--interface NAME (repeatable), --backend auto|embedded|avahi|mdnsresponder,
-v, --domain. --backend auto (the default) works through the system's
avahi-daemon when one is on the system bus, else through a daemon speaking
the mDNSResponder protocol on $DNSSD_UDS_PATH or /var/run/mDNSResponder
(Apple's, or rendezvous daemon), else runs the embedded responder; -v says
which.
Exit status: 0 success, 1 failure, 2 usage error.

Run 'rendezvous <command> -h' for a command's flags.
`

func printUsage(w io.Writer) {
	var b strings.Builder
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, usageText, b.String())
}

// Run runs the command line args and returns the exit status.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		printUsage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		var ue *usageError
		switch {
		case err == nil:
			return exitOK
		case errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "rendezvous %s: %s (see 'rendezvous %s -h')\n", c.name, ue.msg, c.name)
			return exitUsage
		default:
			fmt.Fprintf(stderr, "rendezvous %s: %v\n", c.name, err)
			return exitFailure
		}
	}
	fmt.Fprintf(stderr, "rendezvous: unknown command %q (run 'rendezvous help' for the list)\n", args[0])
	return exitUsage
}

// parseFlags parses a subcommand's flags; errors become usage errors
// (the flag package's own message, on one line).
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fmt.Fprintf(stdout, "usage: rendezvous %s [flags]\n\nflags:\n", fs.Name())
			fs.PrintDefaults()
			return flag.ErrHelp
		}
		return usagef("%v", err)
	}
	return nil
}
