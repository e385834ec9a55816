package mdnsclient

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/rendezvous-mdns/rendezvous/internal/ipc"
)

// DefaultPath is the daemon's socket on macOS, and where `rendezvous
// daemon` listens by default.
const DefaultPath = "/var/run/mDNSResponder"

// SocketPath returns the socket a Config with this Path uses: path itself,
// else $DNSSD_UDS_PATH, else DefaultPath (libdns_sd's rule).
func SocketPath(path string) string {
	if path != "" {
		return path
	}
	if p := os.Getenv("DNSSD_UDS_PATH"); p != "" {
		return p
	}
	return DefaultPath
}

// Config configures a Backend.
type Config struct {
	// Path is the daemon's Unix socket; see SocketPath for the default.
	Path string
	// Logger receives the backend's logs; nil discards them.
	Logger *slog.Logger
}

// ioTimeout bounds a write to the daemon and the wait for an error code
// when the caller's context has no deadline: the daemon answers at once.
const ioTimeout = 10 * time.Second

// Backend is a client over one shared connection to a daemon. It is
// safe for concurrent use. Close it to end every operation.
type Backend struct {
	path string
	log  *slog.Logger
	conn *net.UnixConn

	wmu sync.Mutex // one request on the wire at a time

	mu      sync.Mutex
	ops     map[[8]byte]handler
	next    uint64
	closed  bool
	err     error         // why the connection ended
	done    chan struct{} // closed when the reader has ended every operation
	ifnames ifNames
}

// handler receives the replies of one operation, in the reader goroutine;
// it must not block. end is called once when the connection ends.
type handler interface {
	reply(r ipc.Reply)
	end(err error)
}

// New connects to the daemon and opens the shared connection
// (connection_request, answered by a bare error code on the socket).
func New(ctx context.Context, cfg Config) (*Backend, error) {
	path := SocketPath(cfg.Path)
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	conn, err := dial(ctx, path)
	if err != nil {
		return nil, err
	}
	b := &Backend{path: path, log: log, conn: conn, ops: map[[8]byte]handler{}, done: make(chan struct{})}
	var stream ipc.ClientStream
	frame, _ := ipc.Request{Body: ipc.ConnectionRequest{}}.Encode()
	item, err := exchange(ctx, conn, &stream, frame)
	if err != nil {
		conn.Close()
		return nil, &NotRunningError{Path: path, Err: fmt.Errorf("connection_request: %w", err)}
	}
	if item.Kind != ipc.ItemErrorCode {
		conn.Close()
		return nil, &NotRunningError{Path: path, Err: errors.New("connection_request: the answer was not an error code")}
	}
	if err := daemonErr("connect", path, item.Code); err != nil {
		conn.Close()
		return nil, err
	}
	go b.read(stream)
	return b, nil
}

// dial connects to the daemon's socket.
func dial(ctx context.Context, path string) (*net.UnixConn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, &NotRunningError{Path: path, Err: err}
	}
	return c.(*net.UnixConn), nil
}

// exchange writes a request on a connection of its own and reads the first
// item of the answer, bounded by ctx (or ioTimeout).
func exchange(ctx context.Context, conn *net.UnixConn, stream *ipc.ClientStream, frame []byte) (ipc.Item, error) {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(ioTimeout)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	conn.SetDeadline(deadline)
	defer conn.SetDeadline(time.Time{})
	if _, err := conn.Write(frame); err != nil {
		return ipc.Item{}, ctxErr(ctx, err)
	}
	buf := make([]byte, 512)
	for {
		it, err := stream.Next()
		if err == nil {
			return it, nil
		}
		if !errors.Is(err, ipc.ErrNeedMore) {
			return ipc.Item{}, err
		}
		n, err := conn.Read(buf[:min(len(buf), stream.Free())])
		stream.Feed(buf[:n])
		if err != nil && n == 0 {
			if errors.Is(err, io.EOF) {
				err = errors.New("the daemon closed the connection without answering")
			}
			return ipc.Item{}, ctxErr(ctx, err)
		}
	}
}

