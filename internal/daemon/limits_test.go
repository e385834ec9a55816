//go:build unix

package daemon

import (
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/rendezvous-mdns/rendezvous/internal/daemon/daemontest"
	"github.com/rendezvous-mdns/rendezvous/internal/ipc"
)

// TestConnectionFloodBeyondMaxClients: connections beyond MaxClients are
// closed at once, the admitted ones keep working, and a slot that frees up
// can be used again.
func TestConnectionFloodBeyondMaxClients(t *testing.T) {
	const max = 3
	fake := daemontest.New()
	srv, path := startServer(t, fake, func(s *Server) { s.MaxClients = max })
	var admitted []*client
	for range max {
		c := dial(t, path)
		c.send(encode(t, ipc.Request{Body: ipc.ConnectionRequest{}}))
		c.expectCode(ipc.NoError)
		admitted = append(admitted, c)
	}
	for range 20 {
		c := dial(t, path)
		c.expectEOF()
	}
	if st := srv.Stats(); st.Rejected != 20 || st.Active != max {
		t.Fatalf("stats %+v, want 20 rejected and %d active", st, max)
	}
	// The admitted connections still work.
	es := admitted[0].sendWithErrSocket(encode(t, ipc.Request{Header: ipc.Header{Context: ctxOf(1)}, HasErrReturn: true,
		Body: ipc.BrowseRequest{Flags: ipc.FlagShareConnection, RegType: "_x._tcp"}}))
	es.expectCode(ipc.NoError)
	// A closed one frees its slot.
	admitted[1].c.Close()
	for range 500 {
		if srv.Stats().Active < max {
			break
		}
		sleepBriefly()
	}
	checkServes(t, path)
}

// TestNonReadingClientIsDropped: a client that asks for many replies and
// never reads them is disconnected once MaxQueuedBytes wait for it (or a
// write blocks for WriteTimeout), its operation is stopped, and the server
// goes on serving others.
func TestNonReadingClientIsDropped(t *testing.T) {
	fake := daemontest.New()
	for i := range 5000 {
		fake.AddRecord("", &dns.PTR{Hdr: dns.RR_Header{Name: "_flood._tcp.local.", Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: 4500},
			Ptr: fmt.Sprintf("instance number %d with a long name._flood._tcp.local.", i)})
	}
	srv, path := startServer(t, fake, func(s *Server) {
		s.MaxQueuedBytes = 16 << 10
		s.WriteTimeout = 2 * time.Second
	})
	c := dial(t, path)
	c.send(encode(t, ipc.Request{Body: ipc.BrowseRequest{RegType: "_flood._tcp"}}))
	waitDropped(t, srv, 1)
	waitFor(t, fake, "the browse to stop", func(s daemontest.Snapshot) bool { return s.ActiveQueries == 0 && s.QueriesStarted == 1 })
	// What the kernel buffered can still be read, then EOF.
	c.c.SetReadDeadline(time.Now().Add(ioTimeout))
	if _, err := io.Copy(io.Discard, c.c); err != nil && !errors.Is(err, io.EOF) {
		t.Logf("draining: %v", err)
	}
	checkServes(t, path)
}

// TestMaxOpsPerClient: a shared connection's sub-operation beyond the limit
// gets NoMemory on its error socket; the connection stays usable, and a
// cancelled sub-operation frees its place.
func TestMaxOpsPerClient(t *testing.T) {
	fake := daemontest.New()
	_, path := startServer(t, fake, func(s *Server) { s.MaxOpsPerClient = 2 })
	c := dial(t, path)
	c.send(encode(t, ipc.Request{Body: ipc.ConnectionRequest{}}))
	c.expectCode(ipc.NoError)
	browse := func(n byte) *errSocket {
		return c.sendWithErrSocket(encode(t, ipc.Request{Header: ipc.Header{Context: ctxOf(n)}, HasErrReturn: true,
			Body: ipc.BrowseRequest{Flags: ipc.FlagShareConnection, RegType: "_x._tcp"}}))
	}
	browse(1).expectCode(ipc.NoError)
	browse(2).expectCode(ipc.NoError)
	browse(3).expectCode(ipc.NoMemory)
	browse(4).expectCode(ipc.NoMemory)
	c.send(encode(t, ipc.Request{Header: ipc.Header{Context: ctxOf(1)}, Body: ipc.CancelRequest{}}))
	browse(5).expectCode(ipc.NoError)
	waitFor(t, fake, "two browses", func(s daemontest.Snapshot) bool { return s.ActiveQueries == 2 })
}

func TestBatchSetsMoreComing(t *testing.T) {
	r := func() []byte {
		b, _ := ipc.Reply{Body: ipc.BrowseReply{ReplyCommon: ipc.ReplyCommon{Flags: ipc.FlagAdd}, Name: "a", RegType: "_x._tcp.", Domain: "local."}}.Encode()
		return b
	}
	items := []outItem{{b: ipc.AppendErrorCode(nil, 0)}, {b: r(), reply: true}, {b: r(), reply: true}, {b: r(), reply: true}}
	out := batch(nil, items)
	var cs ipc.ClientStream
	cs.Feed(out)
	var flags []ipc.Flags
	for {
		it, err := cs.Next()
		if err != nil {
			break
		}
		if it.Kind == ipc.ItemReply {
			flags = append(flags, it.Reply.Body.Common().Flags)
		}
	}
	want := []ipc.Flags{ipc.FlagAdd | ipc.FlagMoreComing, ipc.FlagAdd | ipc.FlagMoreComing, ipc.FlagAdd}
	if fmt.Sprint(flags) != fmt.Sprint(want) {
		t.Fatalf("flags %v, want %v", flags, want)
	}
}
