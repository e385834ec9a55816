//go:build unix

package daemon

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rendezvous-mdns/rendezvous/internal/daemon/daemontest"
	"github.com/rendezvous-mdns/rendezvous/internal/ipc"
)

// ioTimeout bounds every wait of the tests for the daemon.
const ioTimeout = 5 * time.Second

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("DAEMON_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// startServer serves fake on a Unix socket in a temp dir until the test
// ends. configure may set limits before serving.
func startServer(t testing.TB, fake *daemontest.Backend, configure func(*Server)) (*Server, string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "rdvd") // short: socket paths are limited to 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "s")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	srv := &Server{Backend: fake, Logger: testLogger(t), DefaultName: "testhost"}
	if configure != nil {
		configure(srv)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
		fake.Close()
	})
	return srv, path
}

// client is one test connection to the daemon.
type client struct {
	t  testing.TB
	c  *net.UnixConn
	cs ipc.ClientStream
}

func dial(t testing.TB, path string) *client {
	t.Helper()
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{t: t, c: c}
}

// send writes a frame with no descriptor.
func (c *client) send(frame []byte) {
	c.t.Helper()
	if _, err := c.c.Write(frame); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// sendWithErrSocket sends a frame the way libdns_sd does (README "Error
// return", item 2): a socketpair, all but the last byte with a plain
// write, the last byte alone with one end attached by SCM_RIGHTS. It
// returns the other end, from which the error code is read.
func (c *client) sendWithErrSocket(frame []byte) *errSocket {
	c.t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		c.t.Fatal(err)
	}
	if len(frame) > 1 {
		if _, err := c.c.Write(frame[:len(frame)-1]); err != nil {
			c.t.Fatalf("write: %v", err)
		}
	}
	if _, _, err := c.c.WriteMsgUnix(frame[len(frame)-1:], unix.UnixRights(fds[0]), nil); err != nil {
		c.t.Fatalf("sendmsg: %v", err)
	}
	unix.Close(fds[0])
	return newErrSocket(c.t, fds[1])
}

// closeWrite is the client's "eof": the daemon reads EOF, and the client
// can still see the daemon close its end.
func (c *client) closeWrite() {
	if err := c.c.CloseWrite(); err != nil {
		c.t.Fatalf("shutdown: %v", err)
	}
}

// next reads the next item the daemon sends on the main socket.
func (c *client) next() (ipc.Item, error) {
	buf := make([]byte, 4096)
	deadline := time.Now().Add(ioTimeout)
	for {
		it, err := c.cs.Next()
		if err == nil {
			return it, nil
		}
		if !errors.Is(err, ipc.ErrNeedMore) {
			return it, err
		}
		c.c.SetReadDeadline(deadline)
		n, err := c.c.Read(buf[:min(len(buf), c.cs.Free())])
		c.cs.Feed(buf[:n])
		if err != nil && n == 0 {
			return ipc.Item{}, err
		}
	}
}

// mustNext reads an item and fails the test on any error.
func (c *client) mustNext() ipc.Item {
	c.t.Helper()
	it, err := c.next()
	if err != nil {
		c.t.Fatalf("reading from the daemon: %v", err)
	}
	return it
}

// expectCode reads a bare error code from the main socket.
func (c *client) expectCode(want ipc.Error) {
	c.t.Helper()
	it := c.mustNext()
	if it.Kind != ipc.ItemErrorCode || it.Code != want {
		c.t.Fatalf("got %s, want error code %v", describe(it), want)
	}
}

// expectReply reads a reply frame.
func (c *client) expectReply() ipc.Reply {
	c.t.Helper()
	it := c.mustNext()
	if it.Kind != ipc.ItemReply || it.Reply.Body == nil {
		c.t.Fatalf("got %s, want a reply", describe(it))
	}
	return it.Reply
}

// expectEOF waits for the daemon to close the connection.
func (c *client) expectEOF() {
	c.t.Helper()
	it, err := c.next()
	if err == nil {
		c.t.Fatalf("got %s, want the daemon to close the connection", describe(it))
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, unix.ECONNRESET) {
		c.t.Fatalf("got %v, want EOF", err)
	}
}

// expectQuiet checks that nothing arrives for d.
func (c *client) expectQuiet(d time.Duration) {
	c.t.Helper()
	if c.cs.Buffered() > 0 {
		c.t.Fatalf("%d unexpected bytes buffered", c.cs.Buffered())
	}
	c.c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 64)
	n, err := c.c.Read(buf)
	if n > 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		c.t.Fatalf("expected silence, got %d bytes, %v", n, err)
	}
	c.c.SetReadDeadline(time.Time{})
}

func describe(it ipc.Item) string {
	switch it.Kind {
	case ipc.ItemErrorCode:
		return "error code " + it.Code.Error()
	case ipc.ItemReply:
		if it.Reply.Body == nil {
			return "undecodable reply"
		}
		return "reply " + it.Reply.Header.Op.String()
	case ipc.ItemProperty:
		return "property answer"
	}
	return "nothing"
}

// errSocket is the client's end of an error-return socketpair.
type errSocket struct {
	t testing.TB
	c net.Conn
}

func newErrSocket(t testing.TB, fd int) *errSocket {
	f := os.NewFile(uintptr(fd), "errsd")
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &errSocket{t: t, c: c}
}

// code reads the 4-byte error code.
func (e *errSocket) code() (ipc.Error, error) {
	var b [4]byte
	e.c.SetReadDeadline(time.Now().Add(ioTimeout))
	if _, err := io.ReadFull(e.c, b[:]); err != nil {
		return 0, err
	}
	return ipc.DecodeErrorCode(b[:])
}

func (e *errSocket) expectCode(want ipc.Error) {
	e.t.Helper()
	got, err := e.code()
	if err != nil || got != want {
		e.t.Fatalf("error socket: got %v, %v; want %v", got, err, want)
	}
}

// eof reports whether the daemon closed the socket with nothing more.
func (e *errSocket) eof() error {
	e.c.SetReadDeadline(time.Now().Add(ioTimeout))
	var b [1]byte
	n, err := e.c.Read(b[:])
	if n != 0 || !errors.Is(err, io.EOF) {
		return errors.New("error socket not closed after the code")
	}
	return nil
}

// encode encodes a request or fails the test.
func encode(t testing.TB, r ipc.Request) []byte {
	t.Helper()
	b, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ctxOf returns a client_context as libdns_sd writes it on x86-64: a
// little-endian counter.
func ctxOf(n byte) [8]byte { return [8]byte{n} }

// waitFor waits for the fake backend to reach a state.
func waitFor(t testing.TB, fake *daemontest.Backend, what string, cond func(daemontest.Snapshot) bool) daemontest.Snapshot {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
	defer cancel()
	s, err := fake.WaitFor(ctx, cond)
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
	return s
}

// sleepBriefly waits a little while polling a condition.
func sleepBriefly() { time.Sleep(10 * time.Millisecond) }
