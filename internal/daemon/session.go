package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rendezvous-mdns/rendezvous/internal/ipc"
)

// connKind is what a connection's first request made it (package doc,
// "Connections").
type connKind int

const (
	connFresh     connKind = iota // no request yet
	connShared                    // connection_request: sub-operations by client_context
	connDedicated                 // one operation, then record operations on it
	connOneShot                   // reconfirm or getproperty: nothing more to do
)

// readBufLen is the size of one read from a client.
const readBufLen = 16 << 10

// pendingFD is a passed descriptor waiting for the request whose last byte
// it rode on; pos is that byte's offset in the connection's stream.
type pendingFD struct {
	pos int64
	ch  errChannel
}

// session serves one client connection. Its run method reads and handles
// the requests in order (README "Ordering": "Requests on one connection are
// handled strictly in order"); operations run in goroutines of their own
// and queue replies for the writer goroutine.
type session struct {
	srv *Server
	t   transport
	log *slog.Logger

	ctx       context.Context // ends when the session ends
	cancel    context.CancelFunc
	abortOnce sync.Once
	dropped   atomic.Bool

	// Owned by run's goroutine.
	stream   ipc.RequestStream
	fed      int64 // stream bytes read so far
	consumed int64 // stream bytes of the frames handled so far
	pending  []pendingFD
	kind     connKind
	first    operation // a dedicated connection's operation; nil if it failed

	mu  sync.Mutex
	ops map[[8]byte]operation // by client_context

	opsWG sync.WaitGroup // goroutines of operations
	out   *outQueue
}

func newSession(srv *Server, t transport) *session {
	ctx, cancel := context.WithCancel(context.Background())
	return &session{
		srv: srv, t: t, log: srv.logger().With("conn", srv.nextID.Add(1)),
		ctx: ctx, cancel: cancel,
		ops: map[[8]byte]operation{},
		out: newOutQueue(srv.maxQueued()),
	}
}

// abort ends the session from any goroutine: operations are cancelled and
// the connection is closed, so run's read returns.
func (s *session) abort(reason string) {
	s.abortOnce.Do(func() {
		s.log.Debug("daemon: ending connection", "reason", reason)
		s.cancel()
		s.t.close()
	})
}

// drop ends the session because of the client: a protocol violation, a
// full reply queue or a write that timed out.
func (s *session) drop(reason string, err error) {
	if s.dropped.CompareAndSwap(false, true) {
		s.srv.dropped.Add(1)
	}
	s.log.Debug("daemon: dropping client", "reason", reason, "err", err)
	s.abort(reason)
}

// run serves the connection until the client closes it, breaks the
// protocol or the session is aborted; then it stops every operation
// (registrations withdraw with goodbyes), flushes what the writer holds
// and closes the connection. It returns when all of the session's
// goroutines are done.
func (s *session) run() {
	var writer sync.WaitGroup
	writer.Go(s.writeLoop)

	s.readLoop()

	// Mute every operation before any stops: a registration withdrawn
	// here must not show up as a removal in a browse of the same
	// connection, which is going away too.
	s.mu.Lock()
	ops := s.ops
	s.ops = map[[8]byte]operation{}
	s.mu.Unlock()
	for _, o := range ops {
		o.mute()
	}
	s.cancel()
	for _, o := range ops {
		o.stop()
	}
	s.opsWG.Wait()
	for _, p := range s.pending {
		p.ch.close()
	}
	s.pending = nil
	s.out.close()
	writer.Wait()
	s.t.close()
}

func (s *session) readLoop() {
	buf := make([]byte, readBufLen)
	for {
		free := s.stream.Free()
		if free == 0 {
			s.drop("protocol violation", errors.New("request stream stalled"))
			return
		}
		n, passed, err := s.t.read(buf[:min(len(buf), free)])
		if errors.Is(err, errBadControl) {
			s.drop("protocol violation", err)
			return
		}
		if n > 0 || len(passed) > 0 {
			if verr := s.consume(buf[:n], passed); verr != nil {
				s.drop("protocol violation", verr)
				return
			}
		}
		if err != nil {
			if s.ctx.Err() == nil && !errors.Is(err, io.EOF) {
				s.log.Debug("daemon: read failed", "err", err)
			}
			return
		}
		if s.ctx.Err() != nil {
			return
		}
	}
}

