package ipc

// Reply is one daemon→client frame with a header: the header, the typed body
// and any raw trailing TLV bytes (README "Reply bodies").
type Reply struct {
	// Header is the frame's header. Context echoes the request's client
	// context; IPCFlags and RegIndex are 0 in replies. On encoding, Version
	// and DataLen are computed and Op is taken from Body (a non-zero Op that
	// disagrees with Body is an error).
	Header Header
	// Body holds the op's fields.
	Body ReplyBody
	// TLVs holds the raw bytes after the body when Header.IPCFlags has
	// TrailingTLVs (nil when there are none).
	TLVs []byte
}

// DecodeReply decodes one complete reply frame: exactly HeaderLen + datalen
// bytes (ClientStream cuts the daemon's byte stream into such frames).
//
// Every failure is a *DecodeError wrapping ErrMalformed and one of
// ErrVersion, ErrTooLong, ErrTruncated, ErrTrailing, ErrUnterminated or
// ErrUnknownOp (for request ops, op 70 which is never sent, and undefined
// values).
func DecodeReply(frame []byte) (Reply, error) {
	h, err := DecodeHeader(frame)
	if err != nil {
		return Reply{}, err
	}
	body, err := frameBody(h, frame)
	if err != nil {
		return Reply{}, err
	}
	r := &reader{b: body, base: HeaderLen, op: h.Op}
	b, ok := decodeReplyBody(h.Op, r)
	if !ok {
		return Reply{}, &DecodeError{Op: h.Op, Field: "op", Offset: 12, Err: ErrUnknownOp}
	}
	if r.err != nil {
		return Reply{}, r.err
	}
	rep := Reply{Header: h, Body: b}
	if rep.TLVs, err = trailing(h, r); err != nil {
		return Reply{}, err
	}
	return rep, nil
}

// Append appends the encoded frame to dst. It fails, leaving dst as it was,
// with an error wrapping ErrInvalid if Body is nil, Header.Op disagrees with
// Body, TLVs are set without the TrailingTLVs flag, a string contains a NUL,
// rdata or TXT is over 65535 bytes, or the body is over MaxDataLen.
func (r Reply) Append(dst []byte) ([]byte, error) {
	if r.Body == nil {
		return dst, encodeErr(r.Header.Op, "body", "no body")
	}
	op := r.Body.Op()
	if r.Header.Op != 0 && r.Header.Op != op {
		return dst, encodeErr(op, "op", "header op "+r.Header.Op.String()+" disagrees with the body")
	}
	w := &writer{op: op}
	r.Body.appendBody(w)
	return appendFrame(dst, r.Header, op, w, r.TLVs)
}

// Encode returns the encoded frame; see Append.
func (r Reply) Encode() ([]byte, error) { return r.Append(nil) }
