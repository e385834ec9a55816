package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/rendezvous-mdns/rendezvous/dnssd"
)

// runBrowse: rendezvous browse [flags] TYPE [DOMAIN]; live until
// interrupted or --timeout.
func runBrowse(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var resolve *bool
	cf, pos, err := parseCommand("browse", args, stdout, func(fs *flag.FlagSet) {
		resolve = fs.Bool("resolve", false, "resolve each instance: host, port, addresses, TXT")
	})
	if err != nil {
		return err
	}
	if len(pos) == 2 && cf.domain == "" {
		cf.domain = pos[1]
		pos = pos[:1]
	}
	if err := cf.check(); err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want TYPE [DOMAIN], got %d argument(s)", len(pos))
	}
	st, err := dnssd.ParseServiceType(pos[0])
	if err != nil {
		return nameError(err)
	}
	ctx, c, stop, err := cf.start(ctx, stderr)
	if err != nil {
		return err
	}
	defer stop()
	if !cf.json {
		fmt.Fprintf(stdout, "%-7s %-10s %-32s %-20s %s\n", "EVENT", "INTERFACE", "NAME", "TYPE", "DOMAIN")
	}
	progress(stderr, "Browsing for %s… (Ctrl-C to stop)", st)
	for ev, err := range c.Browse(ctx, st, cf.domain) {
		if err != nil {
			return err
		}
		var rs *dnssd.ResolvedService
		if *resolve && ev.Kind == dnssd.Added {
			rctx, rcancel := context.WithTimeout(ctx, resolveWait)
			r, err := c.Resolve(rctx, ev.Instance)
			rcancel()
			if err == nil {
				rs = &r
			}
		}
		if err := printInstance(stdout, cf.json, ev.Kind.String(), ev.Interface, ev.Instance, rs); err != nil {
			return err
		}
	}
	return nil
}

func printInstance(w io.Writer, asJSON bool, event, iface string, inst dnssd.Instance, rs *dnssd.ResolvedService) error {
	if asJSON {
		obj := map[string]any{"name": inst.Name, "type": string(inst.Type), "domain": dnsDomain(inst.Domain), "interface": iface}
		if event != "" {
			obj["event"] = event
		}
		if rs != nil {
			obj["host"] = rs.Host
			obj["port"] = rs.Port
			obj["addrs"] = addrStrings(rs.Addrs)
			obj["txt"] = txtMap(rs.TXT)
		}
		return emitJSON(w, obj)
	}
	line := fmt.Sprintf("%-7s %-10s %-32s %-20s %s", event, iface, inst.Name, inst.Type, dnsDomain(inst.Domain))
	if rs != nil {
		line += fmt.Sprintf("\n        → %s:%d  %s  %s", rs.Host, rs.Port, strings.Join(addrStrings(rs.Addrs), " "), rs.TXT)
	}
	_, err := fmt.Fprintln(w, line)
	return err
}

func addrStrings(as []netip.Addr) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

// runResolve: rendezvous resolve [flags] NAME TYPE [DOMAIN].
func runResolve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cf, pos, err := parseCommand("resolve", args, stdout, nil)
	if err != nil {
		return err
	}
	if len(pos) == 3 && cf.domain == "" {
		cf.domain = pos[2]
		pos = pos[:2]
	}
	if err := cf.check(); err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("want NAME TYPE [DOMAIN], got %d argument(s)", len(pos))
	}
	st, err := dnssd.ParseServiceType(pos[1])
	if err != nil {
		return nameError(err)
	}
	inst := dnssd.Instance{Name: pos[0], Type: st.Base(), Domain: cf.domain}
	if err := inst.Validate(); err != nil {
		return nameError(err)
	}
	ctx, c, stop, err := cf.start(ctx, stderr)
	if err != nil {
		return err
	}
	defer stop()
	progress(stderr, "Resolving %s…", inst)
	rs, err := c.Resolve(ctx, inst)
	if err != nil {
		if errors.Is(err, dnssd.ErrNotFound) {
			return fmt.Errorf("%s: no answer (is it on this link?)", inst)
		}
		return err
	}
	if cf.json {
		return printInstance(stdout, true, "", rs.Interface, inst, &rs)
	}
	fmt.Fprintf(stdout, "%-10s %s\n%-10s %s\n%-10s %d\n%-10s %s\n%-10s %s\n%-10s %s\n",
		"name", inst, "host", rs.Host, "port", rs.Port, "addresses", strings.Join(addrStrings(rs.Addrs), " "),
		"txt", rs.TXT, "interface", rs.Interface)
	return nil
}

