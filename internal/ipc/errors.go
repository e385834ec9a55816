package ipc

import (
	"errors"
	"fmt"
)

// Error is a DNSServiceErrorType (dns_sd.h kDNSServiceErr_*): the int32 that
// the daemon sends as a bare error code, in the error field of every reply,
// and in the getproperty answer. It implements error; NoError is the value
// 0, which is usually converted to a nil error with Err.
type Error int32

// DNSServiceErrorType values from the public dns_sd.h. -65546 is unassigned.
const (
	NoError                   Error = 0
	Unknown                   Error = -65537
	NoSuchName                Error = -65538
	NoMemory                  Error = -65539
	BadParam                  Error = -65540
	BadReference              Error = -65541
	BadState                  Error = -65542
	BadFlags                  Error = -65543
	Unsupported               Error = -65544
	NotInitialized            Error = -65545
	AlreadyRegistered         Error = -65547
	NameConflict              Error = -65548
	Invalid                   Error = -65549
	Firewall                  Error = -65550
	Incompatible              Error = -65551 // client library incompatible with daemon
	BadInterfaceIndex         Error = -65552
	Refused                   Error = -65553
	NoSuchRecord              Error = -65554
	NoAuth                    Error = -65555
	NoSuchKey                 Error = -65556
	NATTraversal              Error = -65557
	DoubleNAT                 Error = -65558
	BadTime                   Error = -65559
	BadSig                    Error = -65560
	BadKey                    Error = -65561
	Transient                 Error = -65562
	ServiceNotRunning         Error = -65563 // background daemon not running
	NATPortMappingUnsupported Error = -65564
	NATPortMappingDisabled    Error = -65565
	NoRouter                  Error = -65566
	PollingMode               Error = -65567
	Timeout                   Error = -65568
	DefunctConnection         Error = -65569
	PolicyDenied              Error = -65570
	NotPermitted              Error = -65571
	StaleData                 Error = -65572
)

var errorNames = map[Error]string{
	NoError:                   "NoError",
	Unknown:                   "Unknown",
	NoSuchName:                "NoSuchName",
	NoMemory:                  "NoMemory",
	BadParam:                  "BadParam",
	BadReference:              "BadReference",
	BadState:                  "BadState",
	BadFlags:                  "BadFlags",
	Unsupported:               "Unsupported",
	NotInitialized:            "NotInitialized",
	AlreadyRegistered:         "AlreadyRegistered",
	NameConflict:              "NameConflict",
	Invalid:                   "Invalid",
	Firewall:                  "Firewall",
	Incompatible:              "Incompatible",
	BadInterfaceIndex:         "BadInterfaceIndex",
	Refused:                   "Refused",
	NoSuchRecord:              "NoSuchRecord",
	NoAuth:                    "NoAuth",
	NoSuchKey:                 "NoSuchKey",
	NATTraversal:              "NATTraversal",
	DoubleNAT:                 "DoubleNAT",
	BadTime:                   "BadTime",
	BadSig:                    "BadSig",
	BadKey:                    "BadKey",
	Transient:                 "Transient",
	ServiceNotRunning:         "ServiceNotRunning",
	NATPortMappingUnsupported: "NATPortMappingUnsupported",
	NATPortMappingDisabled:    "NATPortMappingDisabled",
	NoRouter:                  "NoRouter",
	PollingMode:               "PollingMode",
	Timeout:                   "Timeout",
	DefunctConnection:         "DefunctConnection",
	PolicyDenied:              "PolicyDenied",
	NotPermitted:              "NotPermitted",
	StaleData:                 "StaleData",
}

// Name returns the dns_sd.h name without its kDNSServiceErr_ prefix, or ""
// for a value dns_sd.h does not define.
func (e Error) Name() string { return errorNames[e] }

// Error returns "dnssd: <Name> (<value>)", or "dnssd: error <value>" for an
// unnamed value.
func (e Error) Error() string {
	if n, ok := errorNames[e]; ok {
		return fmt.Sprintf("dnssd: %s (%d)", n, int32(e))
	}
	return fmt.Sprintf("dnssd: error %d", int32(e))
}

// Err returns nil for NoError and e otherwise, so that a decoded error field
// can be used as a Go error.
func (e Error) Err() error {
	if e == NoError {
		return nil
	}
	return e
}

// codecError is a sentinel that reports itself as a kind of ErrMalformed.
type codecError struct{ msg string }

func (e *codecError) Error() string { return "ipc: " + e.msg }
func (e *codecError) Unwrap() error { return ErrMalformed }

// Errors of the codec. Every decoding failure wraps ErrMalformed and one of
// the more precise sentinels, so errors.Is(err, ErrMalformed) tells a server
// that the peer broke the protocol and the connection should be dropped.
var (
	// ErrMalformed is wrapped by every decoding error.
	ErrMalformed = errors.New("ipc: malformed message")
	// ErrVersion: the header's version is not ProtocolVersion, or (on the
	// daemon→client stream) the first word is neither a version nor an
	// error code.
	ErrVersion error = &codecError{"unsupported protocol version"}
	// ErrTooLong: datalen (or a getproperty length) is over MaxDataLen.
	ErrTooLong error = &codecError{"length over the limit"}
	// ErrUnknownOp: the op is not one this package can decode in that
	// direction.
	ErrUnknownOp error = &codecError{"unknown or unsupported op"}
	// ErrTruncated: the input ends inside the header or inside a field, or
	// is shorter than datalen.
	ErrTruncated error = &codecError{"truncated"}
	// ErrUnterminated: a string has no NUL before the end of the body.
	ErrUnterminated error = &codecError{"string not NUL-terminated"}
	// ErrTrailing: bytes follow the last field and the TrailingTLVs flag is
	// not set, or follow the frame.
	ErrTrailing error = &codecError{"unexpected trailing bytes"}

	// ErrNeedMore is returned by the stream framers when the buffered input
	// does not yet hold a complete item. It is not an error of the peer.
	ErrNeedMore = errors.New("ipc: need more input")

	// ErrInvalid is wrapped by encoding errors: a value that the wire format
	// cannot carry (a string with a NUL, rdata over 65535 bytes, a body over
	// MaxDataLen, inconsistent header fields).
	ErrInvalid = errors.New("ipc: value cannot be encoded")
)

// DecodeError describes where decoding failed. Err is one of the sentinels
// above (ErrTruncated, ErrUnterminated, ...); errors.Is sees through it to the
// sentinel and to ErrMalformed.
type DecodeError struct {
	Op     Op     // the op from the header, 0 if unknown
	Field  string // the field being decoded, as named in the README tables
	Offset int    // offset of the field from the start of the frame
	Err    error
}

func (e *DecodeError) Error() string {
	why := "malformed"
	if ce, ok := e.Err.(*codecError); ok {
		why = ce.msg
	} else if e.Err != nil {
		why = e.Err.Error()
	}
	if e.Op == 0 {
		return fmt.Sprintf("ipc: %s at offset %d: %s", e.Field, e.Offset, why)
	}
	return fmt.Sprintf("ipc: %v: %s at offset %d: %s", e.Op, e.Field, e.Offset, why)
}

// Unwrap returns the sentinel.
func (e *DecodeError) Unwrap() error { return e.Err }

func encodeErr(op Op, field, why string) error {
	if op == 0 {
		return fmt.Errorf("ipc: encode: %s: %s: %w", field, why, ErrInvalid)
	}
	return fmt.Errorf("ipc: encode %v: %s: %s: %w", op, field, why, ErrInvalid)
}
