package mdns

import (
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// capturePacket is one packet of ../shared/testdata/mdns-captures.
type capturePacket struct {
	T          float64 `json:"t"`
	Src        string  `json:"src"`
	Dst        string  `json:"dst"`
	Sport      uint16  `json:"sport"`
	PayloadHex string  `json:"payload_hex"`
}

func loadCapture(t testing.TB, name string) []capturePacket {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../../shared/testdata/mdns-captures", name))
	if err != nil {
		t.Skipf("captures not available: %v", err)
	}
	var c struct {
		Packets []capturePacket `json:"packets"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c.Packets
}

func captureFiles(t testing.TB) []string {
	files, _ := filepath.Glob("../../../shared/testdata/mdns-captures/*.json")
	if len(files) == 0 {
		t.Skip("../shared/testdata/mdns-captures not found")
	}
	for i := range files {
		files[i] = filepath.Base(files[i])
	}
	return files
}

// The lab LAN of the captures, as one link.
var captureLink = Link{ID: 7, Name: "eth0", Addrs: []netip.Prefix{
	netip.MustParsePrefix("10.77.0.99/24"), netip.MustParsePrefix("fd77::99/64"), netip.MustParsePrefix("fe80::99/64")}}

func (p capturePacket) packet(t testing.TB) Packet {
	data, err := hex.DecodeString(p.PayloadHex)
	if err != nil {
		t.Fatal(err)
	}
	src := netip.MustParseAddr(p.Src)
	dst := netip.MustParseAddr(p.Dst)
	return Packet{Link: captureLink.ID, Src: netip.AddrPortFrom(src, p.Sport), Dst: netip.AddrPortFrom(dst, Port), HopLimit: 255, Data: data}
}

func TestCapturesEveryPacketHandled(t *testing.T) {
	for _, f := range captureFiles(t) {
		e := New(Config{HostName: "observer", Seed: 1})
		now := t0
		e.SetLinks(now, []Link{captureLink})
		if _, err := e.StartQuery(now, Question{Name: "_ipp._tcp.local.", Type: dns.TypePTR}); err != nil {
			t.Fatal(err)
		}
		pkts := loadCapture(t, f)
		for _, p := range pkts {
			e.HandlePacket(now.Add(time.Duration(p.T*float64(time.Second))), p.packet(t))
		}
		st := e.Stats()
		if st.PacketsIn != uint64(len(pkts)) || st.DroppedMalformed != 0 || st.DroppedOpcode != 0 {
			t.Errorf("%s: %+v", f, st)
		}
	}
}

// browseCapture replays a capture into a browsing engine and returns the
// instance names it reported.
func browseCapture(t *testing.T, file string) map[string]bool {
	e := New(Config{HostName: "observer", Seed: 1})
	e.SetLinks(t0, []Link{captureLink})
	q, _ := e.StartQuery(t0, Question{Name: "_ipp._tcp.local.", Type: dns.TypePTR})
	names := map[string]bool{}
	for _, p := range loadCapture(t, file) {
		e.HandlePacket(t0.Add(time.Duration(p.T*float64(time.Second))), p.packet(t))
		for {
			ev, ok := e.PollEvent()
			if !ok {
				break
			}
			if ev.Query == q && ev.Kind == EventAdded {
				names[ev.Record.(*dns.PTR).Ptr] = true
			}
		}
	}
	return names
}

func TestCapturesBrowseSeesRealAnnouncements(t *testing.T) {
	for _, impl := range []string{"apple", "avahi", "py"} {
		if n := browseCapture(t, impl+"-01-register.json"); !n[`Capture\ Service._ipp._tcp.local.`] {
			t.Errorf("%s: browse saw %v", impl, n)
		}
	}
	for _, impl := range []string{"apple", "avahi"} {
		if n := browseCapture(t, impl+"-08-utf8-name.json"); !n[`Caf\195\169\ v1\.2\ \\\ test._ipp._tcp.local.`] {
			t.Errorf("%s: UTF-8 browse saw %v", impl, n)
		}
	}
}

// A registration of "Capture Service" that meets a real peer's announcement
// of the same name during probing renames (RFC 6762 §8.1); after its own
// announcement, it re-probes (§9).
func TestCapturesRealPeerAnnouncementCausesRename(t *testing.T) {
	for _, impl := range []string{"apple", "avahi", "py"} {
		var ann Packet
		for _, p := range loadCapture(t, impl+"-01-register.json") {
			pk := p.packet(t)
			var m dns.Msg
			if m.Unpack(pk.Data) == nil && m.Response && hasRecord(m.Answer, `Capture\ Service._ipp._tcp.local.`, dns.TypeSRV) != nil {
				ann = pk
				break
			}
		}
		if ann.Data == nil {
			t.Fatalf("%s: no announcement in the capture", impl)
		}
		e := New(Config{HostName: "tester", Seed: 3})
		now := t0
		e.SetLinks(now, []Link{captureLink})
		id, _ := e.Publish(now, ServiceSpec{Instance: "Capture Service", Type: "_ipp._tcp", Port: 631})
		now = now.Add(300 * time.Millisecond) // first probe out
		e.HandleTimeout(now)
		e.HandlePacket(now, ann)
		for i := 0; i < 100; i++ {
			now = now.Add(100 * time.Millisecond)
			e.HandleTimeout(now)
		}
		if n, _ := e.Name(id); n != "Capture Service (2)" {
			t.Errorf("%s: name after the peer's announcement %q, want Capture Service (2)", impl, n)
		}
	}
}

// Apple's and Avahi's probes for the same name while we probe: the
// tie-break (RFC 6762 §8.2) compares our SRV/TXT with their records.
func TestCapturesRealPeerProbeTiebreak(t *testing.T) {
	for _, impl := range []string{"apple", "avahi"} {
		var probe Packet
		for _, p := range loadCapture(t, impl+"-01-register.json") {
			pk := p.packet(t)
			var m dns.Msg
			if m.Unpack(pk.Data) == nil && !m.Response && len(m.Ns) > 0 && strings.HasPrefix(m.Question[0].Name, `Capture\ Service`) {
				probe = pk
				break
			}
		}
		if probe.Data == nil {
			t.Fatalf("%s: no probe in the capture", impl)
		}
		e := New(Config{HostName: "tester", Seed: 3})
		now := t0
		e.SetLinks(now, []Link{captureLink})
		e.Publish(now, ServiceSpec{Instance: "Capture Service", Type: "_ipp._tcp", Port: 631})
		now = now.Add(300 * time.Millisecond)
		e.HandleTimeout(now)
		e.HandlePacket(now, probe)
		// Their SRV points at cap-hN.local. port 631, ours at tester.local.
		// port 631: "c" < "t", so their data is earlier and we win; or, for
		// Apple, whose Authority also holds A/AAAA (types 1, 28 < 33), the
		// sets differ at the first record. Either way the outcome must be
		// deterministic and not a rename.
		for i := 0; i < 50; i++ {
			now = now.Add(100 * time.Millisecond)
			e.HandleTimeout(now)
		}
		if n, _ := e.Name(2); n != "Capture Service" {
			t.Errorf("%s: a probe alone renamed us to %q", impl, n)
		}
	}
}
