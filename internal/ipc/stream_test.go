package ipc

import (
	"bytes"
	"errors"
	"testing"
)

func mustEncode(t testing.TB, enc func() ([]byte, error)) []byte {
	t.Helper()
	b, err := enc()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// drainRequests feeds in to s in chunks of size chunk and collects frames
// until the input is used up. It returns the first framing error.
func drainRequests(s *RequestStream, in []byte, chunk int) ([][]byte, error) {
	var out [][]byte
	for {
		n := s.Feed(in[:min(chunk, len(in))])
		in = in[n:]
		for {
			f, err := s.Next()
			if errors.Is(err, ErrNeedMore) {
				break
			}
			if err != nil {
				return out, err
			}
			out = append(out, f)
		}
		if len(in) == 0 || s.Err() != nil {
			return out, s.Err()
		}
	}
}

func TestRequestStream(t *testing.T) {
	a := mustEncode(t, Request{Body: ConnectionRequest{}}.Encode)
	b := mustEncode(t, Request{Header: Header{IPCFlags: NoErrSD, Context: ctx3}, Body: RegisterRecordRequest{Flags: FlagUnique, FullName: "a.local.", RRType: 1, RRClass: 1, RData: []byte{1, 2, 3, 4}, TTL: 120}}.Encode)
	c := mustEncode(t, Request{Body: GetPropertyRequest{Property: string(bytes.Repeat([]byte{'x'}, MaxDataLen-1))}}.Encode)
	all := bytes.Join([][]byte{a, b, b, c, a}, nil)
	for _, chunk := range []int{1, 2, 28, 29, 1000, len(all)} {
		var s RequestStream
		frames, err := drainRequests(&s, all, chunk)
		if err != nil {
			t.Fatalf("chunk %d: %v", chunk, err)
		}
		if got := bytes.Join(frames, nil); !bytes.Equal(got, all) || len(frames) != 5 {
			t.Fatalf("chunk %d: %d frames, joined equal %v", chunk, len(frames), bytes.Equal(got, all))
		}
		if s.Buffered() != 0 {
			t.Fatalf("chunk %d: %d buffered", chunk, s.Buffered())
		}
	}
}

func TestRequestStreamIncomplete(t *testing.T) {
	a := mustEncode(t, Request{Body: BrowseRequest{RegType: "_http._tcp"}}.Encode)
	var s RequestStream
	for i := 0; i < len(a)-1; i++ {
		s.Feed(a[i : i+1])
		if f, err := s.Next(); !errors.Is(err, ErrNeedMore) || f != nil {
			t.Fatalf("after %d bytes: %x, %v", i+1, f, err)
		}
	}
	s.Feed(a[len(a)-1:])
	if f, err := s.Next(); err != nil || !bytes.Equal(f, a) {
		t.Fatalf("last byte: %x, %v", f, err)
	}
}

func TestRequestStreamEarlyErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"version 2 after 4 bytes", []byte{0, 0, 0, 2}, ErrVersion},
		{"version 0", []byte{0, 0, 0, 0}, ErrVersion},
		{"datalen after 8 bytes", []byte{0, 0, 0, 1, 0, 1, 0x11, 0x71}, ErrTooLong}, // 70001
		{"huge datalen", []byte{0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF}, ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s RequestStream
			s.Feed(tt.in)
			_, err := s.Next()
			if !errors.Is(err, tt.want) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			// Sticky: further input is refused and the error stays.
			if n := s.Feed([]byte{0, 0, 0, 1}); n != 0 || s.Free() != 0 {
				t.Errorf("Feed after error took %d, Free %d", n, s.Free())
			}
			if _, err2 := s.Next(); err2 != err || s.Err() != err {
				t.Errorf("error not sticky: %v / %v", err2, s.Err())
			}
		})
	}
	// A datalen of exactly MaxDataLen is fine and waits for more.
	var s RequestStream
	s.Feed(rawHeader(1, MaxDataLen, 0, OpGetPropertyRequest))
	if _, err := s.Next(); !errors.Is(err, ErrNeedMore) {
		t.Fatalf("MaxDataLen: %v", err)
	}
}

// TestStreamBound feeds far more than one frame in a single call and checks
// that the buffer never holds more than MaxFrameLen bytes.
func TestStreamBound(t *testing.T) {
	big := mustEncode(t, Request{Body: GetPropertyRequest{Property: string(bytes.Repeat([]byte{'y'}, 50000))}}.Encode)
	small := mustEncode(t, Request{Body: ConnectionRequest{}}.Encode)
	in := bytes.Join([][]byte{big, small, big, big, small, big}, nil)
	var s RequestStream
	frames := 0
	for len(in) > 0 {
		n := s.Feed(in)
		if s.Buffered() > MaxFrameLen || cap(s.f.buf) > MaxFrameLen {
			t.Fatalf("buffered %d (cap %d) > %d", s.Buffered(), cap(s.f.buf), MaxFrameLen)
		}
		if n < len(in) && s.Free() != 0 {
			t.Fatalf("took %d of %d with %d free", n, len(in), s.Free())
		}
		in = in[n:]
		progressed := false
		for {
			_, err := s.Next()
			if errors.Is(err, ErrNeedMore) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			frames++
			progressed = true
		}
		if n == 0 && !progressed {
			t.Fatal("no progress")
		}
	}
	if frames != 6 {
		t.Fatalf("frames = %d", frames)
	}

	var c ClientStream
	junk := make([]byte, 3*MaxFrameLen)
	if n := c.Feed(junk); n != MaxFrameLen || c.Buffered() != MaxFrameLen {
		t.Fatalf("ClientStream took %d, buffered %d", n, c.Buffered())
	}
}

