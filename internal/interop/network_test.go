//go:build linux

package interop

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rendezvous-mdns/rendezvous/internal/netnstest"
)

// Two hosts with the same host name: the later registrant renames its host
// "name-2" (RFC 6762 §9), and its SRV points there.
func TestHostNameConflictRenamesTheHost(t *testing.T) {
	lan := netnstest.NewLAN(t, 3)
	startRegister(t, lan.Hosts[0], "First", "_daap._tcp", "3689")
	// Host 2 calls itself h1 too.
	second := lan.Hosts[1].Start("unshare", "--uts", "sh", "-c", `hostname h1 && RENDEZVOUS_DEBUG=1 exec "$0" "$@"`,
		binary, "register", "--json", "--interface", "eth0", "Second", "_daap._tcp", "3690")
	if !second.WaitFor(`"event":"registered"`, 10*time.Second) {
		t.Fatalf("second registrant:\n%s", second.Output())
	}
	r := lan.Hosts[2].Start(binary, "resolve", "--json", "--timeout", "5s", "--interface", "eth0", "Second", "_daap._tcp")
	if err := r.Wait(10 * time.Second); err != nil {
		t.Fatalf("resolve: %v\n%s", err, r.Output())
	}
	r1 := lan.Hosts[2].Start(binary, "resolve", "--json", "--timeout", "5s", "--interface", "eth0", "First", "_daap._tcp")
	if err := r1.Wait(10 * time.Second); err != nil {
		t.Fatalf("resolve: %v\n%s", err, r1.Output())
	}
	h1, h2 := hostOf(r1.Output()), hostOf(r.Output())
	if h1 == "" || h2 == "" || h1 == h2 || !strings.HasSuffix(strings.TrimSuffix(h2, ".local."), "-2") {
		t.Fatalf("host names %q and %q: want the second renamed name-2\nsecond:\n%s", h1, h2, second.Output())
	}
	if !strings.Contains(r.Output(), lan.Hosts[1].V4.String()) || strings.Contains(r.Output(), lan.Hosts[0].V4.String()) {
		t.Fatalf("the renamed host's addresses are wrong:\n%s", r.Output())
	}
}

func hostOf(out string) string {
	i := strings.Index(out, `"host":"`)
	if i < 0 {
		return ""
	}
	rest := out[i+8:]
	return rest[:strings.IndexByte(rest, '"')]
}

// python-zeroconf resolves the rendezvous host name.
func TestZeroconfResolvesOurHostName(t *testing.T) {
	requirePython(t)
	lan := netnstest.NewLAN(t, 2)
	reg := startRegister(t, lan.Hosts[0], "Named", "_daap._tcp", "3689")
	_ = reg
	r := lan.Hosts[1].Start(binary, "resolve", "--json", "--timeout", "5s", "--interface", "eth0", "Named", "_daap._tcp")
	if err := r.Wait(10 * time.Second); err != nil {
		t.Fatalf("resolve: %v\n%s", err, r.Output())
	}
	host := hostOf(r.Output())
	py := lan.Hosts[1].Start("/usr/bin/python3", "-c", `
import sys
from zeroconf import Zeroconf, IPVersion
from zeroconf._utils.net import IPVersion as _
from zeroconf import ServiceInfo
zc = Zeroconf(ip_version=IPVersion.V4Only)
from zeroconf._services.info import ServiceInfo as SI
info = SI("_daap._tcp.local.", "Named._daap._tcp.local.", server=sys.argv[1])
ok = info.load_from_cache(zc) or info.request(zc, 3000)
print("ADDRS", info.server, ",".join(info.parsed_addresses()), flush=True)
zc.close()
`, host)
	if err := py.Wait(10 * time.Second); err != nil {
		t.Fatalf("python: %v\n%s", err, py.Output())
	}
	if !strings.Contains(py.Output(), lan.Hosts[0].V4.String()) {
		t.Fatalf("python-zeroconf did not resolve %s:\n%s", host, py.Output())
	}
}

