package interop

import (
	"fmt"
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
ServiceBrowser(zc, "_daap._tcp.local.", L())
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
// browse result for an announced service (rendezvous from process start,
// python-zeroconf from its browse call, avahi-browse with a freshly started
// daemon) and the time from starting a registration until another host sees
// it (rendezvous register vs avahi-publish), over 20 runs each; it reports
// medians and p95 in milliseconds. Run:
//
//	go test -run '^$' -bench BenchmarkDiscovery -benchtime 1x ./internal/interop/
func BenchmarkDiscovery(b *testing.B) {
	netnstest.RequireAvahi(b)
	requirePython(b)
	const runs = 20
	for b.Loop() {
		lan := netnstest.NewLAN(b, 3)
		target := lan.Hosts[0].Start(binary, "register", "--json", "--interface", "eth0", "Bench Target", "_daap._tcp", "3689")
		if _, ok := waitLine(target, `{"domain"`, 0, 10*time.Second); !ok {
			b.Fatalf("register: %s", target.Output())
		}
		time.Sleep(4 * time.Second) // announcements over

		var ours, py, avahi, regOurs, regAvahi []time.Duration
		for i := 0; i < runs; i++ {
			start := time.Now()
			p := lan.Hosts[1].Start(binary, "browse", "--json", "--interface", "eth0", "_daap._tcp")
			if _, ok := waitLine(p, `{"domain"`, 0, 5*time.Second); !ok {
				b.Fatalf("rendezvous browse: %s", p.Output())
			}
			ours = append(ours, time.Since(start))
			p.Signal(syscall.SIGKILL)
			p.Wait(time.Second)

			q := lan.Hosts[1].Start("/usr/bin/python3", "-c", pyFirstResult)
			l, ok := waitLine(q, "FIRST ", 0, 15*time.Second)
			if !ok {
				b.Fatalf("python-zeroconf: %s", q.Output())
			}
			f, _ := strconv.ParseFloat(strings.TrimPrefix(l, "FIRST "), 64)
			py = append(py, time.Duration(f*float64(time.Second)))
			q.Wait(5 * time.Second)
			time.Sleep(1500 * time.Millisecond) // peers' 1 s rate limits
		}
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
		avahiHost := lan.Hosts[2].StartAvahi("bench-pub")
		for i := 0; i < runs; i++ {
			n := len(strings.Split(watch.Output(), "\n")) - 1
			name := fmt.Sprintf("Ours %d", i)
			start := time.Now()
			r := lan.Hosts[0].Start(binary, "register", "--interface", "eth0", name, "_daap._tcp", "4000")
			regOurs = append(regOurs, seenAt(name, n).Sub(start))
			r.Signal(syscall.SIGKILL)

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
		report("browse-rendezvous", ours)
		report("browse-zeroconf", py)
		report("browse-avahi-fresh", avahi)
		report("register-rendezvous", regOurs)
		report("register-avahi", regAvahi)
		mo, _ := stats(ours)
		mp, _ := stats(py)
		b.ReportMetric(float64(mo)/float64(mp), "browse-ratio-to-zeroconf")
	}
}
