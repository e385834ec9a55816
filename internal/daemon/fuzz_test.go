//go:build unix

package daemon

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/rendezvous-mdns/rendezvous/internal/daemon/daemontest"
	"github.com/rendezvous-mdns/rendezvous/internal/ipc"
)

// memTransport is a transport over bytes in memory: the fuzz target feeds
// a client's whole request stream through a session without sockets.
// Descriptors are fake error channels attached to chosen bytes; a read
// ends at such a byte, as a Unix stream read does.
type memTransport struct {
	data []byte
	fdAt map[int]int // byte offset → number of descriptors on it
	pos  int

	mu     sync.Mutex
	closed bool
	chans  []*memChan
}

func (t *memTransport) read(p []byte) (int, []errChannel, error) {
	if t.pos >= len(t.data) {
		return 0, nil, io.EOF
	}
	end := len(t.data)
	for q := range t.fdAt {
		if q >= t.pos && q+1 < end {
			end = q + 1
		}
	}
	n := copy(p, t.data[t.pos:end])
	t.pos += n
	var passed []errChannel
	if k := t.fdAt[t.pos-1]; k > 0 && n > 0 {
		t.mu.Lock()
		for range k {
			c := &memChan{fail: len(t.chans)%3 == 2}
			t.chans = append(t.chans, c)
			passed = append(passed, c)
		}
		t.mu.Unlock()
		delete(t.fdAt, t.pos-1)
	}
	return n, passed, nil
}

func (t *memTransport) write(p []byte, deadline time.Time) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return 0, errors.New("closed")
	}
	return len(p), nil
}

func (t *memTransport) dialErrReturn(path string) (errChannel, error) {
	return nil, errors.New("no named sockets here")
}

func (t *memTransport) close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	return nil
}

// memChan is a fake error-return socket that counts how often it was
// closed; some fail to take the code, like a client that closed its end.
type memChan struct {
	mu     sync.Mutex
	codes  int
	closes int
	fail   bool
}

func (c *memChan) writeCode(ipc.Error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.codes++
	if c.fail {
		return errors.New("peer gone")
	}
	return nil
}

func (c *memChan) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closes++
	return nil
}

// fuzzSeeds returns each recorded connection's client→daemon stream with
// the offsets of the bytes that carried descriptors.
func fuzzSeeds(tb testing.TB) (streams [][]byte, fds [][]byte) {
	paths, _ := filepath.Glob(filepath.Join(transcriptDir, "*.json"))
	sort.Strings(paths)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		var tr transcript
		if err := json.Unmarshal(data, &tr); err != nil {
			tb.Fatal(err)
		}
		byConn := map[int][]byte{}
		fdByConn := map[int][]byte{}
		for _, f := range tr.Frames {
			if f.Dir != "c2s" || f.Kind != "request" {
				continue
			}
			b, _ := hex.DecodeString(f.Hex)
			byConn[f.Conn] = append(byConn[f.Conn], b...)
			if f.SCMRights {
				fdByConn[f.Conn] = binary.BigEndian.AppendUint16(fdByConn[f.Conn], uint16(len(byConn[f.Conn])-1))
			}
		}
		for c, s := range byConn {
			streams = append(streams, s)
			fds = append(fds, fdByConn[c])
		}
	}
	return streams, fds
}

// FuzzSession feeds arbitrary bytes, with fake descriptors on arbitrary
// bytes, as one client's stream through the server's per-connection
// handler over the fake Backend. It must never panic or hang, must stop
// every operation it started, and must close every descriptor exactly
// once.
func FuzzSession(f *testing.F) {
	streams, fds := fuzzSeeds(f)
	for i := range streams {
		f.Add(streams[i], fds[i])
	}
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, []byte{0, 3})
	f.Fuzz(func(t *testing.T, stream []byte, fdPos []byte) {
		fake := daemontest.New()
		fake.AddRecord("", &dns.PTR{Hdr: dns.RR_Header{Name: "_goldtest._tcp.local.", Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: 4500},
			Ptr: `Golden\ Service._goldtest._tcp.local.`})
		fake.AddRecord("", &dns.A{Hdr: dns.RR_Header{Name: "apx-a.local.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 120}, A: []byte{10, 66, 0, 1}})
		srv := &Server{Backend: fake, Logger: testLogger(t), DefaultName: "fuzz", MaxOpsPerClient: 4, MaxQueuedBytes: 4096}
		tr := &memTransport{data: stream, fdAt: map[int]int{}}
		for i := 0; i+1 < len(fdPos) && len(stream) > 0; i += 2 {
			tr.fdAt[int(binary.BigEndian.Uint16(fdPos[i:]))%len(stream)]++
		}
		sess := newSession(srv, tr)
		done := make(chan struct{})
		go func() {
			sess.run()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("session did not end after its input did")
		}
		st := fake.Snapshot()
		if st.Active() != 0 || st.ActiveQueries != 0 {
			t.Fatalf("operations left in the Backend: %+v", st)
		}
		for i, c := range tr.chans {
			if c.closes != 1 || c.codes > 1 {
				t.Fatalf("descriptor %d closed %d times, %d codes written", i, c.closes, c.codes)
			}
		}
		fake.Close()
	})
}
