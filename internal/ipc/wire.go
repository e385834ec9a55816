package ipc

import (
	"bytes"
	"encoding/binary"
	"strings"
)

// reader decodes the fields of one body. The first failure is kept in err and
// every later read returns a zero value, so decoders read all their fields
// and check err once.
type reader struct {
	b    []byte // the body
	off  int    // read position in b
	base int    // offset of b in the frame, for error reports
	op   Op
	err  error
}

func (r *reader) fail(field string, err error) {
	if r.err == nil {
		r.err = &DecodeError{Op: r.op, Field: field, Offset: r.base + r.off, Err: err}
	}
}

func (r *reader) take(n int, field string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b)-r.off < n {
		r.fail(field, ErrTruncated)
		return nil
	}
	p := r.b[r.off : r.off+n]
	r.off += n
	return p
}

func (r *reader) u32(field string) uint32 {
	p := r.take(4, field)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint32(p)
}

func (r *reader) u16(field string) uint16 {
	p := r.take(2, field)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint16(p)
}

func (r *reader) u8(field string) uint8 {
	p := r.take(1, field)
	if p == nil {
		return 0
	}
	return p[0]
}

// str reads a NUL-terminated string; the NUL must lie inside the body.
func (r *reader) str(field string) string {
	if r.err != nil {
		return ""
	}
	i := bytes.IndexByte(r.b[r.off:], 0)
	if i < 0 {
		r.fail(field, ErrUnterminated)
		return ""
	}
	s := string(r.b[r.off : r.off+i])
	r.off += i + 1
	return s
}

// blob reads a u16 length and that many bytes (rdlen+rdata, txtlen+txt).
// The bytes are copied so the result does not alias the input.
func (r *reader) blob(lenField, field string) []byte {
	n := r.u16(lenField)
	p := r.take(int(n), field)
	if len(p) == 0 {
		return nil // empty is nil, as after a round trip through Encode
	}
	return bytes.Clone(p)
}

// rest returns a copy of the unread bytes, or nil if there are none.
func (r *reader) rest() []byte {
	if r.off >= len(r.b) {
		return nil
	}
	return bytes.Clone(r.b[r.off:])
}

// writer appends the fields of one body. The first encoding failure is kept
// in err.
type writer struct {
	b   []byte
	op  Op
	err error
}

func (w *writer) u32(v uint32) { w.b = binary.BigEndian.AppendUint32(w.b, v) }
func (w *writer) u16(v uint16) { w.b = binary.BigEndian.AppendUint16(w.b, v) }
func (w *writer) u8(v uint8)   { w.b = append(w.b, v) }

func (w *writer) str(field, s string) {
	if strings.IndexByte(s, 0) >= 0 {
		if w.err == nil {
			w.err = encodeErr(w.op, field, "string contains a NUL byte")
		}
		return
	}
	w.b = append(w.b, s...)
	w.b = append(w.b, 0)
}

func (w *writer) blob(field string, p []byte) {
	if len(p) > 0xFFFF {
		if w.err == nil {
			w.err = encodeErr(w.op, field, "longer than 65535 bytes")
		}
		return
	}
	w.u16(uint16(len(p)))
	w.b = append(w.b, p...)
}
