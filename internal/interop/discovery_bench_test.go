//go:build linux

package interop

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rendezvous-mdns/rendezvous/internal/netnstest"
)

// pyFirstResult browses and prints the seconds from its browse call to the
// first result, then exits.
const pyFirstResult = `
import sys, time, threading
from zeroconf import Zeroconf, ServiceBrowser, IPVersion
zc = Zeroconf(ip_version=IPVersion.V4Only)
done = threading.Event()
class L:
    def add_service(self, zc, t, name):
        if not done.is_set():
            print("FIRST %.6f" % (time.monotonic() - start), flush=True)
            done.set()
    def remove_service(self, *a): pass
    def update_service(self, *a): pass
start = time.monotonic()
ServiceBrowser(zc, sys.argv[1] + ".local.", L())
done.wait(10)
zc.close()
`

// pyWatch prints the wall-clock time at which each new instance appears.
const pyWatch = `
import time
from zeroconf import Zeroconf, ServiceBrowser, IPVersion
zc = Zeroconf(ip_version=IPVersion.V4Only)
class L:
    def add_service(self, zc, t, name):
        print("SEEN %.6f %s" % (time.time(), name), flush=True)
    def remove_service(self, *a): pass
    def update_service(self, *a): pass
ServiceBrowser(zc, "_daap._tcp.local.", L())
time.sleep(3600)
`

// pyRegisterTimed starts Zeroconf, prints "START <unix seconds>", registers
// an instance and stays until killed.
const pyRegisterTimed = `
import sys, time, socket
from zeroconf import Zeroconf, ServiceInfo, IPVersion
zc = Zeroconf(ip_version=IPVersion.V4Only)
info = ServiceInfo("_daap._tcp.local.", sys.argv[1] + "._daap._tcp.local.", port=4002,
    server="py-bench.local.", addresses=[socket.inet_aton(sys.argv[2])])
print("START %.6f" % time.time(), flush=True)
zc.register_service(info)
time.sleep(3600)
`

func stats(xs []time.Duration) (median, p95 time.Duration) {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2], s[min(len(s)-1, (len(s)*95+99)/100-1)]
}

