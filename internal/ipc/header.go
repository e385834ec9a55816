package ipc

import "encoding/binary"

// Protocol constants from dnssd_ipc.h (README "The 28-byte header").
const (
	// ProtocolVersion is the only version of the protocol: the first header
	// word. The daemon drops a connection that sends any other value.
	ProtocolVersion = 1

	// HeaderLen is the size of the header in front of every request and
	// every reply (but not of the bare error code or the getproperty answer).
	HeaderLen = 28

	// MaxDataLen is the largest datalen the daemon accepts. Decoders reject
	// larger values with ErrTooLong.
	MaxDataLen = 70000

	// MaxFrameLen is the size of the largest frame: a header plus MaxDataLen
	// body bytes. The stream framers never buffer more than this.
	MaxFrameLen = HeaderLen + MaxDataLen
)

// RegIndexPrimaryTXT is the reg_index of update_record_request that names
// the service's own TXT record (README "The 28-byte header", reg_index).
const RegIndexPrimaryTXT uint32 = 0xFFFFFFFF

// IPCFlags is the header's ipc_flags word (dnssd_ipc.h IPC_FLAGS_*). Replies
// always carry 0.
type IPCFlags uint32

// The ipc_flags bits (README "The 28-byte header").
const (
	// NoReply (IPC_FLAGS_NOREPLY): the client wants no asynchronous replies;
	// libdns_sd sets it on DNSServiceRegister without a callback.
	NoReply IPCFlags = 0x1
	// TrailingTLVs (IPC_FLAGS_TRAILING_TLVS): type-length-value items follow
	// the normal body. This package keeps them as raw bytes.
	TrailingTLVs IPCFlags = 0x2
	// NoErrSD (IPC_FLAGS_NOERRSD): there is no error-return placeholder, no
	// passed fd and no error code; failures come back as an async_error
	// reply (README "Error return", item 3).
	NoErrSD IPCFlags = 0x4
)

// Header is the 28-byte header in front of every request and reply
// (dnssd_ipc.h ipc_msg_hdr; README "The 28-byte header"). All words are
// big-endian on the wire.
type Header struct {
	// Version is always ProtocolVersion. Decoders reject anything else;
	// encoders of requests and replies always write ProtocolVersion.
	Version uint32
	// DataLen is the number of body bytes after the header. Decoders fill
	// it in; encoders of requests and replies compute it from the body.
	DataLen uint32
	// IPCFlags holds the NoReply, TrailingTLVs and NoErrSD bits.
	IPCFlags IPCFlags
	// Op is the request op (1–63) or reply op (64 and up).
	Op Op
	// Context is the client_context: chosen by the client, opaque, and
	// echoed by the daemon in every reply to that operation.
	Context [8]byte
	// RegIndex names a record for the record operations (starting at 0 per
	// connection; RegIndexPrimaryTXT for the primary TXT record). It is 0
	// otherwise, and replies carry 0.
	RegIndex uint32
}

// DecodeHeader decodes and checks the header at the start of b. It reads only
// the first HeaderLen bytes and does not check Op. It fails with ErrTruncated
// if b is shorter than HeaderLen, ErrVersion if the version is not
// ProtocolVersion, and ErrTooLong if DataLen is over MaxDataLen.
func DecodeHeader(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		return Header{}, &DecodeError{Field: "header", Offset: len(b), Err: ErrTruncated}
	}
	var h Header
	h.Version = binary.BigEndian.Uint32(b[0:])
	h.DataLen = binary.BigEndian.Uint32(b[4:])
	h.IPCFlags = IPCFlags(binary.BigEndian.Uint32(b[8:]))
	h.Op = Op(binary.BigEndian.Uint32(b[12:]))
	copy(h.Context[:], b[16:24])
	h.RegIndex = binary.BigEndian.Uint32(b[24:])
	if h.Version != ProtocolVersion {
		return h, &DecodeError{Op: h.Op, Field: "version", Offset: 0, Err: ErrVersion}
	}
	if h.DataLen > MaxDataLen {
		return h, &DecodeError{Op: h.Op, Field: "datalen", Offset: 4, Err: ErrTooLong}
	}
	return h, nil
}

// Append appends the header's 28 bytes to dst exactly as the fields say,
// including Version and DataLen.
func (h Header) Append(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, h.Version)
	dst = binary.BigEndian.AppendUint32(dst, h.DataLen)
	dst = binary.BigEndian.AppendUint32(dst, uint32(h.IPCFlags))
	dst = binary.BigEndian.AppendUint32(dst, uint32(h.Op))
	dst = append(dst, h.Context[:]...)
	return binary.BigEndian.AppendUint32(dst, h.RegIndex)
}
