//go:build linux

package interop

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rendezvous-mdns/rendezvous/internal/netnstest"
)

var binary string // the rendezvous command, built once

func TestMain(m *testing.M) {
	if h := os.Getenv(envHelper); h != "" {
		name, arg, _ := strings.Cut(h, ":")
		os.Exit(runHelper(name, arg))
	}
	dir, err := os.MkdirTemp("", "rzv-interop")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "rendezvous")
	out, err := exec.Command("go", "build", "-o", binary, "../../cmd/rendezvous").CombinedOutput()
	if err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const pyBrowse = `
import sys, time
from zeroconf import Zeroconf, ServiceBrowser, ServiceInfo, IPVersion
want = sys.argv[1]
zc = Zeroconf(ip_version=IPVersion.V4Only)
class L:
    def add_service(self, zc, t, name):
        if name.startswith(want):
            info = zc.get_service_info(t, name, timeout=3000)
            if info:
                txt = {k.decode(): (v.decode() if v is not None else None) for k, v in info.properties.items()}
                print("RESOLVED", name, info.server, info.port, ",".join(info.parsed_addresses()), sorted(txt.items()), flush=True)
    def remove_service(self, zc, t, name):
        if name.startswith(want):
            print("REMOVED", name, flush=True)
    def update_service(self, zc, t, name):
        pass
ServiceBrowser(zc, "_daap._tcp.local.", L())
time.sleep(float(sys.argv[2]))
zc.close()
`

const pyRegister = `
import sys, time, socket
from zeroconf import Zeroconf, ServiceInfo, IPVersion
zc = Zeroconf(ip_version=IPVersion.V4Only)
info = ServiceInfo("_daap._tcp.local.", "Py Library._daap._tcp.local.", port=3690,
    properties={"txtvers": "1", "Machine Name": "Python"}, server="py-host.local.",
    addresses=[socket.inet_aton(sys.argv[1])])
zc.register_service(info)
print("REGISTERED", flush=True)
time.sleep(float(sys.argv[2]))
zc.unregister_service(info)
zc.close()
`

func requirePython(t testing.TB) {
	if err := exec.Command("/usr/bin/python3", "-c", "import zeroconf").Run(); err != nil {
		t.Skip("python3-zeroconf is not installed (the README's test command installs it)")
	}
}

func startRegister(t *testing.T, h *netnstest.Host, args ...string) *netnstest.Proc {
	t.Helper()
	p := h.Start(binary, append([]string{"register", "--json", "--interface", "eth0"}, args...)...)
	if !p.WaitFor(`"event":"registered"`, 10*time.Second) {
		t.Fatalf("rendezvous register did not register:\n%s", p.Output())
	}
	return p
}

// rendezvous registers → Avahi and python-zeroconf on other hosts resolve it
// with the right port, addresses and TXT; SIGTERM → both see it go within
// 2 s.
func TestRendezvousRegisterSeenByAvahiAndZeroconf(t *testing.T) {
	netnstest.RequireAvahi(t)
	requirePython(t)
	lan := netnstest.NewLAN(t, 3)
	avahi := lan.Hosts[1].StartAvahi("lab-b")
	reg := startRegister(t, lan.Hosts[0], "DAAP Server", "_daap._tcp", "3689", "txtvers=1", "Machine Name=Den")

	ab := avahi.Client("avahi-browse", "-rpkt", "_daap._tcp")
	if err := ab.Wait(15 * time.Second); err != nil {
		t.Fatalf("avahi-browse: %v\n%s", err, ab.Output())
	}
	want := `=;eth0;IPv4;DAAP\032Server;_daap._tcp;local;`
	line := ""
	for _, l := range strings.Split(ab.Output(), "\n") {
		if strings.HasPrefix(l, want) {
			line = l
		}
	}
	if line == "" || !strings.Contains(line, ";"+lan.Hosts[0].V4.String()+";3689;") || !strings.Contains(line, `"Machine Name=Den"`) || !strings.Contains(line, `"txtvers=1"`) {
		t.Fatalf("avahi-browse did not resolve our service right:\n%s", ab.Output())
	}

	py := lan.Hosts[2].Start("/usr/bin/python3", "-c", pyBrowse, "DAAP Server", "12")
	if !py.WaitFor("RESOLVED", 8*time.Second) {
		t.Fatalf("python-zeroconf did not resolve:\n%s", py.Output())
	}
	if out := py.Output(); !strings.Contains(out, " 3689 ") || !strings.Contains(out, lan.Hosts[0].V4.String()) || !strings.Contains(out, "('Machine Name', 'Den')") {
		t.Fatalf("python-zeroconf resolved wrongly:\n%s", out)
	}

	// Live avahi-browse for the goodbye.
	live := avahi.Client("avahi-browse", "-pk", "_daap._tcp")
	if !live.WaitFor("+;eth0;IPv4;DAAP", 5*time.Second) {
		t.Fatalf("live avahi-browse:\n%s", live.Output())
	}
	stopped := time.Now()
	reg.Signal(syscall.SIGTERM)
	if err := reg.Wait(5 * time.Second); err != nil {
		t.Fatalf("rendezvous register after SIGTERM: %v\n%s", err, reg.Output())
	}
	if !live.WaitFor("-;eth0;IPv4;DAAP", 2*time.Second) {
		t.Fatalf("Avahi did not see the goodbye within 2 s:\n%s", live.Output())
	}
	if !py.WaitFor("REMOVED", 2*time.Second-time.Since(stopped)+100*time.Millisecond) {
		t.Fatalf("python-zeroconf did not see the goodbye within 2 s:\n%s", py.Output())
	}
}

