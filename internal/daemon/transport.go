package daemon

import (
	"errors"
	"time"

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
