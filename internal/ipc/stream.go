package ipc

import (
	"bytes"
	"encoding/binary"
)

// framer is the bounded input buffer shared by the two stream types. It
// never holds more than MaxFrameLen bytes, and it keeps the first framing
// error: after one, the byte stream cannot be resynchronised.
type framer struct {
	buf []byte
	err error
}

const minBufCap = 512

func (f *framer) free() int {
	if f.err != nil {
		return 0
	}
	return MaxFrameLen - len(f.buf)
}

func (f *framer) feed(p []byte) int {
	n := min(len(p), f.free())
	if n == 0 {
		return 0
	}
	if cap(f.buf)-len(f.buf) < n {
		c := min(max(2*cap(f.buf), len(f.buf)+n, minBufCap), MaxFrameLen)
		nb := make([]byte, len(f.buf), c)
		copy(nb, f.buf)
		f.buf = nb
	}
	f.buf = append(f.buf, p[:n]...)
	return n
}

// take removes the first n buffered bytes and returns a copy of them.
func (f *framer) take(n int) []byte {
	out := bytes.Clone(f.buf[:n])
	m := copy(f.buf, f.buf[n:])
	f.buf = f.buf[:m]
	if m == 0 && cap(f.buf) > 4*minBufCap {
		f.buf = nil // give back the memory of a large frame
	}
	return out
}

func (f *framer) fail(err error) error {
	f.err = err
	f.buf = nil
	return err
}

// checkHeaderPrefix checks as much of a header as is buffered, so that a bad
// version or length is reported without waiting for the whole header.
func (f *framer) checkHeaderPrefix() error {
	if len(f.buf) >= 4 && binary.BigEndian.Uint32(f.buf) != ProtocolVersion {
		return f.fail(&DecodeError{Field: "version", Offset: 0, Err: ErrVersion})
	}
	if len(f.buf) >= 8 && binary.BigEndian.Uint32(f.buf[4:]) > MaxDataLen {
		return f.fail(&DecodeError{Field: "datalen", Offset: 4, Err: ErrTooLong})
	}
	return nil
}

// nextFrame returns the next complete header+body frame, ErrNeedMore, or a
// sticky framing error.
func (f *framer) nextFrame() ([]byte, error) {
	if err := f.checkHeaderPrefix(); err != nil {
		return nil, err
	}
	if len(f.buf) < HeaderLen {
		return nil, ErrNeedMore
	}
	n := HeaderLen + int(binary.BigEndian.Uint32(f.buf[4:]))
	if len(f.buf) < n {
		return nil, ErrNeedMore
	}
	return f.take(n), nil
}

// RequestStream cuts the client→daemon byte stream of one connection into
// request frames (a 28-byte header, then datalen bytes), for a daemon. It is
// sans-IO: the caller reads the socket and feeds the bytes in.
//
// It never buffers more than MaxFrameLen bytes. Feed accepts only what fits;
// when it accepts less than offered the buffer holds at least one complete
// frame (or a framing error), so calling Next until ErrNeedMore and feeding
// the rest always makes progress:
//
//	for len(p) > 0 {
//		n := s.Feed(p)
//		p = p[n:]
//		for {
//			frame, err := s.Next()
//			if err == ipc.ErrNeedMore {
//				break
//			}
//			if err != nil {
//				return err // drop the connection
//			}
//			req, err := ipc.DecodeRequest(frame, shared)
//			...
//		}
//	}
//
// The zero value is ready to use.
type RequestStream struct {
	f framer
}

// Feed appends up to Free bytes of p to the buffer and returns how many it
// took. It takes nothing after a framing error.
func (s *RequestStream) Feed(p []byte) int { return s.f.feed(p) }

// Free returns how many more bytes Feed would accept now.
func (s *RequestStream) Free() int { return s.f.free() }

// Buffered returns the number of buffered bytes not yet returned by Next.
func (s *RequestStream) Buffered() int { return len(s.f.buf) }

// Err returns the framing error that stopped the stream, or nil.
func (s *RequestStream) Err() error { return s.f.err }

// Next returns the next complete request frame, as a copy that the caller
// owns, ready for DecodeRequest. It returns ErrNeedMore when the buffer ends
// inside a frame. A version other than ProtocolVersion (ErrVersion) or a
// datalen over MaxDataLen (ErrTooLong) is reported as soon as those header
// words are buffered; such errors are sticky, since the stream cannot be
// resynchronised. Next does not look at the op or the body.
func (s *RequestStream) Next() ([]byte, error) {
	if s.f.err != nil {
		return nil, s.f.err
	}
	return s.f.nextFrame()
}

