package ipc

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"
)

// handMadeSeeds are a few frames that the recordings do not have.
func handMadeSeeds(tb testing.TB) [][]byte {
	enc := func(b []byte, err error) []byte {
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	return [][]byte{
		enc(Request{HasErrReturn: true, ErrReturnPath: "/tmp/errsock", Body: RemoveRecordRequest{}}.Encode()),
		enc(Request{Header: Header{IPCFlags: TrailingTLVs}, Body: AddrInfoRequest{Hostname: "a.local"}, TLVs: []byte{0, 1, 0, 1, 7}}.Encode()),
		enc(Request{Body: PortMappingRequest{Protocol: ProtocolTCP, InternalPort: 22, TTL: 60}}.Encode()),
		enc(Reply{Body: PortMappingReply{ExternalAddress: [4]byte{192, 0, 2, 1}, Protocol: 0x20}}.Encode()),
		enc(Reply{Body: ResolveReply{FullName: "x", HostTarget: "y", Port: 1, TXT: []byte{1, 'a'}}}.Encode()),
		rawHeader(1, MaxDataLen+1, 0, OpBrowseRequest),
		rawHeader(2, 0, 0, OpConnectionRequest),
		rawFrame(OpBrowseRequest, 0, be32(0), be32(0), []byte("no-nul")),
		{0xFF, 0xFE, 0xFF, 0xF4},
		{0, 0, 0, 0, 0, 0, 0, 4, 0, 0xFD, 0x72, 0xD0},
	}
}

// goldenSeeds returns the recorded frames by direction, and the
// concatenated main streams of each connection.
func goldenSeeds(tb testing.TB) (c2s, s2c, streams [][]byte) {
	files, ok := loadGolden(tb)
	if !ok {
		return nil, nil, nil
	}
	for _, f := range files {
		byConn := map[string][]byte{}
		for _, fr := range f.Frames {
			if fr.Kind == "eof" {
				continue
			}
			if fr.Dir == "c2s" {
				c2s = append(c2s, fr.bytes)
			} else {
				s2c = append(s2c, fr.bytes)
			}
			if fr.Channel == "main" {
				k := fr.Dir + string(rune('0'+fr.Conn))
				byConn[k] = append(byConn[k], fr.bytes...)
			}
		}
		for _, s := range byConn {
			streams = append(streams, s)
		}
	}
	return c2s, s2c, streams
}

func checkDecodeErr(t *testing.T, err error) {
	t.Helper()
	var de *DecodeError
	if !errors.Is(err, ErrMalformed) || !errors.As(err, &de) {
		t.Fatalf("decode error %v (%T) is not a *DecodeError wrapping ErrMalformed", err, err)
	}
	_ = err.Error()
}

func FuzzDecodeRequest(f *testing.F) {
	c2s, _, _ := goldenSeeds(f)
	for _, b := range c2s {
		f.Add(b, false)
		f.Add(b, true)
	}
	for _, b := range handMadeSeeds(f) {
		f.Add(b, false)
	}
	f.Fuzz(func(t *testing.T, data []byte, shared bool) {
		req, err := DecodeRequest(data, shared)
		if err != nil {
			checkDecodeErr(t, err)
			return
		}
		enc, err := req.Encode()
		if err != nil {
			t.Fatalf("decoded %x but cannot encode: %v", data, err)
		}
		if !bytes.Equal(enc, data) {
			t.Fatalf("re-encoded\n  %x\nwant\n  %x", enc, data)
		}
		again, err := DecodeRequest(enc, shared)
		if err != nil || !reflect.DeepEqual(again, req) {
			t.Fatalf("second decode %+v, %v; first %+v", again, err, req)
		}
	})
}

func FuzzDecodeReply(f *testing.F) {
	_, s2c, _ := goldenSeeds(f)
	for _, b := range s2c {
		f.Add(b)
	}
	for _, b := range handMadeSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if rep, err := DecodeReply(data); err != nil {
			checkDecodeErr(t, err)
		} else {
			enc, err := rep.Encode()
			if err != nil || !bytes.Equal(enc, data) {
				t.Fatalf("reply re-encoded %x, %v; want %x", enc, err, data)
			}
			again, err := DecodeReply(enc)
			if err != nil || !reflect.DeepEqual(again, rep) {
				t.Fatalf("second decode %+v, %v; first %+v", again, err, rep)
			}
		}
		if p, err := DecodePropertyReply(data); err != nil {
			checkDecodeErr(t, err)
		} else if enc, err := p.Encode(); err != nil || !bytes.Equal(enc, data) {
			t.Fatalf("property re-encoded %x, %v; want %x", enc, err, data)
		}
		if e, err := DecodeErrorCode(data); err != nil {
			checkDecodeErr(t, err)
		} else if enc := AppendErrorCode(nil, e); !bytes.Equal(enc, data) {
			t.Fatalf("error code re-encoded %x; want %x", enc, data)
		}
	})
}

