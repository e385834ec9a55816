package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func run(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = Run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

func TestUsageErrorsExit2WithOneLine(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"frobnicate"}, `rendezvous: unknown command "frobnicate" (run 'rendezvous help' for the list)`},
		{[]string{"simulate", "--hosts", "0"}, "rendezvous simulate: --hosts 0: must be 1–200 (see 'rendezvous simulate -h')"},
		{[]string{"simulate", "--loss", "0.9"}, "rendezvous simulate: --loss 0.9: must be 0–0.5 (see 'rendezvous simulate -h')"},
		{[]string{"simulate", "--hosts", "many"}, `rendezvous simulate: invalid value "many" for flag -hosts: parse error (see 'rendezvous simulate -h')`},
		{[]string{"simulate", "--bogus"}, "rendezvous simulate: flag provided but not defined: -bogus (see 'rendezvous simulate -h')"},
		{[]string{"simulate", "extra"}, `rendezvous simulate: unexpected argument "extra" (see 'rendezvous simulate -h')`},
	} {
		code, _, stderr := run(tc.args...)
		if code != 2 || strings.TrimSpace(stderr) != tc.msg {
			t.Errorf("%q: exit %d, stderr %q\n want exit 2, %q", tc.args, code, stderr, tc.msg)
		}
	}
	if code, _, stderr := run(); code != 2 || !strings.Contains(stderr, "usage: rendezvous <command>") {
		t.Errorf("no arguments: exit %d, %q", code, stderr)
	}
}

func TestHelpExits0(t *testing.T) {
	if code, out, _ := run("help"); code != 0 || !strings.Contains(out, "simulate") {
		t.Fatalf("help: %d %q", code, out)
	}
	if code, out, _ := run("simulate", "-h"); code != 0 || !strings.Contains(out, "-loss") {
		t.Fatalf("simulate -h: %d %q", code, out)
	}
}

func TestSimulateTable(t *testing.T) {
	code, out, stderr := run("simulate", "--hosts", "4", "--services", "1", "--loss", "0")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"Simulated LAN: 4 hosts, 1 services each, 0% packet loss, seed 1.",
		"HOST   REGISTERED AS  FINAL NAME",
		"Shared Name",
		"BROWSER  TYPE",
		"Invariants: every name unique, every browser converged, every withdrawn service gone: OK.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestSimulateJSONLines(t *testing.T) {
	code, out, stderr := run("simulate", "--hosts", "5", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var last map[string]any
	names := map[string]bool{}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not JSON: %q", l)
		}
		if m["event"] == "registered" {
			n := m["name"].(string)
			if names[n] {
				t.Errorf("name %q twice", n)
			}
			names[n] = true
		}
		last = m
	}
	if last["event"] != "summary" || last["ok"] != true {
		t.Fatalf("last line %v", last)
	}
	if !names["Shared Name"] || !names["Shared Name (2)"] {
		t.Errorf("conflicting names not renamed: %v", names)
	}
}

// Bad input to the network commands is refused before any socket opens:
// one line naming the problem, exit 2 (the list).
func TestNetworkCommandsRejectBadInputWithExit2(t *testing.T) {
	long := strings.Repeat("x", 64)
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"register", "DAAP Server", "daap._tcp", "3689"}, `rendezvous register: service type "daap._tcp": must start with an underscore, as in _http._tcp (see 'rendezvous register -h')`},
		{[]string{"register", long, "_daap._tcp", "3689"}, `rendezvous register: instance name "` + long + `": 64 bytes long; the limit is 63 bytes (RFC 6763 §4.1.1) (see 'rendezvous register -h')`},
		{[]string{"register", "x", "_daap._tcp", "0"}, `rendezvous register: port "0": must be a number 1–65535 (see 'rendezvous register -h')`},
		{[]string{"register", "x", "_daap._tcp", "65536"}, `rendezvous register: port "65536": must be a number 1–65535 (see 'rendezvous register -h')`},
		{[]string{"register", "x", "_daap._tcp", "1", "k=" + strings.Repeat("v", 300)}, `rendezvous register: TXT entry "k=` + strings.Repeat("v", 300) + `": is 302 bytes; the limit is 255 (RFC 6763 §6.1) (see 'rendezvous register -h')`},
		{[]string{"browse", "_http._tcp", "--interface", "nosuch0"}, "rendezvous browse: --interface nosuch0: no such network interface (see `ip link`) (see 'rendezvous browse -h')"},
		{[]string{"browse"}, "rendezvous browse: want TYPE [DOMAIN], got 0 argument(s) (see 'rendezvous browse -h')"},
		{[]string{"resolve", "x", "_http"}, `rendezvous resolve: service type "_http": needs a protocol: _tcp or _udp, as in _http._tcp (see 'rendezvous resolve -h')`},
		{[]string{"query", "x.local", "BOGUS"}, `rendezvous query: record type "BOGUS": unknown (try A, AAAA, PTR, SRV, TXT, ANY) (see 'rendezvous query -h')`},
		{[]string{"lookup"}, "rendezvous lookup: want HOST, got 0 argument(s) (see 'rendezvous lookup -h')"},
		{[]string{"types", "--backend", "bonjour"}, `rendezvous types: --backend "bonjour": must be auto, embedded, avahi or mdnsresponder (see 'rendezvous types -h')`},
		{[]string{"types", "--timeout", "-1s"}, "rendezvous types: --timeout -1s: must not be negative (see 'rendezvous types -h')"},
	} {
		code, _, stderr := run(tc.args...)
		if code != 2 || strings.TrimSpace(stderr) != tc.msg {
			t.Errorf("%q: exit %d, stderr %q\n want exit 2, %q", tc.args, code, stderr, tc.msg)
		}
	}
}

func TestFlagsMayFollowArguments(t *testing.T) {
	fs := newTestFlagSet()
	pos, err := parseArgs(fs.fs, []string{"a", "--json", "b", "--timeout", "2s"}, &bytes.Buffer{})
	if err != nil || len(pos) != 2 || pos[0] != "a" || pos[1] != "b" || !fs.cf.json || fs.cf.timeout.String() != "2s" {
		t.Fatalf("pos %q err %v flags %+v", pos, err, fs.cf)
	}
}
