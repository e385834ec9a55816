package mdns

import (
	"encoding/hex"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// fuzzEngine is an engine with something to defend and something to ask:
// an established service and a running browse.
func fuzzEngine() (*Engine, time.Time) {
	e := New(Config{HostName: "fuzz", Seed: 9})
	now := t0
	e.SetLinks(now, []Link{{ID: 1, Name: "eth0", Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24"), netip.MustParsePrefix("fe80::1/64")}}})
	e.Publish(now, ServiceSpec{Instance: "DAAP Server", Type: "_daap._tcp", Port: 3689, TXT: []string{"txtvers=1"}, Subtypes: []string{"_music"}})
	e.StartQuery(now, Question{Name: "_daap._tcp.local.", Type: dns.TypePTR})
	for i := 0; i < 60; i++ {
		now = now.Add(100 * time.Millisecond)
		e.HandleTimeout(now)
	}
	drainAll(e)
	return e, now
}

func drainAll(e *Engine) []Packet {
	var out []Packet
	for {
		p, ok := e.PollTransmit()
		if !ok {
			break
		}
		out = append(out, p)
	}
	for {
		if _, ok := e.PollEvent(); !ok {
			break
		}
	}
	return out
}

func checkOutput(t *testing.T, pkts []Packet) {
	for _, p := range pkts {
		if len(p.Data) > 9000 {
			t.Fatalf("sent %d bytes", len(p.Data))
		}
		var m dns.Msg
		if err := m.Unpack(p.Data); err != nil {
			t.Fatalf("sent a packet that does not parse: %v", err)
		}
	}
}

// hostileSeeds are hand-made packets of the kinds that crashed other
// responders.
func hostileSeeds() [][]byte {
	hdr := func(qd, an, ns, ar byte, flags ...byte) []byte {
		f := []byte{0, 0}
		if len(flags) == 2 {
			f = flags
		}
		return []byte{0, 0, f[0], f[1], 0, qd, 0, an, 0, ns, 0, ar}
	}
	return [][]byte{
		{},
		make([]byte, 9000),
		// compression pointer to itself
		append(hdr(1, 0, 0, 0), 0xc0, 12, 0, 12, 0, 1),
		// pointer loop between two pointers
		append(hdr(1, 0, 0, 0), 0xc0, 14, 0xc0, 12, 0, 12, 0, 1),
		// forward pointer
		append(hdr(1, 0, 0, 0), 0xc0, 30, 0, 12, 0, 1),
		// counts larger than the data
		hdr(255, 255, 255, 255),
		// RDLENGTH past the end
		append(hdr(0, 1, 0, 0, 0x84, 0), 0, 0, 1, 0, 1, 0, 0, 0, 120, 0xff, 0xff, 1, 2),
		// label types 0x40 and 0x80
		append(hdr(1, 0, 0, 0), 0x41, 'a', 0, 0, 1, 0, 1),
		append(hdr(1, 0, 0, 0), 0x81, 'a', 0, 0, 1, 0, 1),
		// NSEC with a bitmap window past the rdata
		append(hdr(0, 1, 0, 0, 0x84, 0), 0, 0, 47, 0, 1, 0, 0, 0, 120, 0, 5, 0, 0, 32, 0xff, 0xff),
	}
}

func FuzzHandlePacket(f *testing.F) {
	for _, s := range hostileSeeds() {
		f.Add(s, uint16(Port))
	}
	files, _ := globCaptures()
	for _, name := range files {
		for _, p := range loadCapture(f, name) {
			if b, err := hex.DecodeString(p.PayloadHex); err == nil {
				f.Add(b, p.Sport)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, sport uint16) {
		e, now := fuzzEngine()
		for _, src := range []netip.AddrPort{
			netip.AddrPortFrom(netip.MustParseAddr("10.0.0.2"), sport),
			netip.AddrPortFrom(netip.MustParseAddr("fe80::2"), Port),
		} {
			e.HandlePacket(now, Packet{Link: 1, Src: src, Dst: GroupV4, HopLimit: 255, Data: data})
			checkOutput(t, drainAll(e))
		}
		for i := 0; i < 20; i++ {
			now = now.Add(300 * time.Millisecond)
			e.HandleTimeout(now)
			checkOutput(t, drainAll(e))
		}
	})
}

// FuzzHandlePacketSequence feeds a sequence of mutated real packets and
// timeouts: the input is split into chunks, each with a delay byte.
func FuzzHandlePacketSequence(f *testing.F) {
	files, _ := globCaptures()
	for _, name := range files {
		var seq []byte
		for i, p := range loadCapture(f, name) {
			if i == 6 {
				break // short seeds keep the fuzzer fast
			}
			b, _ := hex.DecodeString(p.PayloadHex)
			if len(b) > 250 {
				b = b[:250]
			}
			seq = append(seq, byte(len(b)), 7)
			seq = append(seq, b...)
		}
		f.Add(seq)
	}
	f.Fuzz(func(t *testing.T, seq []byte) {
		e, now := fuzzEngine()
		for len(seq) >= 2 {
			n, delay := int(seq[0]), seq[1]
			seq = seq[2:]
			n = min(n, len(seq))
			e.HandlePacket(now, Packet{Link: 1, Src: netip.AddrPortFrom(netip.MustParseAddr("10.0.0.3"), Port), Dst: GroupV4, HopLimit: 255, Data: seq[:n]})
			seq = seq[n:]
			now = now.Add(time.Duration(delay) * 37 * time.Millisecond)
			e.HandleTimeout(now)
			checkOutput(t, drainAll(e))
		}
	})
}

func globCaptures() ([]string, error) {
	files, err := filepath.Glob("../../../shared/testdata/mdns-captures/*.json")
	for i := range files {
		files[i] = filepath.Base(files[i])
	}
	return files, err
}

func TestHostilePacketsDoNotBreakTheResponder(t *testing.T) {
	e, now := fuzzEngine()
	for _, s := range hostileSeeds() {
		e.HandlePacket(now, Packet{Link: 1, Src: netip.AddrPortFrom(netip.MustParseAddr("10.0.0.2"), Port), Dst: GroupV4, HopLimit: 255, Data: s})
		checkOutput(t, drainAll(e))
	}
	// Still answers a normal query at once.
	q := mkQuery(qm(`DAAP\ Server._daap._tcp.local.`, dns.TypeSRV))
	b, _ := q.Pack()
	now = now.Add(2 * time.Second)
	e.HandlePacket(now, Packet{Link: 1, Src: netip.AddrPortFrom(netip.MustParseAddr("10.0.0.2"), Port), Dst: GroupV4, HopLimit: 255, Data: b})
	if out := drainAll(e); len(out) == 0 {
		t.Fatal("no answer to a normal query after the hostile packets")
	}
	if e.Stats().DroppedMalformed == 0 {
		t.Error("malformed packets not counted")
	}
}
