//go:build unix

package daemon

import (
	"encoding/binary"
	"encoding/hex"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/rendezvous-mdns/rendezvous/internal/daemon/daemontest"
	"github.com/rendezvous-mdns/rendezvous/internal/ipc"
)

// rawHeader builds a header with arbitrary words.
func rawHeader(version, datalen, ipcFlags uint32, op ipc.Op) []byte {
	b := binary.BigEndian.AppendUint32(nil, version)
	b = binary.BigEndian.AppendUint32(b, datalen)
	b = binary.BigEndian.AppendUint32(b, ipcFlags)
	b = binary.BigEndian.AppendUint32(b, uint32(op))
	b = append(b, make([]byte, 8)...) // client_context
	return binary.BigEndian.AppendUint32(b, 0)
}

// rawFrame builds a frame with a correct datalen around an arbitrary body.
func rawFrame(op ipc.Op, ipcFlags uint32, body ...[]byte) []byte {
	var bb []byte
	for _, p := range body {
		bb = append(bb, p...)
	}
	return append(rawHeader(1, uint32(len(bb)), ipcFlags, op), bb...)
}

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// chunk is one write of the malformed-input tests: bytes, and descriptors
// attached to them with SCM_RIGHTS.
type chunk struct {
	b   []byte
	fds int // number of fresh socketpair ends to attach
	fd  int // or this descriptor (>0)
}

func (c *client) sendChunks(chunks []chunk) {
	c.t.Helper()
	for _, ch := range chunks {
		var fds []int
		for range ch.fds {
			p, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
			if err != nil {
				c.t.Fatal(err)
			}
			defer unix.Close(p[0])
			defer unix.Close(p[1])
			fds = append(fds, p[0])
		}
		if ch.fd > 0 {
			fds = append(fds, ch.fd)
		}
		var oob []byte
		if len(fds) > 0 {
			oob = unix.UnixRights(fds...)
		}
		if _, _, err := c.c.WriteMsgUnix(ch.b, oob, nil); err != nil {
			c.t.Fatalf("sendmsg: %v", err)
		}
	}
}