func TestClientStream(t *testing.T) {
	code := AppendErrorCode(nil, NoError)
	reply := mustEncode(t, Reply{Body: QueryReply{ReplyCommon: ReplyCommon{Flags: FlagAdd}, FullName: "a.local.", RRType: 1, RRClass: 1, RData: []byte{10, 0, 0, 1}, TTL: 4500}}.Encode)
	fail := AppendErrorCode(nil, NameConflict)
	prop := mustEncode(t, PropertyReply{Value: []byte{0, 0xFD, 0x72, 0xD0}}.Encode)
	// Error code and reply in one read, as in query.json.
	in := bytes.Join([][]byte{code, reply, fail, reply}, nil)
	for _, chunk := range []int{1, 5, len(in)} {
		var s ClientStream
		var items []Item
		rest := in
		for len(rest) > 0 || s.Buffered() > 0 {
			n := s.Feed(rest[:min(chunk, len(rest))])
			rest = rest[n:]
			for {
				it, err := s.Next()
				if errors.Is(err, ErrNeedMore) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				items = append(items, it)
			}
			if len(rest) == 0 && s.Buffered() > 0 {
				t.Fatalf("chunk %d: %d bytes left", chunk, s.Buffered())
			}
		}
		if len(items) != 4 {
			t.Fatalf("chunk %d: %d items", chunk, len(items))
		}
		if items[0].Kind != ItemErrorCode || items[0].Code != NoError ||
			items[1].Kind != ItemReply || items[1].Reply.Body.(QueryReply).TTL != 4500 ||
			items[2].Kind != ItemErrorCode || items[2].Code != NameConflict ||
			items[3].Kind != ItemReply || !bytes.Equal(items[3].Raw, reply) {
			t.Fatalf("chunk %d: items %+v", chunk, items)
		}
	}

	// The getproperty answer, which starts like an error code.
	var s ClientStream
	s.Feed(prop[:9])
	s.ExpectProperty()
	if _, err := s.Next(); !errors.Is(err, ErrNeedMore) {
		t.Fatalf("partial property: %v", err)
	}
	s.Feed(prop[9:])
	it, err := s.Next()
	if err != nil || it.Kind != ItemProperty {
		t.Fatalf("property: %+v, %v", it, err)
	}
	if v, ok := it.Property.Uint32(); !ok || v != 16610000 {
		t.Fatalf("DaemonVersion = %d", v)
	}
	// Without ExpectProperty the same bytes are an error code first.
	s = ClientStream{}
	s.Feed(prop)
	if it, err := s.Next(); err != nil || it.Kind != ItemErrorCode {
		t.Fatalf("unexpected property: %+v, %v", it, err)
	}
}

func TestClientStreamErrors(t *testing.T) {
	// A positive first word other than the version.
	var s ClientStream
	s.Feed([]byte{0, 0, 0, 2, 0, 0})
	if _, err := s.Next(); !errors.Is(err, ErrVersion) {
		t.Fatalf("first word 2: %v", err)
	}
	if _, err := s.Next(); !errors.Is(err, ErrVersion) || s.Feed([]byte{0}) != 0 {
		t.Fatal("not sticky")
	}
	// A reply header with a datalen over the limit.
	s = ClientStream{}
	s.Feed(rawHeader(1, MaxDataLen+1, 0, OpBrowseReply)[:8])
	if _, err := s.Next(); !errors.Is(err, ErrTooLong) {
		t.Fatalf("datalen: %v", err)
	}
	// A getproperty length over the limit.
	s = ClientStream{}
	s.ExpectProperty()
	s.Feed(append(be32(0), be32(MaxDataLen+1)...))
	if _, err := s.Next(); !errors.Is(err, ErrTooLong) {
		t.Fatalf("property length: %v", err)
	}
	// A well-framed reply with a bad body is consumed; the stream goes on.
	bad := rawFrame(OpBrowseReply, 0, be32(0), be32(0), be32(0), []byte("no-nul"))
	good := AppendErrorCode(nil, BadParam)
	s = ClientStream{}
	s.Feed(append(bad, good...))
	it, err := s.Next()
	if !errors.Is(err, ErrUnterminated) || it.Kind != ItemReply || !bytes.Equal(it.Raw, bad) || s.Err() != nil {
		t.Fatalf("bad body: %+v, %v, sticky %v", it, err, s.Err())
	}
	it, err = s.Next()
	if err != nil || it.Kind != ItemErrorCode || it.Code != BadParam {
		t.Fatalf("after bad body: %+v, %v", it, err)
	}
	// An unknown reply op is reported the same way.
	s = ClientStream{}
	s.Feed(rawFrame(99, 0))
	if it, err := s.Next(); !errors.Is(err, ErrUnknownOp) || it.Kind != ItemReply || s.Err() != nil {
		t.Fatalf("unknown op: %+v, %v", it, err)
	}
}
