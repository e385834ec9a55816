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
