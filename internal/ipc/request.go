package ipc

// Request is one client→daemon frame: the header, the error-return
// placeholder if the body starts with one, the typed body, and any raw
// trailing TLV bytes (README "Request bodies").
type Request struct {
	// Header is the frame's header. On encoding, Version and DataLen are
	// computed and Op is taken from Body (a non-zero Op that disagrees with
	// Body is an error).
	Header Header
	// HasErrReturn reports whether the body starts with the error-return
	// placeholder, the `[P]` of the README: an old "error-return path"
	// string in front of the fields. libdns_sd sends it on shared-connection
	// sub-requests and on record operations, unless NoErrSD is set; see
	// ErrReturnExpected.
	HasErrReturn bool
	// ErrReturnPath is the placeholder's content. It is empty in every
	// recording (the error socket comes by SCM_RIGHTS on the frame's last
	// byte); a non-empty legacy path, which the daemon would connect to, is
	// kept so that the frame re-encodes exactly.
	ErrReturnPath string
	// Body holds the op's fields.
	Body RequestBody
	// TLVs holds the raw bytes after the body when Header.IPCFlags has
	// TrailingTLVs (nil when there are none). Encoding them requires that
	// flag.
	TLVs []byte
}

// ErrReturnExpected reports whether a request with this op and these ipc
// flags starts its body with the error-return placeholder (README "Error
// return: socket, placeholder byte and SCM_RIGHTS"). shared says whether the
// request arrives on a shared connection, one whose first request was a
// connection_request:
//
//   - with NoErrSD there is never a placeholder;
//   - the record operations (ops 2, 3, 10, 11) always have one;
//   - enumeration, reg_service, browse, resolve, query and addrinfo (ops
//     4–8 and 15) have one on a shared connection only; port_mapping (op
//     14, not recorded) is assumed to follow the same rule;
//   - connection_request, reconfirm, getproperty and cancel never do.
func ErrReturnExpected(op Op, flags IPCFlags, shared bool) bool {
	if flags&NoErrSD != 0 {
		return false
	}
	if op.IsRecordOp() {
		return true
	}
	switch op {
	case OpEnumerationRequest, OpRegisterServiceRequest, OpBrowseRequest, OpResolveRequest,
		OpQueryRequest, OpPortMappingRequest, OpAddrInfoRequest:
		return shared
	}
	return false
}

// DecodeRequest decodes one complete request frame: exactly HeaderLen +
// datalen bytes (RequestStream cuts a byte stream into such frames). shared
// says whether the connection is a shared one, which decides whether the body
// of ops 4–8, 14 and 15 starts with the error-return placeholder (see
// ErrReturnExpected).
//
// Every failure is a *DecodeError wrapping ErrMalformed and one of
// ErrVersion, ErrTooLong, ErrTruncated, ErrTrailing, ErrUnterminated or
// ErrUnknownOp (for reply ops and for request ops without a body codec: 12,
// 16–19 and undefined values).
func DecodeRequest(frame []byte, shared bool) (Request, error) {
	h, err := DecodeHeader(frame)
	if err != nil {
		return Request{}, err
	}
	body, err := frameBody(h, frame)
	if err != nil {
		return Request{}, err
	}
	req := Request{Header: h}
	r := &reader{b: body, base: HeaderLen, op: h.Op}
	if ErrReturnExpected(h.Op, h.IPCFlags, shared) {
		req.HasErrReturn = true
		req.ErrReturnPath = r.str("error_return_path")
	}
	b, ok := decodeRequestBody(h.Op, r)
	if !ok {
		return Request{}, &DecodeError{Op: h.Op, Field: "op", Offset: 12, Err: ErrUnknownOp}
	}
	if r.err != nil {
		return Request{}, r.err
	}
	req.Body = b
	if req.TLVs, err = trailing(h, r); err != nil {
		return Request{}, err
	}
	return req, nil
}

// frameBody checks that frame is exactly one frame and returns its body.
func frameBody(h Header, frame []byte) ([]byte, error) {
	end := HeaderLen + int(h.DataLen)
	switch {
	case len(frame) < end:
		return nil, &DecodeError{Op: h.Op, Field: "body", Offset: len(frame), Err: ErrTruncated}
	case len(frame) > end:
		return nil, &DecodeError{Op: h.Op, Field: "frame", Offset: end, Err: ErrTrailing}
	}
	return frame[HeaderLen:end], nil
}

// trailing handles the bytes after the last field: raw TLVs with the
// TrailingTLVs flag, an error otherwise.
func trailing(h Header, r *reader) ([]byte, error) {
	if h.IPCFlags&TrailingTLVs != 0 {
		return r.rest(), nil
	}
	if r.off < len(r.b) {
		return nil, &DecodeError{Op: h.Op, Field: "end of body", Offset: r.base + r.off, Err: ErrTrailing}
	}
	return nil, nil
}

// Append appends the encoded frame to dst. It fails, leaving dst as it was,
// with an error wrapping ErrInvalid if Body is nil, Header.Op disagrees with
// Body, ErrReturnPath is set without HasErrReturn, HasErrReturn contradicts
// ErrReturnExpected for every kind of connection (a placeholder with NoErrSD
// or on connection, reconfirm, getproperty or cancel; none on a record
// operation without NoErrSD), TLVs are set without the TrailingTLVs flag, a
// string contains a NUL, rdata or TXT is over 65535 bytes, or the body is
// over MaxDataLen.
func (r Request) Append(dst []byte) ([]byte, error) {
	if r.Body == nil {
		return dst, encodeErr(r.Header.Op, "body", "no body")
	}
	op := r.Body.Op()
	if r.Header.Op != 0 && r.Header.Op != op {
		return dst, encodeErr(op, "op", "header op "+r.Header.Op.String()+" disagrees with the body")
	}
	if !r.HasErrReturn && r.ErrReturnPath != "" {
		return dst, encodeErr(op, "error_return_path", "path without HasErrReturn")
	}
	if r.HasErrReturn && !ErrReturnExpected(op, r.Header.IPCFlags, true) {
		return dst, encodeErr(op, "error_return_path", "this op with these ipc flags never carries the placeholder")
	}
	if !r.HasErrReturn && ErrReturnExpected(op, r.Header.IPCFlags, false) {
		return dst, encodeErr(op, "error_return_path", "this op always carries the placeholder unless NoErrSD is set")
	}
	w := &writer{op: op}
	if r.HasErrReturn {
		w.str("error_return_path", r.ErrReturnPath)
	}
	r.Body.appendBody(w)
	return appendFrame(dst, r.Header, op, w, r.TLVs)
}

// Encode returns the encoded frame; see Append.
func (r Request) Encode() ([]byte, error) { return r.Append(nil) }

// appendFrame appends header, body (from w) and TLVs, fixing Version, Op and
// DataLen.
func appendFrame(dst []byte, h Header, op Op, w *writer, tlvs []byte) ([]byte, error) {
	if w.err != nil {
		return dst, w.err
	}
	if len(tlvs) > 0 && h.IPCFlags&TrailingTLVs == 0 {
		return dst, encodeErr(op, "tlvs", "TLV bytes without the TrailingTLVs flag")
	}
	n := len(w.b) + len(tlvs)
	if n > MaxDataLen {
		return dst, encodeErr(op, "datalen", "body longer than MaxDataLen")
	}
	h.Version = ProtocolVersion
	h.Op = op
	h.DataLen = uint32(n)
	dst = h.Append(dst)
	dst = append(dst, w.b...)
	return append(dst, tlvs...), nil
}
