package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/rendezvous-mdns/rendezvous/internal/sim"
)

// runSimulate runs the engine on a virtual LAN: every host registers
// services (every fourth one also "Shared Name", to show conflict renaming)
// and browses for the others; then a third of the hosts withdraw a service.
func runSimulate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	hosts := fs.Int("hosts", 8, "number of simulated hosts (1–200)")
	services := fs.Int("services", 2, "services each host registers (1–20)")
	loss := fs.Float64("loss", 0.1, "probability that a packet is lost on the way to one host (0–0.5)")
	seed := fs.Uint64("seed", 1, "seed of the run; the same seed replays it exactly")
	asJSON := fs.Bool("json", false, "print one JSON object per line")
	if err := parseFlags(fs, args, stdout); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usagef("unexpected argument %q", fs.Arg(0))
	case *hosts < 1 || *hosts > 200:
		return usagef("--hosts %d: must be 1–200", *hosts)
	case *services < 1 || *services > 20:
		return usagef("--services %d: must be 1–20", *services)
	case *loss < 0 || *loss > 0.5:
		return usagef("--loss %g: must be 0–0.5", *loss)
	}
	sc := sim.Standard(*hosts, *services, *loss, *seed)
	if !*asJSON {
		fmt.Fprintf(stdout, "Simulated LAN: %d hosts, %d services each, %.0f%% packet loss, seed %d.\n", *hosts, *services, *loss*100, *seed)
		fmt.Fprintf(stdout, "Virtual time: nothing is sent on a real network.\n\n")
	}
	start := time.Now()
	r := sim.Run(sc, *seed)
	if err := ctx.Err(); err != nil {
		return err
	}
	if *asJSON {
		return simulateJSON(stdout, sc, r)
	}
	simulateTable(stdout, sc, r, time.Since(start))
	if r.Failed() {
		return fmt.Errorf("%d invariant(s) broken", len(r.Violations))
	}
	return nil
}

func simulateTable(w io.Writer, sc sim.Scenario, r *sim.Result, took time.Duration) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tREGISTERED AS\tFINAL NAME\tESTABLISHED\tWITHDRAWN")
	for i, sp := range sc.Services {
		final := r.FinalNames[i]
		if final == "" {
			final = "(never established)"
		}
		withdrawn := ""
		if sp.WithdrawAt > 0 {
			withdrawn = fmt.Sprintf("at %s", secs(sp.WithdrawAt))
		}
		fmt.Fprintf(tw, "host%d\t%s\t%s\t%s\t%s\n", sp.Host, sp.Name, final, secs(r.Established[i]), withdrawn)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "BROWSER\tTYPE\tSEES (before the withdrawals)")
	for i, bp := range sc.Browsers {
		fmt.Fprintf(tw, "host%d\t%s\t%d services\n", bp.Host, bp.Type, len(r.Seen[i]))
	}
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Wire: %d packets, %d bytes (%d bytes per host) over %s of virtual time (computed in %s).\n",
		r.Packets, r.Bytes, r.Bytes/max(sc.Hosts, 1), r.End.Round(time.Second), took.Round(time.Millisecond))
	fmt.Fprintf(w, "Discovery: %d of %d browser–service pairs within %s.\n", r.FastPairs, r.Pairs, sim.FastWindow)
	if r.WithdrawPairs > 0 {
		fmt.Fprintf(w, "Goodbyes: %d of %d withdrawals reached browsers within %s; the rest by the records' TTL.\n", r.RemovedWithin, r.WithdrawPairs, sim.GoodbyeWindow)
	}
	if !r.Failed() {
		fmt.Fprintln(w, "Invariants: every name unique, every browser converged, every withdrawn service gone: OK.")
		return
	}
	fmt.Fprintln(w, "Invariants broken:")
	for _, v := range r.Violations {
		fmt.Fprintln(w, "  "+v)
	}
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }

func simulateJSON(w io.Writer, sc sim.Scenario, r *sim.Result) error {
	enc := json.NewEncoder(w)
	for i, sp := range sc.Services {
		if err := enc.Encode(map[string]any{
			"event": "registered", "host": fmt.Sprintf("host%d", sp.Host), "requested": sp.Name,
			"name": r.FinalNames[i], "type": sp.Type, "domain": "local.", "port": sp.Port,
			"established_s": r.Established[i].Seconds(), "withdrawn": sp.WithdrawAt > 0,
		}); err != nil {
			return err
		}
	}
	for i, bp := range sc.Browsers {
		seen := slices.Clone(r.Seen[i])
		if seen == nil {
			seen = []string{}
		}
		if err := enc.Encode(map[string]any{"event": "browser", "host": fmt.Sprintf("host%d", bp.Host), "type": bp.Type, "sees": seen}); err != nil {
			return err
		}
	}
	violations := r.Violations
	if violations == nil {
		violations = []string{}
	}
	if err := enc.Encode(map[string]any{
		"event": "summary", "hosts": sc.Hosts, "packets": r.Packets, "bytes": r.Bytes, "virtual_s": r.End.Seconds(),
		"fast_pairs": r.FastPairs, "pairs": r.Pairs, "goodbyes_in_time": r.RemovedWithin, "withdrawals": r.WithdrawPairs,
		"ok": !r.Failed(), "violations": violations,
	}); err != nil {
		return err
	}
	if r.Failed() {
		return fmt.Errorf("%d invariant(s) broken", len(r.Violations))
	}
	return nil
}
