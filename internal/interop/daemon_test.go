//go:build linux

package interop

import (
	"context"
	"net/netip"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rendezvous-mdns/rendezvous/dnssd"
	"github.com/rendezvous-mdns/rendezvous/dnssd/dnssdtest"
	"github.com/rendezvous-mdns/rendezvous/internal/netnstest"
)

// startDaemon runs `rendezvous daemon` on h with its socket in dir and
// returns the socket's path once it serves.
func startDaemon(t *testing.T, h *netnstest.Host, dir string) (string, *netnstest.Proc) {
	t.Helper()
	sock := filepath.Join(dir, h.Name+".sock")
	d := h.Start(binary, "daemon", "--json", "--interface", "eth0", "--socket", sock)
	if !d.WaitFor(`"event":"ready"`, 10*time.Second) {
		t.Fatalf("rendezvous daemon on %s did not start:\n%s", h.Name, d.Output())
	}
	return sock, d
}

// The backend conformance suite through the mdnsresponder backend against
// `rendezvous daemon` on two namespace hosts.
func TestDaemonBackendSuite(t *testing.T) {
	dnssdtest.Run(t, func(t *testing.T, f func(t *testing.T, env dnssdtest.Env)) {
		lan := netnstest.NewLAN(t, 2)
		dir := t.TempDir()
		var bs [2]dnssd.Backend
		for i := range bs {
			sock, _ := startDaemon(t, lan.Hosts[i], dir)
			b, err := dnssd.NewMDNSResponder(context.Background(), dnssd.MDNSResponderConfig{Path: sock})
			if err != nil {
				t.Fatal(err)
			}
			bs[i] = b
		}
		f(t, dnssdtest.Env{A: bs[0], B: bs[1], AHost: "h1.local.", AAddrs: []netip.Addr{lan.Hosts[0].V4, lan.Hosts[0].V6}})
	})
}

// `rendezvous daemon` shared by three processes on one host: two register
// through it, a third browses through it; kill -9 of a registering client
// withdraws its service, and a peer on another host sees it go within 2 s.
func TestDaemonSharedByProcessesWithdrawsAKilledClient(t *testing.T) {
	requirePython(t)
	lan := netnstest.NewLAN(t, 2)
	sock, daemon := startDaemon(t, lan.Hosts[0], t.TempDir())
	env := "DNSSD_UDS_PATH=" + sock
	client := func(args ...string) *netnstest.Proc {
		return lan.Hosts[0].Start("env", append([]string{env, binary}, args...)...)
	}
	one := client("register", "-v", "--json", "Client One", "_daap._tcp", "3689")
	two := client("register", "--json", "Client Two", "_daap._tcp", "3690")
	for _, p := range []*netnstest.Proc{one, two} {
		if !p.WaitFor(`"event":"registered"`, 10*time.Second) {
			t.Fatalf("register through the daemon:\n%s\ndaemon:\n%s", p.Output(), daemon.Output())
		}
	}
	if !strings.Contains(one.Output(), "using the mDNSResponder-protocol daemon at "+sock) {
		t.Fatalf("register (auto) did not use the daemon:\n%s", one.Output())
	}
	browser := client("browse", "--json", "_daap._tcp")
	for _, name := range []string{"Client One", "Client Two"} {
		if !browser.WaitFor(`"name":"`+name+`"`, 10*time.Second) {
			t.Fatalf("browse through the daemon did not see %s:\n%s", name, browser.Output())
		}
	}
	peer := lan.Hosts[1].Start("/usr/bin/python3", "-c", pyBrowse, "Client", "20")
	for _, name := range []string{"Client One", "Client Two"} {
		if !peer.WaitFor("RESOLVED "+name, 10*time.Second) {
			t.Fatalf("the peer did not resolve %s:\n%s", name, peer.Output())
		}
	}

	killed := time.Now()
	two.Signal(syscall.SIGKILL)
	if !peer.WaitFor("REMOVED Client Two", 5*time.Second) {
		t.Fatalf("the peer did not see the killed client's service go:\n%s\ndaemon:\n%s", peer.Output(), daemon.Output())
	}
	if d := time.Since(killed); d > 2*time.Second {
		t.Fatalf("the service went %v after kill -9, want within 2 s", d)
	}
	if !browser.WaitFor(`"event":"remove","interface":"eth0","name":"Client Two"`, 3*time.Second) {
		t.Fatalf("the browsing client did not see the removal:\n%s", browser.Output())
	}
	if strings.Contains(peer.Output(), "REMOVED Client One") {
		t.Fatalf("the other client's service went too:\n%s", peer.Output())
	}
}
