package ipc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// rawHeader builds a header with arbitrary version and datalen.
func rawHeader(version, datalen uint32, flags IPCFlags, op Op) []byte {
	return Header{Version: version, DataLen: datalen, IPCFlags: flags, Op: op}.Append(nil)
}

// rawFrame builds a frame with a correct header around body.
func rawFrame(op Op, flags IPCFlags, body ...[]byte) []byte {
	b := bytes.Join(body, nil)
	return append(rawHeader(ProtocolVersion, uint32(len(b)), flags, op), b...)
}

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func cstr(s string) []byte { return append([]byte(s), 0) }

func TestMalformed(t *testing.T) {
	browseBody := bytes.Join([][]byte{be32(0), be32(0), cstr("_http._tcp"), cstr("local")}, nil)
	tests := []struct {
		name   string
		dir    string // "request" (not shared), "shared" (request on a shared connection), "reply", "errcode", "property", "header"
		in     []byte
		want   error
		offset int // expected DecodeError offset, -1 to skip
	}{
		{"empty request", "request", nil, ErrTruncated, 0},
		{"short header request", "request", rawHeader(1, 0, 0, OpConnectionRequest)[:27], ErrTruncated, 27},
		{"short header reply", "reply", rawHeader(1, 0, 0, OpBrowseReply)[:10], ErrTruncated, 10},
		{"short header alone", "header", make([]byte, 5), ErrTruncated, 5},
		{"version 0", "request", rawHeader(0, 0, 0, OpConnectionRequest), ErrVersion, 0},
		{"version 2", "request", rawHeader(2, 0, 0, OpConnectionRequest), ErrVersion, 0},
		{"version 2 reply", "reply", rawHeader(2, 0, 0, OpRegisterRecordReply), ErrVersion, 0},
		{"little-endian version", "header", []byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, ErrVersion, 0},
		{"datalen 70001", "request", rawHeader(1, MaxDataLen+1, 0, OpBrowseRequest), ErrTooLong, 4},
		{"datalen 0xFFFFFFFF", "reply", rawHeader(1, 0xFFFFFFFF, 0, OpBrowseReply), ErrTooLong, 4},
		{"body shorter than datalen", "request", rawFrame(OpBrowseRequest, 0, browseBody)[:40], ErrTruncated, 40},
		{"bytes after the frame", "request", append(rawFrame(OpConnectionRequest, 0), 0), ErrTrailing, 28},
		{"body shorter than fields", "request", rawFrame(OpBrowseRequest, 0, be32(0), be16(0)), ErrTruncated, 32},
		{"enumeration missing interface", "request", rawFrame(OpEnumerationRequest, 0, be32(0x40)), ErrTruncated, 32},
		{"regtype without NUL", "request", rawFrame(OpBrowseRequest, 0, be32(0), be32(0), []byte("_http._tcp")), ErrUnterminated, 36},
		{"domain without NUL", "request", rawFrame(OpBrowseRequest, 0, be32(0), be32(0), cstr("_http._tcp"), []byte("local")), ErrUnterminated, 47},
		{"NUL only in the next frame", "request", append(rawFrame(OpGetPropertyRequest, 0, []byte("DaemonVersion")), 0), ErrTrailing, 41},
		{"register missing txt", "request", rawFrame(OpRegisterServiceRequest, 0, be32(0), be32(0), cstr("a"), cstr("_x._tcp"), cstr(""), cstr(""), be16(80)), ErrTruncated, 50},
		{"txtlen past end", "request", rawFrame(OpRegisterServiceRequest, 0, be32(0), be32(0), cstr("a"), cstr("_x._tcp"), cstr(""), cstr(""), be16(80), be16(5), []byte{1, 'a'}), ErrTruncated, 52},
		{"rdlen past end", "request", rawFrame(OpAddRecordRequest, 0, []byte{0}, be32(0), be16(16), be16(100), []byte{1, 2, 3, 4}, be32(0)), ErrTruncated, 37},
		{"rdlen past end reply", "reply", rawFrame(OpQueryReply, 0, be32(2), be32(0), be32(0), cstr("a.local."), be16(1), be16(1), be16(4), []byte{10, 0}), ErrTruncated, 55},
		{"ttl missing", "request", rawFrame(OpUpdateRecordRequest, 0, []byte{0}, be32(0), be16(1), []byte{0}), ErrTruncated, 36},
		{"placeholder without NUL", "request", rawFrame(OpRemoveRecordRequest, 0, []byte("/tmp/x")), ErrUnterminated, 28},
		{"shared browse without placeholder room", "shared", rawFrame(OpBrowseRequest, 0, browseBody[:8]), ErrTruncated, -1},
		{"trailing bytes without TLV flag", "request", rawFrame(OpRemoveRecordRequest, 0, []byte{0}, be32(0), []byte{0xAA}), ErrTrailing, 33},
		{"trailing bytes in reply", "reply", rawFrame(OpRegisterRecordReply, 0, be32(0), be32(0), be32(0), []byte{0}), ErrTrailing, 40},
		{"reply missing error", "reply", rawFrame(OpRegisterRecordReply, 0, be32(0), be32(0)), ErrTruncated, 36},
		{"op 0", "request", rawFrame(0, 0), ErrUnknownOp, 12},
		{"setdomain op 12", "request", rawFrame(OpSetDomainRequest, 0, be32(0), cstr("local")), ErrUnknownOp, 12},
		{"op 19", "request", rawFrame(OpConnectionDelegateRequest, 0), ErrUnknownOp, 12},
		{"op 99", "request", rawFrame(99, 0), ErrUnknownOp, 12},
		{"reply op as request", "request", rawFrame(OpBrowseReply, 0, browseBody), ErrUnknownOp, 12},
		{"request op as reply", "reply", rawFrame(OpBrowseRequest, 0, browseBody), ErrUnknownOp, 12},
		{"getproperty reply op 70", "reply", rawFrame(OpGetPropertyReply, 0, be32(0), be32(0), be32(0)), ErrUnknownOp, 12},
		{"reply op 0xFFFFFFFF", "reply", rawFrame(0xFFFFFFFF, 0), ErrUnknownOp, 12},
		{"error code 3 bytes", "errcode", []byte{0, 0, 0}, ErrTruncated, 3},
		{"error code 5 bytes", "errcode", []byte{0, 0, 0, 0, 0}, ErrTrailing, 4},
		{"property short", "property", []byte{0, 0, 0, 0, 0, 0, 0}, ErrTruncated, 7},
		{"property length too long", "property", append(be32(0), be32(MaxDataLen+1)...), ErrTooLong, 4},
		{"property value truncated", "property", append(append(be32(0), be32(4)...), 0, 0), ErrTruncated, 10},
		{"property trailing", "property", append(append(be32(0), be32(1)...), 7, 8), ErrTrailing, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			switch tt.dir {
			case "request":
				_, err = DecodeRequest(tt.in, false)
			case "shared":
				_, err = DecodeRequest(tt.in, true)
			case "reply":
				_, err = DecodeReply(tt.in)
			case "errcode":
				_, err = DecodeErrorCode(tt.in)
			case "property":
				_, err = DecodePropertyReply(tt.in)
			case "header":
				_, err = DecodeHeader(tt.in)
			default:
				t.Fatalf("bad dir %q", tt.dir)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("err = %v does not wrap ErrMalformed", err)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err = %T, want *DecodeError", err)
			}
			if tt.offset >= 0 && de.Offset != tt.offset {
				t.Errorf("offset = %d, want %d (%v)", de.Offset, tt.offset, err)
			}
			if !strings.HasPrefix(err.Error(), "ipc: ") {
				t.Errorf("message %q lacks the ipc: prefix", err)
			}
		})
	}
}

