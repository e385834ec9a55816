package mdns

import (
	"testing"

	"github.com/miekg/dns"
)

// python-zeroconf 0.47 sends NSEC records with an empty bitmap block, which
// miekg/dns refuses; the rest of the packet must still count.
func TestParseSkipsRecordsMiekgRefuses(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	q := startQuery(t, h, "_daap._tcp.local.", dns.TypePTR)
	m := response(rr(t, "_daap._tcp.local. 4500 IN PTR Py._daap._tcp.local."))
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	// Append: <pointer to the question-less answer owner> NSEC, rdata = next
	// name (pointer) + window 0 with length 0.
	nsec := []byte{0xc0, 12, 0, 47, 0, 1, 0, 0, 0, 120, 0, 4, 0xc0, 12, 0, 0}
	b = append(b, nsec...)
	b[7]++ // ANCOUNT
	if err := new(dns.Msg).Unpack(b); err == nil {
		t.Fatal("miekg/dns accepts the packet; the test no longer tests anything")
	}
	h.e.HandlePacket(h.now, Packet{Link: testLink, Src: peerSrc, HopLimit: 255, Data: b})
	h.drain()
	evs := h.takeEvents()
	if len(evs) != 1 || evs[0].Query != q || evs[0].Kind != EventAdded {
		t.Fatalf("events %+v: the good record must be used", evs)
	}
	if st := h.e.Stats(); st.RecordsSkipped != 1 || st.DroppedMalformed != 0 {
		t.Fatalf("stats %+v", st)
	}
	// Broken framing is still refused.
	b[len(b)-5] = 200 // RDLENGTH past the end
	h.e.HandlePacket(h.now, Packet{Link: testLink, Src: peerSrc, HopLimit: 255, Data: b})
	if h.e.Stats().DroppedMalformed != 1 {
		t.Fatal("a record running past the end was not refused")
	}
}