func waitLine(p *netnstest.Proc, prefix string, from int, timeout time.Duration) (string, bool) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		lines := strings.Split(p.Output(), "\n")
		for _, l := range lines[min(from, len(lines)):] {
			if strings.HasPrefix(l, prefix) {
				return l, true
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	return "", false
}

// BenchmarkDiscovery measures, on a namespace LAN, the time to the first
// browse result for an announced service and the time from starting a
// registration until another host sees it, over 30 runs each, and reports
// medians and p95 in milliseconds:
//   - browse, like for like: rendezvous's Browse call in a process whose
//     responder is already up (the test binary as a helper) next to
//     python-zeroconf's ServiceBrowser call with Zeroconf() already up, each
//     against two responders: rendezvous and avahi-daemon;
//   - browse from the command line: `rendezvous browse` from process start,
//     and avahi-browse with a freshly started daemon;
//   - registration until a python-zeroconf watcher on another host sees it:
//     rendezvous's Register call and python-zeroconf's register_service call
//     (responders up), `rendezvous register` from process start, and
//     avahi-publish to a running daemon.
//
// Run:
//
//	go test -run '^$' -bench BenchmarkDiscovery -benchtime 1x ./internal/interop/
func BenchmarkDiscovery(b *testing.B) {
	netnstest.RequireAvahi(b)
	requirePython(b)
	const runs = 30
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		lan := netnstest.NewLAN(b, 4)
		target := lan.Hosts[0].Start(binary, "register", "--json", "--interface", "eth0", "Bench Target", "_daap._tcp", "3689")
		if _, ok := waitLine(target, `{"domain"`, 0, 10*time.Second); !ok {
			b.Fatalf("register: %s", target.Output())
		}
		avahiTarget := lan.Hosts[3].StartAvahi("bench-target")
		avahiPub := avahiTarget.Client("avahi-publish", "-s", "Avahi Target", "_avbench._tcp", "3690")
		if _, ok := waitLine(avahiPub, "Established", 0, 10*time.Second); !ok {
			b.Fatalf("avahi-publish: %s", avahiPub.Output())
		}
		time.Sleep(4 * time.Second) // announcements over

		// first runs a browser on host 2 that prints "FIRST <seconds>".
		first := func(label, name string, args ...string) time.Duration {
			p := lan.Hosts[1].Start(name, args...)
			l, ok := waitLine(p, "FIRST ", 0, 15*time.Second)
			if !ok {
				b.Fatalf("%s: %s", label, p.Output())
			}
			f, _ := strconv.ParseFloat(strings.TrimPrefix(l, "FIRST "), 64)
			p.Wait(5 * time.Second)
			return time.Duration(f * float64(time.Second))
		}
		inproc := map[string][]time.Duration{}
		var ours []time.Duration
		for i := 0; i < runs; i++ {
			for _, typ := range []string{"_daap._tcp", "_avbench._tcp"} {
				inproc["rendezvous"+typ] = append(inproc["rendezvous"+typ],
					first("rendezvous Browse", "env", envHelper+"=browse-first:"+typ, self))
				inproc["zeroconf"+typ] = append(inproc["zeroconf"+typ],
					first("python-zeroconf", "/usr/bin/python3", "-c", pyFirstResult, typ))
			}

			start := time.Now()
			p := lan.Hosts[1].Start(binary, "browse", "--json", "--interface", "eth0", "_daap._tcp")
			if _, ok := waitLine(p, `{"domain"`, 0, 5*time.Second); !ok {
				b.Fatalf("rendezvous browse: %s", p.Output())
			}
			ours = append(ours, time.Since(start))
			p.Signal(syscall.SIGKILL)
			p.Wait(time.Second)
			time.Sleep(1500 * time.Millisecond) // responders' 1 s rate limits
		}
		var avahi, regOurs, regAvahi []time.Duration
		for i := 0; i < runs/2; i++ { // a fresh avahi-daemon each time: ~2 s to start
			a := lan.Hosts[2].StartAvahi(fmt.Sprintf("bench-%d", i))
			start := time.Now()
			br := a.Client("avahi-browse", "-pk", "_daap._tcp")
			if _, ok := waitLine(br, "+;", 0, 5*time.Second); !ok {
				b.Fatalf("avahi-browse: %s", br.Output())
			}
			avahi = append(avahi, time.Since(start))
			br.Signal(syscall.SIGKILL)
			a.Proc.Signal(syscall.SIGKILL)
			a.Proc.Wait(5 * time.Second)
		}

		watch := lan.Hosts[1].Start("/usr/bin/python3", "-c", pyWatch)
		time.Sleep(2 * time.Second)
		seenAt := func(name string, from int) time.Time {
			l, ok := waitLine(watch, "SEEN ", from, 10*time.Second)
			for ok && !strings.Contains(l, name) {
				from++
				l, ok = waitLine(watch, "SEEN ", from, 10*time.Second)
			}
			if !ok {
				b.Fatalf("watcher did not see %s: %s", name, watch.Output())
			}
			f, _ := strconv.ParseFloat(strings.Fields(l)[1], 64)
			return time.Unix(0, int64(f*1e9))
		}
		startedAt := func(p *netnstest.Proc) time.Time {
			l, ok := waitLine(p, "START ", 0, 10*time.Second)
			if !ok {
				b.Fatalf("no START line: %s", p.Output())
			}
			f, _ := strconv.ParseFloat(strings.TrimPrefix(l, "START "), 64)
			return time.Unix(0, int64(f*1e9))
		}
		var regCall, regPy []time.Duration
		avahiHost := lan.Hosts[2].StartAvahi("bench-pub")
		for i := 0; i < runs; i++ {
			n := len(strings.Split(watch.Output(), "\n")) - 1
			name := fmt.Sprintf("Ours %d", i)
			start := time.Now()
			r := lan.Hosts[0].Start(binary, "register", "--interface", "eth0", name, "_daap._tcp", "4000")
			regOurs = append(regOurs, seenAt(name, n).Sub(start))
			r.Signal(syscall.SIGKILL)

			// Registration from the call, the responder already up: our
			// Register, python-zeroconf's register_service.
			n = len(strings.Split(watch.Output(), "\n")) - 1
			name = fmt.Sprintf("Call %d", i)
			h := lan.Hosts[0].Start("env", envHelper+"=register:"+name, self)
			regCall = append(regCall, seenAt(name, n).Sub(startedAt(h)))
			h.Signal(syscall.SIGKILL)

			n = len(strings.Split(watch.Output(), "\n")) - 1
			name = fmt.Sprintf("Py %d", i)
			q := lan.Hosts[0].Start("/usr/bin/python3", "-c", pyRegisterTimed, name, lan.Hosts[0].V4.String())
			regPy = append(regPy, seenAt(name, n).Sub(startedAt(q)))
			q.Signal(syscall.SIGKILL)

			n = len(strings.Split(watch.Output(), "\n")) - 1
			name = fmt.Sprintf("Avahi %d", i)
			start = time.Now()
			pub := avahiHost.Client("avahi-publish", "-s", name, "_daap._tcp", "4001")
			regAvahi = append(regAvahi, seenAt(name, n).Sub(start))
			pub.Signal(syscall.SIGKILL)
			time.Sleep(1500 * time.Millisecond)
		}
		report := func(label string, xs []time.Duration) {
			m, p := stats(xs)
			b.ReportMetric(float64(m.Microseconds())/1000, label+"-median-ms")
			b.ReportMetric(float64(p.Microseconds())/1000, label+"-p95-ms")
		}
		report("browse-call-rendezvous-vs-rendezvous", inproc["rendezvous_daap._tcp"])
		report("browse-call-zeroconf-vs-rendezvous", inproc["zeroconf_daap._tcp"])
		report("browse-call-rendezvous-vs-avahi", inproc["rendezvous_avbench._tcp"])
		report("browse-call-zeroconf-vs-avahi", inproc["zeroconf_avbench._tcp"])
		report("browse-cli-rendezvous", ours)
		report("browse-cli-avahi-fresh", avahi)
		report("register-cli-rendezvous", regOurs)
		report("register-call-rendezvous", regCall)
		report("register-call-zeroconf", regPy)
		report("register-avahi", regAvahi)
		for _, typ := range []string{"_daap._tcp", "_avbench._tcp"} {
			mo, _ := stats(inproc["rendezvous"+typ])
			mp, _ := stats(inproc["zeroconf"+typ])
			responder := map[string]string{"_daap._tcp": "rendezvous", "_avbench._tcp": "avahi"}[typ]
			b.ReportMetric(float64(mo)/float64(mp), "browse-ratio-to-zeroconf-vs-"+responder)
		}
	}
}
