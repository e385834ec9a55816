package ipc

import (
	"bytes"
	"encoding/binary"
)

// ErrorCodeLen is the size of the bare error code.
const ErrorCodeLen = 4

// DecodeErrorCode decodes the bare 4-byte big-endian error code that the
// daemon writes, with no header, right after processing the first request of
// a dedicated connection (on the main socket) or a request that passed an
// error socket (on that socket) (README "Error return", items 1 and 2). b
// must be exactly 4 bytes.
func DecodeErrorCode(b []byte) (Error, error) {
	switch {
	case len(b) < ErrorCodeLen:
		return 0, &DecodeError{Field: "error", Offset: len(b), Err: ErrTruncated}
	case len(b) > ErrorCodeLen:
		return 0, &DecodeError{Field: "error", Offset: ErrorCodeLen, Err: ErrTrailing}
	}
	return Error(int32(binary.BigEndian.Uint32(b))), nil
}

// AppendErrorCode appends the bare 4-byte error code e to dst.
func AppendErrorCode(dst []byte, e Error) []byte {
	return binary.BigEndian.AppendUint32(dst, uint32(e))
}

// PropertyReplyHeaderLen is the size of the fixed part of the getproperty
// answer: error int32 and length u32.
const PropertyReplyHeaderLen = 8

// PropertyReply is the daemon's answer to getproperty_request: error int32,
// length u32, value (length bytes), with no IPC header and no op (README
// "Error return", item 5). For DaemonVersion the value is a big-endian u32,
// for example 16610000 for "1661.0.0".
type PropertyReply struct {
	Error Error
	Value []byte
}

// DecodePropertyReply decodes a complete getproperty answer: b must be
// exactly 8 + length bytes. A length over MaxDataLen is ErrTooLong.
func DecodePropertyReply(b []byte) (PropertyReply, error) {
	if len(b) < PropertyReplyHeaderLen {
		return PropertyReply{}, &DecodeError{Field: "property reply", Offset: len(b), Err: ErrTruncated}
	}
	n := binary.BigEndian.Uint32(b[4:])
	if n > MaxDataLen {
		return PropertyReply{}, &DecodeError{Field: "length", Offset: 4, Err: ErrTooLong}
	}
	end := PropertyReplyHeaderLen + int(n)
	switch {
	case len(b) < end:
		return PropertyReply{}, &DecodeError{Field: "value", Offset: len(b), Err: ErrTruncated}
	case len(b) > end:
		return PropertyReply{}, &DecodeError{Field: "end of value", Offset: end, Err: ErrTrailing}
	}
	p := PropertyReply{Error: Error(int32(binary.BigEndian.Uint32(b)))}
	if end > PropertyReplyHeaderLen {
		p.Value = bytes.Clone(b[PropertyReplyHeaderLen:end])
	}
	return p, nil
}

// Append appends the encoded answer to dst. A value over MaxDataLen bytes is
// an error wrapping ErrInvalid, and dst is returned unchanged.
func (p PropertyReply) Append(dst []byte) ([]byte, error) {
	if len(p.Value) > MaxDataLen {
		return dst, encodeErr(0, "value", "longer than MaxDataLen")
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(p.Error))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(p.Value)))
	return append(dst, p.Value...), nil
}

// Encode returns the encoded answer; see Append.
func (p PropertyReply) Encode() ([]byte, error) { return p.Append(nil) }

// Uint32 returns the value as a big-endian u32 when it is 4 bytes long, as
// it is for DaemonVersion.
func (p PropertyReply) Uint32() (uint32, bool) {
	if len(p.Value) != 4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(p.Value), true
}