// streamEvent is one result of a framer's Next: an item or an error.
type streamEvent struct {
	kind ItemKind
	raw  []byte
	err  string
}

// runStream feeds data to both framers, in chunks whose sizes come from
// next (0 means "as much as fits"), and records every result.
func runStream(t *testing.T, data []byte, next func() int, expectProperty bool) (reqs, items []streamEvent) {
	var rs RequestStream
	var cs ClientStream
	if expectProperty {
		cs.ExpectProperty()
	}
	for in := data; len(in) > 0 && rs.Err() == nil; {
		n := next()
		if n == 0 || n > len(in) {
			n = len(in)
		}
		took := rs.Feed(in[:n])
		in = in[took:]
		if rs.Buffered() > MaxFrameLen {
			t.Fatalf("RequestStream buffers %d", rs.Buffered())
		}
		for {
			frame, err := rs.Next()
			if errors.Is(err, ErrNeedMore) {
				break
			}
			if err != nil {
				checkDecodeErr(t, err)
				reqs = append(reqs, streamEvent{err: err.Error()})
				break
			}
			if h, herr := DecodeHeader(frame); herr != nil || len(frame) != HeaderLen+int(h.DataLen) {
				t.Fatalf("framed %x: %v", frame, herr)
			}
			reqs = append(reqs, streamEvent{raw: frame})
		}
	}
	for in := data; len(in) > 0 && cs.Err() == nil; {
		n := next()
		if n == 0 || n > len(in) {
			n = len(in)
		}
		took := cs.Feed(in[:n])
		in = in[took:]
		if cs.Buffered() > MaxFrameLen {
			t.Fatalf("ClientStream buffers %d", cs.Buffered())
		}
		for {
			it, err := cs.Next()
			if errors.Is(err, ErrNeedMore) {
				break
			}
			ev := streamEvent{kind: it.Kind, raw: it.Raw}
			if err != nil {
				checkDecodeErr(t, err)
				ev.err = err.Error()
			}
			items = append(items, ev)
			if cs.Err() != nil {
				break
			}
		}
	}
	return reqs, items
}

func FuzzStream(f *testing.F) {
	_, _, streams := goldenSeeds(f)
	for i, s := range streams {
		f.Add(s, uint64(i), false)
	}
	f.Add(bytes.Join(handMadeSeeds(f), nil), uint64(7), false)
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 4, 0, 0xFD, 0x72, 0xD0, 0, 0, 0, 0}, uint64(3), true)
	f.Fuzz(func(t *testing.T, data []byte, seed uint64, expectProperty bool) {
		whole := func() int { return 0 }
		rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		chunked := func() int {
			if rng.IntN(8) == 0 {
				return 1 + rng.IntN(MaxFrameLen)
			}
			return 1 + rng.IntN(40)
		}
		wantReqs, wantItems := runStream(t, data, whole, expectProperty)
		gotReqs, gotItems := runStream(t, data, chunked, expectProperty)
		if !reflect.DeepEqual(gotReqs, wantReqs) {
			t.Fatalf("RequestStream depends on chunking:\n  %v\nvs\n  %v", gotReqs, wantReqs)
		}
		if !reflect.DeepEqual(gotItems, wantItems) {
			t.Fatalf("ClientStream depends on chunking:\n  %v\nvs\n  %v", gotItems, wantItems)
		}
		// Everything framed, joined, is a prefix of the input.
		var joined []byte
		for _, e := range wantReqs {
			joined = append(joined, e.raw...)
		}
		if !bytes.HasPrefix(data, joined) {
			t.Fatal("RequestStream frames are not a prefix of the input")
		}
		joined = joined[:0]
		for _, e := range wantItems {
			joined = append(joined, e.raw...)
		}
		if !bytes.HasPrefix(data, joined) {
			t.Fatal("ClientStream items are not a prefix of the input")
		}
	})
}