// consume feeds bytes read from the client, with the descriptors that came
// with their last byte, and handles every request they complete.
func (s *session) consume(p []byte, passed []errChannel) error {
	if len(passed) > 0 {
		if len(p) == 0 {
			for _, c := range passed {
				c.close()
			}
			return errors.New("file descriptor without data")
		}
		pos := s.fed + int64(len(p)) - 1
		for _, c := range passed {
			s.pending = append(s.pending, pendingFD{pos, c})
		}
	}
	if n := s.stream.Feed(p); n != len(p) {
		return fmt.Errorf("request stream took %d of %d bytes", n, len(p))
	}
	s.fed += int64(len(p))
	for {
		frame, err := s.stream.Next()
		if errors.Is(err, ipc.ErrNeedMore) {
			return nil
		}
		if err != nil {
			return err
		}
		s.consumed += int64(len(frame))
		ch, err := s.takeFD(s.consumed - 1)
		if err != nil {
			return err
		}
		if err := s.handle(frame, ch); err != nil {
			return err
		}
		if s.ctx.Err() != nil {
			return nil // aborted meanwhile (e.g. the reply queue overflowed)
		}
	}
}

// takeFD returns the descriptor that rode on the byte at end, the last byte
// of a request, if any. The daemon drops a client whose descriptor arrived
// before the request's body was complete (README "Error return", item 2),
// or that sent several with one request.
func (s *session) takeFD(end int64) (errChannel, error) {
	i := 0
	for i < len(s.pending) && s.pending[i].pos <= end {
		i++
	}
	if i == 0 {
		return nil, nil
	}
	mine := append([]pendingFD(nil), s.pending[:i]...)
	s.pending = append(s.pending[:0], s.pending[i:]...)
	if len(mine) == 1 && mine[0].pos == end {
		return mine[0].ch, nil
	}
	for _, p := range mine {
		p.ch.close()
	}
	if mine[0].pos < end {
		return nil, errors.New("file descriptor arrived before the request was complete")
	}
	return nil, errors.New("several file descriptors with one request")
}

// handle decodes one request and picks its error-return channel (README
// "Error return"), then dispatches it. It owns ch. An error means the
// client broke the protocol.
func (s *session) handle(frame []byte, ch errChannel) error {
	req, err := ipc.DecodeRequest(frame, s.kind == connShared)
	if err != nil {
		if ch != nil {
			ch.close()
		}
		return err
	}
	er := &errReturn{s: s, key: req.Header.Context}
	switch {
	case req.HasErrReturn && req.ErrReturnPath == "":
		if ch == nil {
			return fmt.Errorf("%v: the placeholder says an error socket comes by SCM_RIGHTS, but none came", req.Header.Op)
		}
		er.ch = ch
	case req.HasErrReturn:
		if ch != nil {
			ch.close()
			return fmt.Errorf("%v: both a passed and a named error socket", req.Header.Op)
		}
		c, err := s.t.dialErrReturn(req.ErrReturnPath)
		if err != nil {
			return err
		}
		er.ch = c
	case ch != nil:
		ch.close()
		return fmt.Errorf("%v: a file descriptor came with a request that has no error-return placeholder", req.Header.Op)
	case req.Header.IPCFlags&ipc.NoErrSD != 0:
		er.async = true
	case s.kind == connFresh:
		er.main = true
	}
	defer er.release()
	return s.dispatch(req, er)
}