// ItemKind says what a ClientStream item is.
type ItemKind uint8

// The kinds of item on the daemon→client main socket.
const (
	// ItemErrorCode is a bare 4-byte error code (README "Error return",
	// item 1).
	ItemErrorCode ItemKind = iota + 1
	// ItemReply is a reply frame with a header.
	ItemReply
	// ItemProperty is the headerless getproperty answer, returned only
	// after ExpectProperty.
	ItemProperty
)

// Item is one unit of the daemon→client byte stream.
type Item struct {
	Kind ItemKind
	// Raw holds the item's exact bytes (a copy the caller owns).
	Raw []byte
	// Code is the error code of an ItemErrorCode.
	Code Error
	// Reply is the decoded frame of an ItemReply, when it decoded.
	Reply Reply
	// Property is the decoded answer of an ItemProperty.
	Property PropertyReply
}

// ClientStream cuts the daemon→client byte stream of one main socket into
// items, for a client. It is sans-IO: the caller reads the socket and feeds
// the bytes in. Bare error codes and reply frames are told apart by their
// first word (README "Error return", item 1): a reply starts with the version
// 00 00 00 01, an error code is 0 or negative. The getproperty answer cannot
// be told apart that way, so the caller, which knows when it sent a
// getproperty_request, calls ExpectProperty first.
//
// It never buffers more than MaxFrameLen bytes; Feed and Free work as for
// RequestStream. The zero value is ready to use.
type ClientStream struct {
	f            framer
	wantProperty bool
}

// Feed appends up to Free bytes of p to the buffer and returns how many it
// took. It takes nothing after a framing error.
func (s *ClientStream) Feed(p []byte) int { return s.f.feed(p) }

// Free returns how many more bytes Feed would accept now.
func (s *ClientStream) Free() int { return s.f.free() }

// Buffered returns the number of buffered bytes not yet returned by Next.
func (s *ClientStream) Buffered() int { return len(s.f.buf) }

// Err returns the framing error that stopped the stream, or nil.
func (s *ClientStream) Err() error { return s.f.err }

// ExpectProperty says that the next item is a getproperty answer (error
// int32, length u32, value) rather than an error code or a reply.
func (s *ClientStream) ExpectProperty() { s.wantProperty = true }

// Next returns the next complete item, or ErrNeedMore when the buffer ends
// inside one.
//
// Framing errors are sticky and reported as soon as the words that show
// them are buffered: a first word that is positive but not the version
// (ErrVersion), or a datalen or getproperty length over MaxDataLen
// (ErrTooLong). A reply frame that is well delimited but whose body does not
// decode is consumed and returned as an ItemReply with Raw set, together with
// the decoding error; the stream stays usable (Err stays nil), and the caller
// decides whether to go on.
func (s *ClientStream) Next() (Item, error) {
	if s.f.err != nil {
		return Item{}, s.f.err
	}
	buf := s.f.buf
	if s.wantProperty {
		if len(buf) < PropertyReplyHeaderLen {
			return Item{}, ErrNeedMore
		}
		n := binary.BigEndian.Uint32(buf[4:])
		if n > MaxDataLen {
			return Item{}, s.f.fail(&DecodeError{Field: "length", Offset: 4, Err: ErrTooLong})
		}
		if len(buf) < PropertyReplyHeaderLen+int(n) {
			return Item{}, ErrNeedMore
		}
		raw := s.f.take(PropertyReplyHeaderLen + int(n))
		s.wantProperty = false
		p, err := DecodePropertyReply(raw)
		return Item{Kind: ItemProperty, Raw: raw, Property: p}, err
	}
	if len(buf) < 4 {
		return Item{}, ErrNeedMore
	}
	switch w := int32(binary.BigEndian.Uint32(buf)); {
	case w <= 0:
		raw := s.f.take(ErrorCodeLen)
		return Item{Kind: ItemErrorCode, Raw: raw, Code: Error(w)}, nil
	case w == ProtocolVersion:
		raw, err := s.f.nextFrame()
		if err != nil {
			return Item{}, err
		}
		rep, err := DecodeReply(raw)
		return Item{Kind: ItemReply, Raw: raw, Reply: rep}, err
	default:
		return Item{}, s.f.fail(&DecodeError{Field: "first word", Offset: 0, Err: ErrVersion})
	}
}