type browseLine struct {
	Event, Name, Type, Domain, Interface, Host string
	Port                                       int
	Addrs                                      []string
	TXT                                        map[string]string
}

func browseJSON(t *testing.T, out string) []browseLine {
	var lines []browseLine
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var b browseLine
		if err := json.Unmarshal([]byte(l), &b); err != nil {
			t.Fatalf("not JSON: %q", l)
		}
		lines = append(lines, b)
	}
	return lines
}

// Avahi and python-zeroconf register → rendezvous browse --resolve sees them
// with the right fields.
func TestPeersSeenByRendezvousBrowse(t *testing.T) {
	netnstest.RequireAvahi(t)
	requirePython(t)
	lan := netnstest.NewLAN(t, 3)
	avahi := lan.Hosts[1].StartAvahi("lab-b")
	pub := avahi.Client("avahi-publish", "-s", "Avahi Library", "_daap._tcp", "3691", "txtvers=1", "Machine Name=Avahi")
	if !pub.WaitFor("Established", 10*time.Second) {
		t.Fatalf("avahi-publish:\n%s", pub.Output())
	}
	py := lan.Hosts[2].Start("/usr/bin/python3", "-c", pyRegister, lan.Hosts[2].V4.String(), "30")
	if !py.WaitFor("REGISTERED", 10*time.Second) {
		t.Fatalf("python-zeroconf:\n%s", py.Output())
	}
	br := lan.Hosts[0].Start(binary, "browse", "--resolve", "--json", "--timeout", "6s", "--interface", "eth0", "_daap._tcp")
	if err := br.Wait(15 * time.Second); err != nil {
		t.Fatalf("rendezvous browse: %v\n%s", err, br.Output())
	}
	got := map[string]browseLine{}
	for _, b := range browseJSON(t, br.Output()) {
		if b.Event == "add" {
			got[b.Name] = b
		}
	}
	a := got["Avahi Library"]
	if a.Port != 3691 || a.Host != "lab-b.local." || a.TXT["Machine Name"] != "Avahi" || !contains(a.Addrs, lan.Hosts[1].V4.String()) {
		t.Errorf("Avahi's service: %+v\n%s", a, br.Output())
	}
	p := got["Py Library"]
	if p.Port != 3690 || p.Host != "py-host.local." || p.TXT["Machine Name"] != "Python" || !contains(p.Addrs, lan.Hosts[2].V4.String()) {
		t.Errorf("python-zeroconf's service: %+v\n%s", p, br.Output())
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// A second host registering a name that is taken ends up with "Name (2)",
// whether the first holder is rendezvous or Avahi.
func TestConflictRenamesTheLaterRegistration(t *testing.T) {
	netnstest.RequireAvahi(t)
	lan := netnstest.NewLAN(t, 3)
	first := startRegister(t, lan.Hosts[0], "DAAP Server", "_daap._tcp", "3689")
	second := startRegister(t, lan.Hosts[1], "DAAP Server", "_daap._tcp", "3689")
	if !strings.Contains(second.Output(), `"name":"DAAP Server (2)"`) {
		t.Fatalf("second rendezvous registration:\n%s", second.Output())
	}
	_ = first

	avahi := lan.Hosts[2].StartAvahi("lab-c")
	pub := avahi.Client("avahi-publish", "-s", "Shared Library", "_daap._tcp", "3692")
	if !pub.WaitFor("Established", 10*time.Second) {
		t.Fatalf("avahi-publish:\n%s", pub.Output())
	}
	third := startRegister(t, lan.Hosts[0], "Shared Library", "_daap._tcp", "3693")
	if !strings.Contains(third.Output(), `"name":"Shared Library (2)"`) {
		t.Fatalf("registration after Avahi's:\n%s", third.Output())
	}
	// Avahi's browser sees both.
	ab := avahi.Client("avahi-browse", "-pkt", "_daap._tcp")
	if err := ab.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{`Shared\032Library;`, `Shared\032Library\032\0402\041;`, `DAAP\032Server;`, `DAAP\032Server\032\0402\041;`} {
		if !strings.Contains(ab.Output(), n) {
			t.Errorf("avahi-browse lacks %s:\n%s", n, ab.Output())
		}
	}
}

// rendezvous lookup finds an Avahi host's addresses.
func TestLookupAvahiHost(t *testing.T) {
	netnstest.RequireAvahi(t)
	lan := netnstest.NewLAN(t, 2)
	lan.Hosts[1].StartAvahi("lab-host")
	lk := lan.Hosts[0].Start(binary, "lookup", "--json", "--timeout", "5s", "--interface", "eth0", "lab-host.local")
	if err := lk.Wait(10 * time.Second); err != nil {
		t.Fatalf("lookup: %v\n%s", err, lk.Output())
	}
	if !strings.Contains(lk.Output(), `"host":"lab-host.local."`) || !strings.Contains(lk.Output(), lan.Hosts[1].V4.String()) {
		t.Fatalf("lookup output:\n%s", lk.Output())
	}
}