// dispatch applies one request to the connection's state (package doc,
// "Connections").
func (s *session) dispatch(req ipc.Request, er *errReturn) error {
	op := req.Header.Op
	switch s.kind {
	case connFresh:
		switch op {
		case ipc.OpConnectionRequest:
			s.kind = connShared
			er.report(ipc.NoError)
			return nil
		case ipc.OpReconfirmRecordRequest:
			// The Backend has no way to reconfirm a record (the engine
			// can, RFC 6762 §10.4, but dnssd.Backend does not expose
			// it); like Apple's daemon, answer 0 for a request that is
			// only a hint.
			s.kind = connOneShot
			er.report(ipc.NoError)
			return nil
		case ipc.OpGetPropertyRequest:
			s.kind = connOneShot
			s.queue(outItem{b: propertyAnswer(req.Body.(ipc.GetPropertyRequest))})
			return nil
		case ipc.OpEnumerationRequest, ipc.OpRegisterServiceRequest, ipc.OpBrowseRequest, ipc.OpResolveRequest,
			ipc.OpQueryRequest, ipc.OpPortMappingRequest, ipc.OpAddrInfoRequest:
			s.kind = connDedicated
			s.first = s.startOp(req, er)
			return nil
		}
		return fmt.Errorf("%v cannot be the first request of a connection", op)
	case connShared:
		switch op {
		case ipc.OpEnumerationRequest, ipc.OpRegisterServiceRequest, ipc.OpBrowseRequest, ipc.OpResolveRequest,
			ipc.OpQueryRequest, ipc.OpPortMappingRequest, ipc.OpAddrInfoRequest:
			s.startOp(req, er)
			return nil
		case ipc.OpRegisterRecordRequest:
			// Refused (package doc), after the interface check Apple's
			// daemon makes (register_record_queued.json).
			code := s.srv.checkInterface(req.Body.(ipc.RegisterRecordRequest).InterfaceIndex)
			if code == ipc.NoError {
				code = ipc.Unsupported
			}
			er.report(code)
			return nil
		case ipc.OpRemoveRecordRequest, ipc.OpAddRecordRequest, ipc.OpUpdateRecordRequest:
			s.mu.Lock()
			target := s.ops[req.Header.Context]
			s.mu.Unlock()
			s.recordOp(req, er, target)
			return nil
		case ipc.OpCancelRequest:
			s.cancelOp(req.Header.Context)
			return nil
		}
		return fmt.Errorf("%v on a shared connection", op)
	case connDedicated:
		switch op {
		case ipc.OpRemoveRecordRequest, ipc.OpAddRecordRequest, ipc.OpUpdateRecordRequest:
			s.recordOp(req, er, s.first)
			return nil
		}
		return fmt.Errorf("%v after the first request of a dedicated connection", op)
	}
	return fmt.Errorf("%v on a one-shot connection", op)
}

// startOp prepares an operation, reports its error code and, on success,
// starts it. The code goes out before the operation can queue a reply
// (README "Ordering": "The error code for a request is written before
// anything else about it").
func (s *session) startOp(req ipc.Request, er *errReturn) operation {
	key := req.Header.Context
	s.mu.Lock()
	_, dup := s.ops[key]
	n := len(s.ops)
	s.mu.Unlock()
	switch {
	case dup:
		er.report(ipc.BadParam) // a client_context already in use
		return nil
	case n >= s.srv.maxOps():
		er.report(ipc.NoMemory)
		return nil
	}
	base := s.newBase(req.Header)
	o, code := s.prepare(base, req.Body)
	if code != ipc.NoError {
		base.cancel()
		er.report(code)
		return nil
	}
	s.mu.Lock()
	s.ops[key] = o
	s.mu.Unlock()
	er.report(ipc.NoError)
	o.start()
	return o
}

