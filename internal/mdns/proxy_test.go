package mdns

import (
	"testing"
	"time"

	"github.com/miekg/dns"
)

// RFC 6763 §5: a service may name another host as its SRV target (a proxy
// registration); that host's addresses are not ours to publish.
func TestRegisterRFC6763Sec5ServiceOnAnotherHost(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	s := daap()
	s.Host = "printer.local"
	h.publish(s)
	h.advance(10 * time.Second)
	var srv *dns.SRV
	for _, p := range h.takeV4() {
		if !p.msg.Response {
			continue
		}
		if r, ok := hasRecord(p.msg.Answer, `DAAP\ Server._daap._tcp.local.`, dns.TypeSRV).(*dns.SRV); ok {
			srv = r
		}
		if hasRecord(p.msg.Answer, "printer.local.", dns.TypeA) != nil || hasRecord(p.msg.Extra, "printer.local.", dns.TypeA) != nil {
			t.Fatal("an address for the other host was published")
		}
	}
	if srv == nil || srv.Target != "printer.local." {
		t.Fatalf("announced SRV %v, want target printer.local.", srv)
	}
}
