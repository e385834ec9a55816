//go:build !unix

package daemon

import (
	"errors"
	"net"
	"sync/atomic"
	"time"
)

// Without SCM_RIGHTS no error-return socket can be passed, so requests
// that need one are refused by the session as protocol violations. The
// TCP transport Bonjour for Windows uses is not implemented yet.
type plainTransport struct{ c *net.UnixConn }

func newUnixTransport(c *net.UnixConn, _ *atomic.Uint64) transport { return &plainTransport{c: c} }

func (t *plainTransport) read(p []byte) (int, []errChannel, error) {
	n, err := t.c.Read(p)
	return n, nil, err
}

func (t *plainTransport) write(p []byte, deadline time.Time) (int, error) {
	if err := t.c.SetWriteDeadline(deadline); err != nil {
		return 0, err
	}
	return t.c.Write(p)
}

func (t *plainTransport) dialErrReturn(string) (errChannel, error) {
	return nil, errors.New("error-return channels are not supported on this platform")
}

func (t *plainTransport) close() error { return t.c.Close() }