// ctxErr prefers the context's error over the I/O error it caused.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// read is the reader goroutine: it cuts the daemon's stream into replies
// and hands each to its operation by client_context, until the connection
// ends; then it ends every operation.
func (b *Backend) read(stream ipc.ClientStream) {
	buf := make([]byte, 16<<10)
	var fail error
	for fail == nil {
		n, err := b.conn.Read(buf[:min(len(buf), stream.Free())])
		stream.Feed(buf[:n])
		for fail == nil {
			it, nerr := stream.Next()
			if errors.Is(nerr, ipc.ErrNeedMore) {
				break
			}
			if nerr != nil && stream.Err() != nil {
				fail = fmt.Errorf("%w: %v", ErrConnectionLost, nerr)
				break
			}
			if nerr != nil {
				b.log.Debug("mdnsresponder: reply does not decode; skipped", "err", nerr)
				continue
			}
			if it.Kind != ipc.ItemReply {
				fail = fmt.Errorf("%w: unexpected error code %v on the shared connection", ErrConnectionLost, it.Code)
				break
			}
			b.mu.Lock()
			h := b.ops[it.Reply.Header.Context]
			b.mu.Unlock()
			if h != nil {
				h.reply(it.Reply)
			}
		}
		if fail == nil && err != nil {
			fail = fmt.Errorf("%w (%s): %v", ErrConnectionLost, b.path, err)
		}
	}
	b.mu.Lock()
	if b.closed {
		fail = ErrClosed
	}
	b.err = fail
	ops := b.ops
	b.ops = map[[8]byte]handler{}
	b.mu.Unlock()
	b.conn.Close()
	for _, h := range ops {
		h.end(fail)
	}
	close(b.done)
}

// Close closes the connection, which ends every operation in the daemon
// (registrations are withdrawn with goodbyes), and waits for the reader.
func (b *Backend) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.conn.Close()
	<-b.done
	return nil
}

// add registers an operation under a fresh client_context. libdns_sd
// writes a counter in host byte order; little-endian is used here on every
// host (the daemon only echoes it).
func (b *Backend) add(h handler) ([8]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil || b.closed {
		return [8]byte{}, b.errLocked()
	}
	b.next++
	var key [8]byte
	binary.LittleEndian.PutUint64(key[:], b.next)
	b.ops[key] = h
	return key, nil
}

func (b *Backend) errLocked() error {
	if b.closed {
		return ErrClosed
	}
	return b.err
}

// remove forgets an operation; it reports whether it was still there.
func (b *Backend) remove(key [8]byte) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.ops[key]
	delete(b.ops, key)
	return ok
}

// request sends a sub-operation request the way libdns_sd does (the
// protocol's "Error return" rules): the error-return placeholder, a fresh
// socketpair, every byte but the last with a plain write and the last
// byte alone with one end of the pair attached by SCM_RIGHTS; then it
// reads the 4-byte error code from the other end. The daemon writes the
// code and closes its end before it sends any reply for the request.
func (b *Backend) request(ctx context.Context, h ipc.Header, body ipc.RequestBody) (ipc.Error, error) {
	frame, err := ipc.Request{Header: h, HasErrReturn: true, Body: body}.Encode()
	if err != nil {
		return 0, err
	}
	theirs, errsd, err := errorSocketPair()
	if err != nil {
		return 0, fmt.Errorf("mdnsresponder: error-return socketpair: %w", err)
	}
	defer errsd.Close()
	err = b.write(frame, theirs, deadline(ctx))
	closeFD(theirs)
	if err != nil {
		return 0, ctxErr(ctx, err)
	}

	errsd.SetReadDeadline(deadline(ctx))
	stop := context.AfterFunc(ctx, func() { errsd.SetReadDeadline(time.Now()) })
	defer stop()
	var code [ipc.ErrorCodeLen]byte
	if _, err := io.ReadFull(errsd, code[:]); err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, fmt.Errorf("%w: the daemon closed the error-return socket without an error code", ErrConnectionLost)
		}
		return 0, fmt.Errorf("%w: no error code from the daemon: %v", ErrConnectionLost, err)
	}
	return ipc.DecodeErrorCode(code[:])
}

// deadline is ctx's deadline, or ioTimeout from now.
func deadline(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return time.Now().Add(ioTimeout)
}

// write sends one request frame; with fd >= 0 the frame's last byte goes
// alone with fd attached. A failed write leaves the stream cut inside a
// frame, so it ends the connection.
func (b *Backend) write(frame []byte, fd int, deadline time.Time) error {
	b.wmu.Lock()
	defer b.wmu.Unlock()
	b.mu.Lock()
	err := b.errLocked()
	b.mu.Unlock()
	if err != nil {
		return err
	}
	b.conn.SetWriteDeadline(deadline)
	if fd < 0 {
		_, err = b.conn.Write(frame)
	} else {
		n := len(frame)
		if _, err = b.conn.Write(frame[:n-1]); err == nil {
			_, _, err = b.conn.WriteMsgUnix(frame[n-1:], rights(fd), nil)
		}
	}
	if err != nil {
		b.conn.Close()
		return fmt.Errorf("%w: writing to %s: %v", ErrConnectionLost, b.path, err)
	}
	return nil
}

// cancel sends cancel_request for a sub-operation: a header only, no
// placeholder, no error code, no reply (the protocol's "Cancellation").
func (b *Backend) cancel(key [8]byte) {
	frame, _ := ipc.Request{Header: ipc.Header{Context: key}, Body: ipc.CancelRequest{}}.Encode()
	if err := b.write(frame, -1, time.Now().Add(ioTimeout)); err != nil {
		b.log.Debug("mdnsresponder: cancel_request not sent", "err", err)
	}
}
