package mdns

import (
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestLocalRegistrationsReachLocalQueries(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	ptrQ, _ := h.e.StartQuery(h.now, Question{Name: "_daap._tcp.local.", Type: dns.TypePTR})
	h.drain()
	id := h.establish(daap())
	_ = id
	// establish() discarded events; start a TXT query to see the current one.
	txtQ, _ := h.e.StartQuery(h.now, Question{Name: inst, Type: dns.TypeTXT})
	h.drain()
	evs := h.takeEvents()
	if len(evs) != 1 || evs[0].Kind != EventAdded || evs[0].Query != txtQ || evs[0].Link != testLink {
		t.Fatalf("TXT query start: events %+v", evs)
	}
	if err := h.e.UpdateTXT(h.now, id, []string{"txtvers=2"}); err != nil {
		t.Fatal(err)
	}
	h.drain()
	evs = h.takeEvents()
	if len(evs) != 1 || evs[0].Kind != EventUpdated || evs[0].Record.(*dns.TXT).Txt[0] != "txtvers=2" || evs[0].Old.(*dns.TXT).Txt[0] != "txtvers=1" {
		t.Fatalf("TXT update: events %+v", evs)
	}
	if err := h.e.Withdraw(h.now, id); err != nil {
		t.Fatal(err)
	}
	h.drain()
	h.advance(time.Second)
	var removed []QueryID
	for _, ev := range h.takeEvents() {
		if ev.Kind == EventRemoved {
			removed = append(removed, ev.Query)
		}
	}
	if len(removed) != 2 {
		t.Fatalf("withdraw: removed events for queries %v, want PTR (%d) and TXT (%d)", removed, ptrQ, txtQ)
	}
}

func TestLocalRegistrationAddedWhenAnnounced(t *testing.T) {
	h := newHarness(t, Config{})
	h.settle()
	q, _ := h.e.StartQuery(h.now, Question{Name: "_daap._tcp.local.", Type: dns.TypePTR})
	h.drain()
	h.publish(daap())
	h.advance(10 * time.Second)
	var added int
	for _, ev := range h.takeEvents() {
		if ev.Kind == EventAdded && ev.Query == q && ev.Record.(*dns.PTR).Ptr == inst {
			added++
		}
	}
	if added != 1 {
		t.Fatalf("%d Added events for our own service, want 1", added)
	}
}

func TestLazyHostClaimsNoNameUntilAServiceIsPublished(t *testing.T) {
	h := newHarness(t, Config{LazyHost: true})
	startQuery(t, h, "_daap._tcp.local.", dns.TypePTR)
	h.advance(10 * time.Second)
	for _, s := range h.take() {
		if s.msg.Response || len(s.msg.Ns) > 0 {
			t.Fatalf("a browse-only engine sent %v", s.msg)
		}
	}
	h.publish(daap())
	h.advance(10 * time.Second)
	hostProbed := false
	for _, s := range h.take() {
		if !s.msg.Response && len(s.msg.Ns) > 0 {
			for _, q := range s.msg.Question {
				hostProbed = hostProbed || q.Name == "host.local."
			}
		}
	}
	if !hostProbed {
		t.Fatal("the host name was not probed with the first service")
	}
}
