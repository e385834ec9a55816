package mdns

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// benchResponder returns an engine with n established services of one type.
func benchResponder(b *testing.B, n int) (*Engine, time.Time) {
	e := New(Config{HostName: "bench", Seed: 1, MaxRegistrations: n + 1})
	now := t0
	e.SetLinks(now, []Link{{ID: 1, Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24")}}})
	for i := 0; i < n; i++ {
		if _, err := e.Publish(now, ServiceSpec{Instance: fmt.Sprintf("Service %d", i), Type: "_bench._tcp", Port: uint16(1000 + i), TXT: []string{"txtvers=1"}}); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < 100; i++ {
		now = now.Add(100 * time.Millisecond)
		e.HandleTimeout(now)
	}
	drainAll(e)
	return e, now
}

func packQuery(b *testing.B, q dns.Question, known ...dns.RR) []byte {
	data, err := (&dns.Msg{Question: []dns.Question{q}, Answer: known}).Pack()
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkQueryAgainst1000Services: a QM query against a responder with
// 1,000 services; each iteration's answer is produced and packed.
func BenchmarkQueryAgainst1000Services(b *testing.B) {
	e, now := benchResponder(b, 1000)
	src := netip.AddrPortFrom(netip.MustParseAddr("10.0.0.2"), Port)
	for _, tc := range []struct {
		name string
		q    dns.Question
	}{
		{"SRV", dns.Question{Name: `Service\ 500._bench._tcp.local.`, Qtype: dns.TypeSRV, Qclass: dns.ClassINET}},
		{"PTR", dns.Question{Name: "_bench._tcp.local.", Qtype: dns.TypePTR, Qclass: dns.ClassINET}},
		{"NoMatch", dns.Question{Name: "_other._tcp.local.", Qtype: dns.TypePTR, Qclass: dns.ClassINET}},
	} {
		data := packQuery(b, tc.q)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				// Two seconds apart: past the 1 s rate limit, so each
				// iteration really answers.
				now = now.Add(2 * time.Second)
				e.HandlePacket(now, Packet{Link: 1, Src: src, Dst: GroupV4, HopLimit: 255, Data: data})
				e.HandleTimeout(now.Add(time.Second))
				drainAll(e)
			}
		})
	}
}

// BenchmarkResponseInto10000RecordCache: a response with a few records
// arriving at an engine whose cache holds 10,000 records.
func BenchmarkResponseInto10000RecordCache(b *testing.B) {
	e := New(Config{HostName: "bench", Seed: 1, MaxCacheRecords: 20000})
	now := t0
	e.SetLinks(now, []Link{{ID: 1, Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24")}}})
	e.StartQuery(now, Question{Name: "_bench._tcp.local.", Type: dns.TypePTR})
	src := netip.AddrPortFrom(netip.MustParseAddr("10.0.0.2"), Port)
	for i := 0; i < 10000; i += 20 {
		var rrs []dns.RR
		for j := i; j < i+20; j++ {
			r, _ := dns.NewRR(fmt.Sprintf("_bench._tcp.local. 4500 IN PTR Service\\ %d._bench._tcp.local.", j))
			rrs = append(rrs, r)
		}
		data, _ := (&dns.Msg{MsgHdr: dns.MsgHdr{Response: true}, Answer: rrs}).Pack()
		e.HandlePacket(now, Packet{Link: 1, Src: src, Dst: GroupV4, HopLimit: 255, Data: data})
	}
	drainAll(e)
	if got := e.Stats().CacheRecords; got != 10000 {
		b.Fatalf("cache holds %d", got)
	}
	// The response: a new instance's PTR, SRV, TXT and A.
	var datas [][]byte
	for i := 0; i < 64; i++ {
		var rrs []dns.RR
		for _, s := range []string{
			fmt.Sprintf("_bench._tcp.local. 4500 IN PTR New\\ %d._bench._tcp.local.", i),
			fmt.Sprintf("New\\ %d._bench._tcp.local. 120 IN SRV 0 0 80 h%d.local.", i, i),
			fmt.Sprintf(`New\ %d._bench._tcp.local. 4500 IN TXT "txtvers=1"`, i),
			fmt.Sprintf("h%d.local. 120 IN A 10.0.1.%d", i, i),
		} {
			r, _ := dns.NewRR(s)
			rrs = append(rrs, r)
		}
		data, _ := (&dns.Msg{MsgHdr: dns.MsgHdr{Response: true}, Answer: rrs}).Pack()
		datas = append(datas, data)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		now = now.Add(time.Millisecond)
		e.HandlePacket(now, Packet{Link: 1, Src: src, Dst: GroupV4, HopLimit: 255, Data: datas[i%len(datas)]})
		drainAll(e)
		i++
	}
}

// BenchmarkAnnouncement: building and packing one service's announcement
// (the first one, after probing).
func BenchmarkAnnouncement(b *testing.B) {
	e := New(Config{HostName: "bench", Seed: 1})
	now := t0
	e.SetLinks(now, []Link{{ID: 1, Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24"), netip.MustParsePrefix("fe80::1/64")}}})
	id, _ := e.Publish(now, ServiceSpec{Instance: "DAAP Server", Type: "_daap._tcp", Port: 3689, TXT: []string{"txtvers=1", "Machine Name=Living Room"}})
	for i := 0; i < 100; i++ {
		now = now.Add(100 * time.Millisecond)
		e.HandleTimeout(now)
	}
	drainAll(e)
	gl := e.groups[id].links[1]
	b.ReportAllocs()
	for b.Loop() {
		gl.announces = 0
		gl.stepAnnounce(now)
		e.flush(now)
		drainAll(e)
	}
}

// BenchmarkKnownAnswerQuery: a PTR query listing 100 known answers, all of
// which the responder holds (everything is suppressed).
func BenchmarkKnownAnswerQuery(b *testing.B) {
	e, now := benchResponder(b, 100)
	var known []dns.RR
	for i := 0; i < 100; i++ {
		r, _ := dns.NewRR(fmt.Sprintf("_bench._tcp.local. 4500 IN PTR Service\\ %d._bench._tcp.local.", i))
		known = append(known, r)
	}
	data := packQuery(b, dns.Question{Name: "_bench._tcp.local.", Qtype: dns.TypePTR, Qclass: dns.ClassINET}, known...)
	src := netip.AddrPortFrom(netip.MustParseAddr("10.0.0.2"), Port)
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(2 * time.Second)
		e.HandlePacket(now, Packet{Link: 1, Src: src, Dst: GroupV4, HopLimit: 255, Data: data})
		if out := drainAll(e); len(out) != 0 {
			b.Fatal("answered despite known answers")
		}
	}
}
