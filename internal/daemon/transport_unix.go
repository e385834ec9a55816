//go:build unix

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

// unixTransport is a client connection on a Unix socket, with the error
// channels passed by SCM_RIGHTS.
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
