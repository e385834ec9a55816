package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/rendezvous-mdns/rendezvous/dnssd"
)

// runRegister: rendezvous register [flags] NAME TYPE PORT [KEY=VALUE ...]
// stays up until SIGINT/SIGTERM (or --timeout), then sends goodbyes.
func runRegister(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cf, pos, err := parseCommand("register", args, stdout, nil)
	if err != nil {
		return err
	}
	if err := cf.check(); err != nil {
		return err
	}
	if len(pos) < 3 {
		return usagef("want NAME TYPE PORT [KEY=VALUE ...], got %d argument(s)", len(pos))
	}
	port, err := strconv.Atoi(pos[2])
	if err != nil || port < 1 || port > 65535 {
		return usagef("port %q: must be a number 1–65535", pos[2])
	}
	st, err := dnssd.ParseServiceType(pos[1])
	if err != nil {
		return nameError(err)
	}
	txt, err := dnssd.NewTXT(pos[3:]...)
	if err != nil {
		return nameError(err)
	}
	svc := dnssd.Service{Name: pos[0], Type: st, Domain: cf.domain, Port: uint16(port), TXT: txt}
	if err := svc.Validate(); err != nil {
		return nameError(err)
	}
	ctx, c, stop, err := cf.start(ctx, stderr)
	if err != nil {
		return err
	}
	defer stop()
	progress(stderr, "Registering %q (probing the name)…", svc.Name)
	reg, err := c.Register(ctx, svc)
	if err != nil {
		if ctx.Err() != nil {
			return nil // interrupted while probing: nothing was announced
		}
		return err
	}
	report := func(event string) error {
		s := reg.Service()
		if cf.json {
			return emitJSON(stdout, map[string]any{"event": event, "name": s.Name, "type": string(s.Type.Base()),
				"domain": dnsDomain(s.Domain), "port": s.Port})
		}
		_, err := fmt.Fprintf(stdout, "%-10s %s (%s, port %d)\n", event, s.Instance(), s.Type, s.Port)
		return err
	}
	if err := report("registered"); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			// SIGINT/SIGTERM or --timeout: withdraw with goodbyes, exit 0.
			return reg.Close()
		case _, ok := <-reg.Renamed():
			if !ok {
				return nil
			}
			if err := report("renamed"); err != nil {
				return err
			}
		}
	}
}

func dnsDomain(d string) string {
	if d == "" {
		return dnssd.Local
	}
	return d
}
