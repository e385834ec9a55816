//go:build linux

package interop

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rendezvous-mdns/rendezvous/internal/netnstest"
)

// Hostile packets from another host against a live `rendezvous register`:
// after each, the responder is still running and answers a normal
// resolve; nothing but the spoofed conflict makes it probe again; a
// unicast query from an off-link source gets no reply (RFC 6762 §11),
// which a capture on the sender's link proves, next to an on-link query
// that does get one.
func TestHostilePacketsLeaveTheResponderWorking(t *testing.T) {
	netnstest.Require(t)
	if _, err := os.Stat("/usr/bin/tshark"); err != nil {
		t.Skip("tshark is not installed (the README's test command installs it)")
	}
	lan := netnstest.NewLAN(t, 2)
	target, attacker := lan.Hosts[0], lan.Hosts[1]
	// The attacker's off-link address: the target has a route to its
	// subnet but no address in it.
	attacker.IP("addr", "add", offLinkSrc+"/24", "dev", "eth0")
	target.IP("route", "add", "10.250.0.0/24", "dev", "eth0")

	// Everything the target sends, seen from the attacker's link.
	capture := attacker.Start("tshark", "-l", "-p", "-n", "-i", "eth0", "-f", "udp and src host "+target.V4.String(),
		"-T", "fields", "-E", "separator=,", "-e", "frame.time_epoch", "-e", "ip.dst", "-e", "udp.dstport",
		"-e", "dns.flags.response", "-e", "dns.count.auth_rr")
	if !capture.WaitFor("Capturing on", 10*time.Second) {
		t.Fatalf("tshark did not start:\n%s", capture.Output())
	}
	// RENDEZVOUS_DEBUG=1: the responder logs what it drops, which shows
	// the packets arrived.
	reg := target.Start("env", "RENDEZVOUS_DEBUG=1", binary, "register", "--json", "--interface", "eth0", "Target", "_daap._tcp", "3689")
	if !reg.WaitFor(`"event":"registered"`, 10*time.Second) {
		t.Fatalf("rendezvous register did not register:\n%s", reg.Output())
	}
	time.Sleep(4 * time.Second) // announcements over
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}

	send := func(c string) {
		t.Helper()
		p := attacker.Start("env", envHelper+"=hostile:"+c+":Target:"+target.V4.String(), self)
		if err := p.Wait(10 * time.Second); err != nil || !strings.Contains(p.Output(), "SENT "+c) {
			t.Fatalf("sending %s: %v\n%s", c, err, p.Output())
		}
	}
	answers := func(after string) {
		t.Helper()
		r := attacker.Start(binary, "resolve", "--json", "--timeout", "3s", "--interface", "eth0", "Target", "_daap._tcp")
		if err := r.Wait(10 * time.Second); err != nil || !strings.Contains(r.Output(), `"port":3689`) {
			t.Fatalf("after %s the responder did not answer a resolve: %v\n%s\nresponder:\n%s", after, err, r.Output(), reg.Output())
		}
		if reg.Done() {
			t.Fatalf("the responder exited after %s:\n%s", after, reg.Output())
		}
	}
	// sentSince returns the captured packets (time, dst, dst port,
	// response flag, authority count) the target sent after t0.
	sentSince := func(t0 time.Time) [][]string {
		var out [][]string
		for _, l := range strings.Split(capture.Output(), "\n") {
			f := strings.Split(l, ",")
			if len(f) != 5 {
				continue
			}
			if ts, err := strconv.ParseFloat(f[0], 64); err == nil && ts >= float64(t0.UnixNano())/1e9 {
				out = append(out, f)
			}
		}
		return out
	}
	// probesSince counts the target's probes (queries with an Authority
	// section, RFC 6762 §8.1) sent after t0.
	probesSince := func(t0 time.Time) int {
		n := 0
		for _, f := range sentSince(t0) {
			if f[3] == "0" && f[4] != "" && f[4] != "0" {
				n++
			}
		}
		return n
	}

	start := time.Now()
	for _, hc := range hostileCases() {
		send(hc.name)
		answers(hc.name)
		time.Sleep(1100 * time.Millisecond) // past the per-record rate limit
	}
	if n := probesSince(start); n != 0 {
		t.Fatalf("%d probes after packets that are not conflicts:\n%s", n, capture.Output())
	}
	if strings.Contains(reg.Output(), "renamed") {
		t.Fatalf("renamed by a packet that is not a conflict:\n%s", reg.Output())
	}
	// The packets arrived and were dropped for the right reasons.
	for want, n := range map[string]int{
		"dropped malformed packet": 8, "skipped records that do not parse": 2,
		"dropped packet with IP TTL other than 255": 1, "dropped response not from port 5353": 1,
	} {
		if got := strings.Count(reg.Output(), want); got < n {
			t.Fatalf("the responder logged %q %d times, want ≥ %d:\n%s", want, got, n, reg.Output())
		}
	}

	// Off-link unicast query: no reply. The same query from the on-link
	// address: a reply (so the capture would have seen one).
	t0 := time.Now()
	send("off-link-unicast")
	send("on-link-unicast")
	time.Sleep(2 * time.Second)
	var toOffLink, toOnLink int
	for _, f := range sentSince(t0) {
		switch {
		case f[1] == offLinkSrc:
			toOffLink++
		case f[1] == attacker.V4.String() && f[2] == "40001":
			toOnLink++
		}
	}
	if toOffLink != 0 || toOnLink == 0 {
		t.Fatalf("replies: %d to the off-link source (want 0), %d to the on-link one (want ≥ 1):\n%s", toOffLink, toOnLink, capture.Output())
	}
	answers("off-link-unicast")
	if !strings.Contains(reg.Output(), "dropped packet from off-link source") {
		t.Fatalf("the responder did not log the off-link query as dropped:\n%s", reg.Output())
	}

	// A spoofed conflicting record for our name: the responder probes
	// again (RFC 6762 §9); nobody defends the name, so it keeps it.
	t1 := time.Now()
	send("spoofed-conflict")
	time.Sleep(3 * time.Second)
	if n := probesSince(t1); n < 3 {
		t.Fatalf("%d probes after a conflicting record, want the name probed again (3):\n%s", n, capture.Output())
	}
	answers("spoofed-conflict")
	capture.Signal(syscall.SIGTERM)
}
