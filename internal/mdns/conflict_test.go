package mdns

import (
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/rendezvous-mdns/rendezvous/internal/dnsname"
)

func TestConflictRFC6762Sec9AfterAnnouncingReprobesThenRenames(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	id := h.establish(daap())
	inst := `DAAP\ Server._daap._tcp.local.`
	theirs := rr(t, inst+` 120 IN SRV 0 0 3689 other.local.`)
	theirs.Header().Class |= cacheFlushBit
	h.inject(peerSrc, response(theirs))
	// Back to probing: the first probe within 250 ms.
	h.advance(260 * time.Millisecond)
	var probe *dns.Msg
	for _, s := range h.takeV4() {
		if !s.msg.Response && len(s.msg.Ns) > 0 {
			probe = s.msg
		}
	}
	if probe == nil || probe.Question[0].Name != inst {
		t.Fatalf("no re-probe of %s after a conflicting answer", inst)
	}
	// While probing we do not answer for the name.
	h.inject(peerSrc, mkQuery(qm(inst, dns.TypeSRV)))
	if out := h.take(); len(out) != 0 {
		t.Fatalf("answered while re-probing: %v", out[0].msg)
	}
	// The other host defends its name: we rename.
	h.inject(peerSrc, response(theirs))
	h.advance(10 * time.Second)
	evs := h.takeEvents()
	if len(evs) != 1 || evs[0].Kind != EventRenamed || evs[0].Reg != id || evs[0].Name != "DAAP Server (2)" {
		t.Fatalf("events %+v, want Renamed to DAAP Server (2)", evs)
	}
}

func TestConflictRFC6762Sec9StaleAnswerDoesNotRename(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	h.establish(daap())
	inst := `DAAP\ Server._daap._tcp.local.`
	h.inject(peerSrc, response(rr(t, inst+` 120 IN SRV 0 0 3689 other.local.`)))
	h.advance(10 * time.Second)
	// Nobody defends the other data: we keep the name and announce again.
	if n, _ := h.e.Name(2); n != "DAAP Server" {
		t.Fatalf("renamed to %q without a defence", n)
	}
	if len(responses(h.takeV4())) == 0 {
		t.Fatal("did not re-announce after re-probing")
	}
	if evs := h.takeEvents(); len(evs) != 0 {
		t.Fatalf("events %+v", evs)
	}
}

func TestConflictRFC6762Sec9HostNameRenamedWithHyphen(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	h.establish(daap())
	// Someone else claims host.local. with another address.
	a := rr(t, `host.local. 120 IN A 10.0.0.99`)
	a.Header().Class |= cacheFlushBit
	h.inject(peerSrc, response(a))
	h.advance(300 * time.Millisecond)
	h.inject(peerSrc, response(a))
	h.advance(10 * time.Second)
	if got := h.e.HostName(); got != "host-2" {
		t.Fatalf("host name %q, want host-2", got)
	}
	// The service's SRV follows the new host name.
	var srv *dns.SRV
	for _, s := range responses(h.takeV4()) {
		if r := hasRecord(s.msg.Answer, `DAAP\ Server._daap._tcp.local.`, dns.TypeSRV); r != nil {
			srv = r.(*dns.SRV)
		}
	}
	if srv == nil || srv.Target != "host-2.local." {
		t.Fatalf("SRV after host rename: %v", srv)
	}
}

func TestConflictRenameKeepsWithin63BytesOnRuneBoundary(t *testing.T) {
	g := &group{stem: strings.Repeat("é", 31), n: 12} // 62 bytes
	got := g.nthLabel()
	if len(got) > 63 || got != strings.Repeat("é", 29)+" (12)" {
		t.Fatalf("label %q (%d bytes)", got, len(got))
	}
	g = &group{host: true, stem: "host", n: 3}
	if got := g.nthLabel(); got != "host-3" {
		t.Fatalf("host label %q", got)
	}
	if stem, n := dnsname.SplitSuffix("Printer (7)"); stem != "Printer" || n != 7 {
		t.Fatalf("SplitSuffix: %q %d", stem, n)
	}
}

func TestConflictRFC6762Sec9AnyTypeOfOurUniqueRRsets(t *testing.T) {
	for _, theirs := range []string{
		inst + ` 4500 IN TXT "other=1"`,
		inst + ` 120 IN SRV 0 0 3689 other.local.`,
	} {
		h := newHarness(t, Config{})
		h.settle()
		h.establish(daap())
		h.inject(peerSrc, response(rr(t, theirs)))
		h.advance(260 * time.Millisecond)
		probed := false
		for _, s := range h.takeV4() {
			probed = probed || (!s.msg.Response && len(s.msg.Ns) > 0)
		}
		if !probed {
			t.Errorf("%s: no re-probe", theirs)
		}
	}
}