// runLookup: rendezvous lookup [flags] HOST.
func runLookup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cf, pos, err := parseCommand("lookup", args, stdout, nil)
	if err != nil {
		return err
	}
	if err := cf.check(); err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want HOST, got %d argument(s)", len(pos))
	}
	ctx, c, stop, err := cf.start(ctx, stderr)
	if err != nil {
		return err
	}
	defer stop()
	progress(stderr, "Looking up %s…", pos[0])
	addrs, err := c.LookupHost(ctx, pos[0])
	if err != nil {
		var ne *dnssd.NameError
		if errors.As(err, &ne) {
			return usagef("%v", err)
		}
		if errors.Is(err, dnssd.ErrNotFound) {
			return fmt.Errorf("%s: no answer (is it on this link?)", pos[0])
		}
		return err
	}
	host := dns.Fqdn(pos[0])
	if !strings.Contains(strings.TrimSuffix(host, "."), ".") {
		host += "local."
	}
	if cf.json {
		return emitJSON(stdout, map[string]any{"host": host, "addrs": addrStrings(addrs)})
	}
	for _, a := range addrs {
		fmt.Fprintf(stdout, "%s\t%s\n", host, a)
	}
	return nil
}

// runQuery: rendezvous query [flags] NAME RRTYPE; live until --timeout or
// interrupted; exits non-zero if nothing was found.
func runQuery(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cf, pos, err := parseCommand("query", args, stdout, nil)
	if err != nil {
		return err
	}
	if err := cf.check(); err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("want NAME RRTYPE, got %d argument(s)", len(pos))
	}
	rrtype, ok := dns.StringToType[strings.ToUpper(pos[1])]
	if !ok {
		return usagef("record type %q: unknown (try A, AAAA, PTR, SRV, TXT, ANY)", pos[1])
	}
	if _, ok := dns.IsDomainName(pos[0]); !ok {
		return usagef("name %q: not a DNS name", pos[0])
	}
	ctx, c, stop, err := cf.start(ctx, stderr)
	if err != nil {
		return err
	}
	defer stop()
	progress(stderr, "Querying %s %s… (Ctrl-C to stop)", pos[0], pos[1])
	found := false
	for ev, err := range c.Query(ctx, pos[0], rrtype) {
		if err != nil {
			return err
		}
		found = true
		h := ev.Record.Header()
		data := strings.TrimPrefix(ev.Record.String(), h.String())
		if cf.json {
			if err := emitJSON(stdout, map[string]any{"event": ev.Kind.String(), "name": h.Name, "type": dns.TypeToString[h.Rrtype],
				"ttl": h.Ttl, "data": data, "interface": ev.Interface}); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(stdout, "%-7s %-10s %s %d %s %s\n", ev.Kind, ev.Interface, h.Name, h.Ttl, dns.TypeToString[h.Rrtype], data)
	}
	if !found {
		return fmt.Errorf("%s %s: no answer", pos[0], pos[1])
	}
	return nil
}

// runTypes: rendezvous types [flags]: service types on the link (RFC 6763 §9).
func runTypes(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cf, pos, err := parseCommand("types", args, stdout, nil)
	if err != nil {
		return err
	}
	if err := cf.check(); err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	ctx, c, stop, err := cf.start(ctx, stderr)
	if err != nil {
		return err
	}
	defer stop()
	if !cf.json {
		fmt.Fprintf(stdout, "%-7s %-10s %-24s %s\n", "EVENT", "INTERFACE", "TYPE", "DOMAIN")
	}
	progress(stderr, "Listing service types… (Ctrl-C to stop)")
	for ev, err := range c.BrowseTypes(ctx, cf.domain) {
		if err != nil {
			return err
		}
		if cf.json {
			if err := emitJSON(stdout, map[string]any{"event": ev.Kind.String(), "type": string(ev.Type), "domain": ev.Domain, "interface": ev.Interface}); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(stdout, "%-7s %-10s %-24s %s\n", ev.Kind, ev.Interface, ev.Type, ev.Domain)
	}
	return nil
}

// resolveWait bounds the resolve of each instance a browse --resolve finds.
const resolveWait = 5 * time.Second