// Two rendezvous processes on one host share port 5353 next to
// avahi-daemon, and everything they register is seen from another host.
func TestTwoProcessesAndAvahiShareOneHost(t *testing.T) {
	netnstest.RequireAvahi(t)
	lan := netnstest.NewLAN(t, 2)
	avahi := lan.Hosts[0].StartAvahi("shared-host")
	pub := avahi.Client("avahi-publish", "-s", "Avahi Side", "_daap._tcp", "4000")
	if !pub.WaitFor("Established", 10*time.Second) {
		t.Fatalf("avahi-publish:\n%s", pub.Output())
	}
	startRegister(t, lan.Hosts[0], "Process One", "_daap._tcp", "4001")
	startRegister(t, lan.Hosts[0], "Process Two", "_daap._tcp", "4002")
	br := lan.Hosts[1].Start(binary, "browse", "--json", "--resolve", "--timeout", "6s", "--interface", "eth0", "_daap._tcp")
	if err := br.Wait(15 * time.Second); err != nil {
		t.Fatalf("browse: %v\n%s", err, br.Output())
	}
	got := map[string]int{}
	for _, b := range browseJSON(t, br.Output()) {
		if b.Event == "add" {
			got[b.Name] = b.Port
		}
	}
	if got["Avahi Side"] != 4000 || got["Process One"] != 4001 || got["Process Two"] != 4002 {
		t.Fatalf("seen from another host: %v\n%s", got, br.Output())
	}
	// And each process on the shared host browses and sees the others.
	local := lan.Hosts[0].Start(binary, "browse", "--json", "--timeout", "4s", "--interface", "eth0", "_daap._tcp")
	if err := local.Wait(10 * time.Second); err != nil {
		t.Fatalf("local browse: %v\n%s", err, local.Output())
	}
	for _, n := range []string{"Avahi Side", "Process One", "Process Two"} {
		if !strings.Contains(local.Output(), `"name":"`+n+`"`) {
			t.Errorf("a browse on the shared host misses %s:\n%s", n, local.Output())
		}
	}
}

// Interface changes: an address added while registered reaches peers; after
// the link goes down and up the service is announced again.
func TestInterfaceChangesReachPeers(t *testing.T) {
	lan := netnstest.NewLAN(t, 2)
	reg := startRegister(t, lan.Hosts[0], "Mobile", "_daap._tcp", "3689")
	extra := strings.TrimSuffix(lan.Hosts[0].V4.String(), ".1") + ".101"
	lan.Hosts[0].IP("addr", "add", extra+"/24", "dev", "eth0")
	// netmon sees the address, the host name is probed again there and
	// announced with both addresses; a peer's resolve shows them within a
	// few seconds.
	var out string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); {
		r := lan.Hosts[1].Start(binary, "resolve", "--json", "--timeout", "3s", "--interface", "eth0", "Mobile", "_daap._tcp")
		if err := r.Wait(10 * time.Second); err != nil {
			t.Fatalf("resolve: %v\n%s", err, r.Output())
		}
		out = r.Output()
		if strings.Contains(out, `"`+extra+`"`) {
			break
		}
	}
	if !strings.Contains(out, `"`+extra+`"`) {
		t.Fatalf("the added address %s did not reach the peer:\n%s\nregistrant:\n%s", extra, out, reg.Output())
	}

	// Watch for our announcements on the peer, then cycle the link.
	cap := lan.Hosts[1].Start("tshark", "-l", "-p", "-n", "-i", "eth0", "-f", "udp port 5353 and src host "+lan.Hosts[0].V4.String(),
		"-Y", "dns.flags.response == 1 && dns.srv.port == 3689", "-T", "fields", "-e", "frame.time_epoch")
	time.Sleep(time.Second)
	lan.Hosts[0].IP("link", "set", "eth0", "down")
	time.Sleep(time.Second)
	upAt := time.Now()
	lan.Hosts[0].IP("link", "set", "eth0", "up")
	deadline := time.Now().Add(8 * time.Second)
	announced := false
	for time.Now().Before(deadline) && !announced {
		time.Sleep(200 * time.Millisecond)
		for _, l := range strings.Fields(cap.Output()) {
			if strings.Count(l, ".") == 1 && l > "" {
				announced = true
			}
		}
	}
	cap.Signal(syscall.SIGTERM)
	if !announced {
		t.Fatalf("no announcement of the service within 8 s of link up (%v):\n%s\nregistrant:\n%s", upAt, cap.Output(), reg.Output())
	}
	if reg.Done() {
		t.Fatalf("rendezvous register exited on the link change:\n%s", reg.Output())
	}
}
