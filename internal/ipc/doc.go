// Package ipc is a sans-IO codec of the local protocol that Apple's libdns_sd
// client library speaks to the mDNSResponder daemon over a Unix socket
// (dnssd_ipc.h, protocol VERSION 1).
//
// The package only turns bytes into values and values into bytes. It opens
// no sockets, starts no goroutines and reads no clock, so it can serve both
// sides of the protocol: a client backend that talks to a daemon, and a
// daemon that serves clients.
//
// The wire format is described, with byte-exact recorded transcripts, in
// testdata/dnssd-ipc/README.md of the shared test data. In short:
//
//   - Every message except two starts with a 28-byte [Header] (README "The
//     28-byte header"). All integers are big-endian; the 8-byte client
//     context is opaque.
//   - A request ([Request], ops 1–63) carries a typed body ([RequestBody]),
//     possibly preceded by the error-return placeholder string (README
//     "Error return: socket, placeholder byte and SCM_RIGHTS").
//   - A reply ([Reply], ops 64 and up) always starts with flags, interface
//     index and error code ([ReplyCommon]).
//   - The two headerless answers are the bare 4-byte error code that the
//     daemon writes after the first request of a dedicated connection
//     ([DecodeErrorCode]), and the getproperty answer ([PropertyReply]).
//
// Decoding is meant for untrusted input: every length is checked, and every
// failure is an error that wraps [ErrMalformed] (and a more precise sentinel
// such as [ErrVersion], [ErrTooLong], [ErrUnknownOp], [ErrTruncated],
// [ErrUnterminated] or [ErrTrailing]), so a server can decide to drop the
// connection. Anything that decodes re-encodes to the same bytes.
//
// [RequestStream] and [ClientStream] cut the two byte streams of a connection
// into frames without ever buffering more than one maximal frame
// ([HeaderLen] + [MaxDataLen] bytes).
package ipc
