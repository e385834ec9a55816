package sim

import (
	"flag"
	"strings"
	"testing"
	"time"
)

var replaySeed = flag.Uint64("seed", 0, "run only this seed (replays a failure)")

// seeds returns the seeds to run: the -seed flag's alone, or 1…n.
func seeds(n int) []uint64 {
	if *replaySeed != 0 {
		return []uint64{*replaySeed}
	}
	if testing.Short() {
		n = min(n, 5)
	}
	out := make([]uint64, n)
	for i := range out {
		out[i] = uint64(i + 1)
	}
	return out
}

func report(t *testing.T, r *Result) {
	t.Helper()
	for _, v := range r.Violations {
		t.Error(v)
	}
	if r.Failed() && len(r.Trace) > 0 {
		t.Logf("trace (last 40 lines):\n%s", strings.Join(r.Trace[max(0, len(r.Trace)-40):], "\n"))
	}
}

// The acceptance run of the engine issue: 20 hosts on a LAN losing 10 % of
// packets, each registering services (every fourth one also "Shared Name")
// and browsing all of them. Every name ends unique (RFC 6762 §8, §9), every
// browser converges to the true set within DefaultSettle of the last change
// and nearly all within FastWindow of a service's start (§5.2, §8.3), and
// withdrawn services leave every browser — mostly within
// GoodbyeWindow thanks to goodbyes (§10.1), all by their TTL.
func TestSim20Hosts10PercentLoss50Seeds(t *testing.T) {
	var pairs, quick, fast, all int
	for _, seed := range seeds(50) {
		r := Run(Standard(20, 2, 0.10, seed), seed)
		report(t, r)
		pairs += r.WithdrawPairs
		quick += r.RemovedWithin
		fast += r.FastPairs
		all += r.Pairs
		shared := 0
		for _, n := range r.FinalNames {
			if strings.HasPrefix(n, "Shared Name") {
				shared++
			}
		}
		if shared != 5 {
			t.Errorf("seed %d: %d Shared Name registrations established, want 5", seed, shared)
		}
	}
	// Both goodbyes are lost for a browser about 1 % of the time (two 10 %
	// losses); then the record lives until its TTL.
	if pairs == 0 || float64(quick)/float64(pairs) < 0.95 {
		t.Errorf("only %d of %d withdrawals reached browsers within %v", quick, pairs, GoodbyeWindow)
	}
	t.Logf("%d of %d withdrawals seen within %v", quick, pairs, GoodbyeWindow)
	// Discovery: a browser misses all three announcements about once in a
	// thousand; nearly all pairs must be fast.
	if all == 0 || float64(fast)/float64(all) < 0.99 {
		t.Errorf("only %d of %d browser–service pairs converged within %v", fast, all, FastWindow)
	}
	t.Logf("%d of %d browser–service pairs converged within %v", fast, all, FastWindow)
}

func TestSimConflictRenamesToNumberedNames(t *testing.T) {
	sc := Scenario{Hosts: 3}
	for h := 0; h < 3; h++ {
		sc.Services = append(sc.Services, ServicePlan{Host: h, Name: "DAAP Server", Type: "_daap._tcp", At: time.Duration(h) * 2 * time.Second})
		sc.Browsers = append(sc.Browsers, BrowserPlan{Host: h, Type: "_daap._tcp"})
	}
	r := Run(sc, 7)
	report(t, r)
	want := []string{"DAAP Server", "DAAP Server (2)", "DAAP Server (3)"}
	for i, n := range r.FinalNames {
		if n != want[i] {
			t.Errorf("service %d named %q, want %q", i, n, want[i])
		}
	}
}

func TestSimDeterministic(t *testing.T) {
	sc := Standard(8, 2, 0.2, 3)
	sc.Dup = 0.05
	sc.Flaps = []Flap{{Host: 2, At: 6 * time.Second, Down: 3 * time.Second}}
	sc.Partitions = []Partition{{Host: 1, From: 0, To: 4 * time.Second}}
	for i := range sc.Services {
		if sc.Services[i].WithdrawAt > 0 {
			sc.Services[i].WithdrawAt += 10 * time.Second
		}
	}
	a, b := Run(sc, 3), Run(sc, 3)
	if a.TraceHash != b.TraceHash || a.Packets != b.Packets {
		t.Fatalf("same seed, different runs: %x/%d vs %x/%d", a.TraceHash, a.Packets, b.TraceHash, b.Packets)
	}
	if c := Run(sc, 4); c.TraceHash == a.TraceHash {
		t.Fatal("different seeds gave identical traces")
	}
}

func TestSimDuplicationAndReordering(t *testing.T) {
	for _, seed := range seeds(10) {
		sc := Standard(10, 2, 0.05, seed)
		sc.Dup = 0.2
		sc.MinDelay, sc.MaxDelay = 0, 30*time.Millisecond // reorders freely
		report(t, Run(sc, seed))
	}
}

func TestSimPartitionAndLinkFlap(t *testing.T) {
	for _, seed := range seeds(10) {
		sc := Standard(8, 1, 0.05, seed)
		// Host 1 is cut off while everyone registers; host 2's link goes
		// down and comes back: both must end up seen and seeing.
		sc.Partitions = []Partition{{Host: 1, From: 0, To: 8 * time.Second}}
		sc.Flaps = []Flap{{Host: 2, At: 6 * time.Second, Down: 3 * time.Second}}
		// Withdraw after everything settles (Standard's withdrawal time
		// assumed no partitions).
		for i := range sc.Services {
			if sc.Services[i].WithdrawAt > 0 {
				sc.Services[i].WithdrawAt = 9*time.Second + DefaultSettle + 10*time.Second
			}
		}
		report(t, Run(sc, seed))
	}
}

func TestSimIPv6DualStack(t *testing.T) {
	for _, seed := range seeds(5) {
		sc := Standard(6, 2, 0.1, seed)
		sc.IPv6 = true
		report(t, Run(sc, seed))
	}
}

func BenchmarkSim100Hosts(b *testing.B) {
	var packets, bytes int
	for i := 0; b.Loop(); i++ {
		sc := Standard(100, 3, 0.05, uint64(i+1))
		r := Run(sc, uint64(i+1))
		if r.Failed() {
			b.Fatal(r.Violations[0])
		}
		packets, bytes = r.Packets, r.Bytes
	}
	b.ReportMetric(float64(packets)/100, "packets/host")
	b.ReportMetric(float64(bytes)/100, "bytes/host")
}

// Two hosts take the same name while cut off from each other; once the
// partition heals, the conflict must be found (RFC 6762 §9) and one renamed.
func TestSimConflictFoundAfterPartitionHeals(t *testing.T) {
	for _, seed := range seeds(5) {
		sc := Scenario{Hosts: 3, Loss: 0.05, MinDelay: 100 * time.Microsecond, MaxDelay: 2 * time.Millisecond,
			Partitions: []Partition{{Host: 1, From: 0, To: 15 * time.Second}}}
		for h := 0; h < 3; h++ {
			sc.Browsers = append(sc.Browsers, BrowserPlan{Host: h, Type: "_ipp._tcp", At: 500 * time.Millisecond})
		}
		sc.Services = []ServicePlan{
			{Host: 0, Name: "Printer", Type: "_ipp._tcp", At: time.Second},
			{Host: 1, Name: "Printer", Type: "_ipp._tcp", At: time.Second},
		}
		r := Run(sc, seed)
		report(t, r)
		if r.FinalNames[0] == r.FinalNames[1] {
			t.Errorf("seed %d: both hosts still called %q", seed, r.FinalNames[0])
		}
	}
}
