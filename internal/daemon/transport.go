package daemon

import (
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rendezvous-mdns/rendezvous/internal/ipc"
)

// transport is a session's view of one client connection. The session
// reads the request stream, learns which bytes carried passed file
// descriptors, and writes replies. A Unix socket is the only transport
// today; a TCP one would read no descriptors and implement dialErrReturn
// (README "Error return": the TCP variant names a port to connect back to).
type transport interface {
	// read reads request bytes into p. passed holds the error-return
	// channels (sockets passed with SCM_RIGHTS) that came with them: the
	// kernel hands them over with the read that returns the byte they
	// rode on, and a Unix stream read ends right after such a byte, so
	// they belong to the last byte read. A control message that cannot
	// be read completely is an error wrapping errBadControl.
	read(p []byte) (n int, passed []errChannel, err error)
	// write writes p, failing once deadline passes.
	write(p []byte, deadline time.Time) (int, error)
	// dialErrReturn opens the error-return channel that a non-empty
	// placeholder names (the legacy named-socket variant, or a TCP port).
	dialErrReturn(path string) (errChannel, error)
	// close closes the connection; a blocked read or write returns.
	close() error
}

// errChannel is a request's error-return socket (README "Error return",
// item 2): the daemon writes the 4-byte error code on it and closes it.
type errChannel interface {
	writeCode(code ipc.Error) error
	close() error
}

// errBadControl reports a control message that the session must treat as
// a protocol violation: truncated, not SCM_RIGHTS, or an fd that is not a
// stream socket.
var errBadControl = errors.New("bad control message")

// maxFDsPerRead is how many descriptors one read may carry. libdns_sd
// sends one per request, and a read ends after the byte that carries
// descriptors, so one is the most a correct client sends; a little room
// lets the session see (and refuse) more instead of losing them to
// MSG_CTRUNC.
const maxFDsPerRead = 4

type unixTransport struct {
	c      *net.UnixConn
	oob    []byte
	passed *atomic.Uint64
}

func newUnixTransport(c *net.UnixConn, passed *atomic.Uint64) *unixTransport {
	return &unixTransport{c: c, oob: make([]byte, unix.CmsgSpace(4*maxFDsPerRead)), passed: passed}
}

func (t *unixTransport) read(p []byte) (int, []errChannel, error) {
	n, oobn, flags, _, err := t.c.ReadMsgUnix(p, t.oob)
	if oobn == 0 && flags&unix.MSG_CTRUNC == 0 {
		return n, nil, err
	}
	fds, perr := parseRights(t.oob[:oobn])
	passed := make([]errChannel, 0, len(fds))
	for _, fd := range fds {
		passed = append(passed, &fdChannel{fd: fd})
	}
	t.passed.Add(uint64(len(fds)))
	if perr == nil && flags&unix.MSG_CTRUNC != 0 {
		perr = fmt.Errorf("%w: control data truncated", errBadControl)
	}
	if perr == nil {
		for _, fd := range fds {
			if typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE); err != nil || typ != unix.SOCK_STREAM {
				perr = fmt.Errorf("%w: passed fd is not a stream socket", errBadControl)
				break
			}
		}
	}
	if perr != nil {
		for _, c := range passed {
			c.close()
		}
		return n, nil, perr
	}
	return n, passed, err
}

// parseRights returns every descriptor in the control messages; anything
// but SCM_RIGHTS is an error (after collecting what can be closed).
func parseRights(oob []byte) ([]int, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errBadControl, err)
	}
	var fds []int
	var bad error
	for _, m := range msgs {
		if m.Header.Level != unix.SOL_SOCKET || m.Header.Type != unix.SCM_RIGHTS {
			bad = fmt.Errorf("%w: control message level %d type %d", errBadControl, m.Header.Level, m.Header.Type)
			continue
		}
		got, err := unix.ParseUnixRights(&m)
		if err != nil {
			bad = fmt.Errorf("%w: %v", errBadControl, err)
			continue
		}
		fds = append(fds, got...)
	}
	return fds, bad
}

func (t *unixTransport) write(p []byte, deadline time.Time) (int, error) {
	if err := t.c.SetWriteDeadline(deadline); err != nil {
		return 0, err
	}
	return t.c.Write(p)
}

// dialErrReturn refuses the named-socket variant: no recorded client uses
// it (README "Error return": "No second listening socket"), and connecting
// to a path a client chooses would let it make the daemon open arbitrary
// sockets.
func (t *unixTransport) dialErrReturn(path string) (errChannel, error) {
	return nil, fmt.Errorf("named error-return socket %q not supported", path)
}

func (t *unixTransport) close() error { return t.c.Close() }

// fdChannel is an error-return socket passed with SCM_RIGHTS.
type fdChannel struct {
	fd     int
	closed bool
}

// writeCode sends the code without blocking and without SIGPIPE: a fresh
// socketpair always has room for 4 bytes, and a client that closed its end
// early loses only its own error code.
func (c *fdChannel) writeCode(code ipc.Error) error {
	b := ipc.AppendErrorCode(nil, code)
	for len(b) > 0 {
		n, err := unix.SendmsgN(c.fd, b, nil, nil, unix.MSG_NOSIGNAL|unix.MSG_DONTWAIT)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func (c *fdChannel) close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	return unix.Close(c.fd)
}
