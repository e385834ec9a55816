//go:build linux

package interop

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rendezvous-mdns/rendezvous/internal/netnstest"
)

// With avahi-daemon on a host, `rendezvous register` (--backend auto)
// registers through it: no second responder binds port 5353, avahi-browse
// on that host shows the service as local, and peers elsewhere see it.
func TestRegisterThroughAvahiWhenItRuns(t *testing.T) {
	netnstest.RequireAvahi(t)
	requirePython(t)
	lan := netnstest.NewLAN(t, 2)
	av := lan.Hosts[0].StartAvahi("avahi-host")
	reg := av.Client(binary, "register", "-v", "--json", "Through Avahi", "_daap._tcp", "3689", "via=avahi")
	if !reg.WaitFor(`"event":"registered"`, 15*time.Second) {
		t.Fatalf("rendezvous register did not register:\n%s", reg.Output())
	}
	if !strings.Contains(reg.Output(), "using the system's avahi-daemon responder") {
		t.Fatalf("register did not say it uses avahi-daemon:\n%s", reg.Output())
	}

	// Only avahi-daemon holds UDP 5353 on that host.
	out, err := lan.Hosts[0].Command(t.Context(), "ss", "-H", "-u", "-a", "-n", "-p", "sport", "=", ":5353").CombinedOutput()
	if err != nil {
		t.Fatalf("ss: %v\n%s", err, out)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" && !strings.Contains(l, `"avahi-daemon"`) {
			t.Fatalf("something other than avahi-daemon binds 5353:\n%s", out)
		}
	}

	// avahi-browse on the same host: listed, and gone with --ignore-local.
	all := av.Client("avahi-browse", "-p", "-t", "_daap._tcp")
	all.Wait(10 * time.Second)
	const escaped = `Through\032Avahi` // avahi-browse -p escapes the space
	if !strings.Contains(all.Output(), escaped) {
		t.Fatalf("avahi-browse on the host does not list it:\n%s", all.Output())
	}
	remote := av.Client("avahi-browse", "-p", "-t", "--ignore-local", "_daap._tcp")
	remote.Wait(10 * time.Second)
	if strings.Contains(remote.Output(), escaped) {
		t.Fatalf("avahi-browse --ignore-local lists it, so it is not Avahi's own:\n%s", remote.Output())
	}

	// A peer on another host resolves it.
	py := lan.Hosts[1].Start("/usr/bin/python3", "-c", pyBrowse, "Through Avahi", "8")
	if !py.WaitFor("RESOLVED Through Avahi", 10*time.Second) {
		t.Fatalf("python-zeroconf on another host did not resolve it:\n%s", py.Output())
	}
	if !strings.Contains(py.Output(), "avahi-host.local. 3689") || !strings.Contains(py.Output(), "('via', 'avahi')") {
		t.Fatalf("python-zeroconf resolved it wrongly:\n%s", py.Output())
	}

	// SIGTERM: the registration is withdrawn through Avahi.
	reg.Signal(syscall.SIGTERM)
	if err := reg.Wait(10 * time.Second); err != nil {
		t.Fatalf("register did not exit cleanly: %v\n%s", err, reg.Output())
	}
	if !py.WaitFor("REMOVED Through Avahi", 5*time.Second) {
		t.Fatalf("the peer did not see the goodbye:\n%s", py.Output())
	}
}