// prepare checks a request and builds its operation without starting it.
func (s *session) prepare(base *opBase, body ipc.RequestBody) (operation, ipc.Error) {
	switch b := body.(type) {
	case ipc.RegisterServiceRequest:
		return s.prepareRegister(base, b)
	case ipc.BrowseRequest:
		return s.prepareBrowse(base, b)
	case ipc.ResolveRequest:
		return s.prepareResolve(base, b)
	case ipc.QueryRequest:
		return s.prepareQuery(base, b)
	case ipc.AddrInfoRequest:
		return s.prepareAddrInfo(base, b)
	case ipc.EnumerationRequest:
		return s.prepareEnumeration(base, b)
	}
	// port_mapping_request: NAT-PMP/PCP is not something the Backend does.
	return nil, ipc.Unsupported
}

// recordOp handles add, update and remove of a registration's records. Only
// an update of the primary TXT maps onto the Backend (UpdateTXT); the rest
// is refused with Unsupported (package doc).
func (s *session) recordOp(req ipc.Request, er *errReturn, target operation) {
	if u, ok := req.Body.(ipc.UpdateRecordRequest); ok && req.Header.RegIndex == ipc.RegIndexPrimaryTXT {
		r, ok := target.(*regOp)
		if !ok {
			er.report(ipc.BadReference)
			return
		}
		er.report(r.updateTXT(u.RData))
		return
	}
	er.report(ipc.Unsupported)
}

// cancelOp stops one sub-operation of a shared connection (README
// "Cancellation"). An unknown context is ignored: cancel_request has no
// reply and no error code.
func (s *session) cancelOp(key [8]byte) {
	s.mu.Lock()
	o := s.ops[key]
	delete(s.ops, key)
	s.mu.Unlock()
	if o != nil {
		o.stop()
	}
}

// queue hands an answer to the writer. A full queue means the client does
// not read: it is disconnected.
func (s *session) queue(it outItem) {
	if !s.out.push(it) && s.ctx.Err() == nil {
		s.drop("reply queue full: the client does not read", nil)
	}
}

// sendReply encodes and queues a reply frame for the operation key.
func (s *session) sendReply(key [8]byte, body ipc.ReplyBody) {
	b, err := ipc.Reply{Header: ipc.Header{Context: key}, Body: body}.Encode()
	if err != nil {
		s.log.Debug("daemon: reply cannot be encoded; not sent", "op", body.Op(), "err", err)
		return
	}
	s.queue(outItem{b: b, reply: true})
}

// writeLoop writes what the queue holds, a batch per write, until the
// queue is closed and empty. A write that fails or times out ends the
// session; the loop then only drains.
func (s *session) writeLoop() {
	var buf []byte
	failed := false
	for {
		items, ok := s.out.take()
		if !ok {
			return
		}
		if failed {
			continue
		}
		buf = batch(buf[:0], items)
		if _, err := s.t.write(buf, time.Now().Add(s.srv.writeTimeout())); err != nil {
			failed = true
			if s.ctx.Err() == nil {
				s.drop("write failed (a client that does not read is dropped after WriteTimeout)", err)
			}
		}
		if cap(buf) > 64<<10 {
			buf = nil
		}
	}
}

// errReturn is where a request's error code goes (README "Error return"):
// a passed socket, the main socket (first request of a connection), an
// async_error reply (NoErrSD), or nowhere (cancel).
type errReturn struct {
	s     *session
	key   [8]byte
	ch    errChannel
	main  bool
	async bool
	done  bool
}

// report sends the code once. On a passed socket it is written and the
// socket closed at once, before the operation starts.
func (e *errReturn) report(code ipc.Error) {
	if e.done {
		return
	}
	e.done = true
	switch {
	case e.ch != nil:
		if err := e.ch.writeCode(code); err != nil {
			e.s.log.Debug("daemon: error code not delivered", "err", err)
		}
		e.ch.close()
	case e.main:
		e.s.queue(outItem{b: ipc.AppendErrorCode(nil, code)})
	case e.async:
		if code != ipc.NoError {
			e.s.sendReply(e.key, ipc.AsyncErrorReply{ReplyCommon: ipc.ReplyCommon{Error: code}})
		}
	}
}

// release closes a passed socket that report did not use.
func (e *errReturn) release() {
	if e.ch != nil && !e.done {
		e.ch.close()
	}
}