// mustHex decodes a hex constant.
func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// TestMalformedInputDropsTheClient sends each kind of bad input on a fresh
// connection: the daemon must close that connection (and count it as
// dropped), and still serve a new connection correctly afterwards.
func TestMalformedInputDropsTheClient(t *testing.T) {
	connReq := encode(t, ipc.Request{Body: ipc.ConnectionRequest{}})
	sharedBrowse := encode(t, ipc.Request{Header: ipc.Header{Context: ctxOf(1)}, HasErrReturn: true,
		Body: ipc.BrowseRequest{Flags: ipc.FlagShareConnection, RegType: "_x._tcp", Domain: "local"}})
	browse := encode(t, ipc.Request{Body: ipc.BrowseRequest{RegType: "_x._tcp"}})
	update := encode(t, ipc.Request{Header: ipc.Header{RegIndex: ipc.RegIndexPrimaryTXT}, HasErrReturn: true,
		Body: ipc.UpdateRecordRequest{RData: []byte{0}}})
	named := encode(t, ipc.Request{Header: ipc.Header{Context: ctxOf(1)}, HasErrReturn: true, ErrReturnPath: "/tmp/x",
		Body: ipc.BrowseRequest{Flags: ipc.FlagShareConnection, RegType: "_x._tcp"}})
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()

	cases := []struct {
		name   string
		chunks []chunk
	}{
		{"wrong version", []chunk{{b: rawHeader(2, 0, 0, ipc.OpConnectionRequest)}}},
		{"version 0", []chunk{{b: rawHeader(0, 0, 0, ipc.OpConnectionRequest)}}},
		{"datalen over 70000", []chunk{{b: rawHeader(1, ipc.MaxDataLen+1, 0, ipc.OpBrowseRequest)}}},
		{"unknown op 12", []chunk{{b: rawFrame(ipc.OpSetDomainRequest, 0, be32(0))}}},
		{"unknown op 99", []chunk{{b: rawFrame(99, 0)}}},
		{"reply op from a client", []chunk{{b: rawFrame(ipc.OpBrowseReply, 0, be32(0), be32(0), be32(0), []byte("a\x00b\x00c\x00"))}}},
		{"unterminated string", []chunk{{b: rawFrame(ipc.OpBrowseRequest, 0, be32(0), be32(0), []byte("_x._tcp"))}}},
		{"truncated body", []chunk{{b: rawFrame(ipc.OpQueryRequest, 0, be32(0), be32(0), []byte("a.local\x00"), []byte{0})}}},
		{"trailing bytes", []chunk{{b: rawFrame(ipc.OpConnectionRequest, 0, []byte{1, 2, 3})}}},
		{"record op first", []chunk{{b: update[:len(update)-1]}, {b: update[len(update)-1:], fds: 1}}},
		{"cancel first", []chunk{{b: rawFrame(ipc.OpCancelRequest, 0)}}},
		{"second connection_request", []chunk{{b: connReq}, {b: connReq}}},
		{"second operation on a dedicated connection", []chunk{{b: browse}, {b: browse}}},
		{"getproperty on a shared connection", []chunk{{b: connReq}, {b: encode(t, ipc.Request{Body: ipc.GetPropertyRequest{Property: "DaemonVersion"}})}}},
		{"request after getproperty", []chunk{{b: encode(t, ipc.Request{Body: ipc.GetPropertyRequest{Property: "DaemonVersion"}})}, {b: browse}}},
		{"placeholder without fd", []chunk{{b: connReq}, {b: sharedBrowse}}},
		{"fd before the body is complete", []chunk{{b: connReq}, {b: sharedBrowse[:10], fds: 1}, {b: sharedBrowse[10:]}}},
		{"fd on the header's last byte", []chunk{{b: connReq}, {b: sharedBrowse[:ipc.HeaderLen], fds: 1}, {b: sharedBrowse[ipc.HeaderLen:]}}},
		{"fd with a request that has no placeholder", []chunk{{b: connReq[:len(connReq)-1]}, {b: connReq[len(connReq)-1:], fds: 1}}},
		{"two fds with one request", []chunk{{b: connReq}, {b: sharedBrowse[:len(sharedBrowse)-1]}, {b: sharedBrowse[len(sharedBrowse)-1:], fds: 2}}},
		{"fd that is not a socket", []chunk{{b: connReq}, {b: sharedBrowse[:len(sharedBrowse)-1]}, {b: sharedBrowse[len(sharedBrowse)-1:], fd: int(pw.Fd())}}},
		{"named error-return socket", []chunk{{b: connReq}, {b: named}}},
	}
	fake := daemontest.New()
	srv, path := startServer(t, fake, nil)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, path)
			c.sendChunks(tc.chunks)
			// Whatever the daemon answered before the bad input, it
			// must then close the connection.
			for {
				it, err := c.next()
				if err != nil {
					break
				}
				if it.Kind == ipc.ItemReply && it.Reply.Body != nil {
					t.Fatalf("unexpected reply %v", it.Reply.Header.Op)
				}
			}
			waitDropped(t, srv, uint64(i+1))
			checkServes(t, path)
		})
	}
}

// waitDropped waits until the server counted n dropped clients.
func waitDropped(t *testing.T, srv *Server, n uint64) {
	t.Helper()
	for range 500 {
		if srv.Stats().Dropped >= n {
			return
		}
		sleepBriefly()
	}
	t.Fatalf("dropped = %d, want %d", srv.Stats().Dropped, n)
}

// checkServes makes a getproperty round trip on a new connection.
func checkServes(t *testing.T, path string) {
	t.Helper()
	c := dial(t, path)
	c.send(encode(t, ipc.Request{Body: ipc.GetPropertyRequest{Property: ipc.PropertyDaemonVersion}}))
	c.cs.ExpectProperty()
	it := c.mustNext()
	if v, ok := it.Property.Uint32(); it.Kind != ipc.ItemProperty || !ok || v != DaemonVersion {
		t.Fatalf("after the bad client: got %s %+v", describe(it), it.Property)
	}
}

// TestShortHeaderThenEOF: a client that sends part of a header and closes
// is just gone; its connection ends and nothing else is affected.
func TestShortHeaderThenEOF(t *testing.T) {
	fake := daemontest.New()
	_, path := startServer(t, fake, nil)
	c := dial(t, path)
	c.send(rawHeader(1, 0, 0, ipc.OpConnectionRequest)[:10])
	c.closeWrite()
	c.expectEOF()
	checkServes(t, path)
}