// TestSentinels checks that the precise sentinels are kinds of ErrMalformed
// and that ErrNeedMore and ErrInvalid are not.
func TestSentinels(t *testing.T) {
	for _, e := range []error{ErrVersion, ErrTooLong, ErrUnknownOp, ErrTruncated, ErrUnterminated, ErrTrailing} {
		if !errors.Is(e, ErrMalformed) {
			t.Errorf("%v does not wrap ErrMalformed", e)
		}
	}
	for _, e := range []error{ErrNeedMore, ErrInvalid} {
		if errors.Is(e, ErrMalformed) {
			t.Errorf("%v wraps ErrMalformed", e)
		}
	}
	if errors.Is(ErrTruncated, ErrTrailing) {
		t.Error("distinct sentinels compare equal")
	}
}

func TestEncodeInvalid(t *testing.T) {
	big := make([]byte, 0x10000)
	tests := []struct {
		name string
		enc  func() ([]byte, error)
	}{
		{"nil request body", Request{}.Encode},
		{"nil reply body", Reply{}.Encode},
		{"NUL in string", Request{Body: BrowseRequest{RegType: "_a\x00._tcp"}}.Encode},
		{"NUL in reply string", Reply{Body: BrowseReply{Name: "a\x00"}}.Encode},
		{"NUL in path", Request{HasErrReturn: true, ErrReturnPath: "/x\x00", Body: RemoveRecordRequest{}}.Encode},
		{"path without placeholder", Request{ErrReturnPath: "/x", Body: RemoveRecordRequest{}}.Encode},
		{"rdata over 65535", Request{Body: AddRecordRequest{RData: big}}.Encode},
		{"txt over 65535", Reply{Body: ResolveReply{TXT: big}}.Encode},
		{"body over MaxDataLen", Request{Body: GetPropertyRequest{Property: strings.Repeat("x", MaxDataLen)}}.Encode},
		{"op disagrees", Request{Header: Header{Op: OpQueryRequest}, Body: BrowseRequest{}}.Encode},
		{"reply op disagrees", Reply{Header: Header{Op: OpQueryReply}, Body: BrowseReply{}}.Encode},
		{"placeholder with NoErrSD", Request{Header: Header{IPCFlags: NoErrSD}, HasErrReturn: true, Body: RegisterRecordRequest{}}.Encode},
		{"placeholder on cancel", Request{HasErrReturn: true, Body: CancelRequest{}}.Encode},
		{"placeholder on getproperty", Request{HasErrReturn: true, Body: GetPropertyRequest{}}.Encode},
		{"record op without placeholder", Request{Body: UpdateRecordRequest{}}.Encode},
		{"TLVs without flag", Request{Body: ConnectionRequest{}, TLVs: []byte{0, 1, 0, 0}}.Encode},
		{"property too long", PropertyReply{Value: make([]byte, MaxDataLen+1)}.Encode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.enc()
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			if b != nil {
				t.Errorf("got %d bytes with the error", len(b))
			}
		})
	}
	// Append leaves dst alone on failure.
	dst := []byte{1, 2, 3}
	got, err := Request{Body: BrowseRequest{Domain: "\x00"}}.Append(dst)
	if err == nil || !bytes.Equal(got, []byte{1, 2, 3}) {
		t.Errorf("Append on failure = %x, %v", got, err)
	}
}

// TestBodyMaxDataLen checks the boundary: a body of exactly MaxDataLen bytes
// encodes and decodes.
func TestBodyMaxDataLen(t *testing.T) {
	req := Request{Body: GetPropertyRequest{Property: strings.Repeat("x", MaxDataLen-1)}}
	b, err := req.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != MaxFrameLen {
		t.Fatalf("len = %d, want %d", len(b), MaxFrameLen)
	}
	if _, err := DecodeRequest(b, false); err != nil {
		t.Fatal(err)
	}
}
