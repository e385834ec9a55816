// Package daemon is rendezvous's shared responder: an IPC server that speaks
// Apple's mDNSResponder client protocol (dnssd_ipc.h VERSION 1, the protocol
// of libdns_sd and the dns-sd tool) on a Unix socket and maps every
// operation onto a dnssd.Backend, normally the embedded responder. Existing
// dns_sd clients, and rendezvous's own mdnsresponder backend, can then use
// one responder per host.
//
// The wire format and its traps are described, with recorded transcripts,
// in testdata/dnssd-ipc/README.md of the shared test data; comments here
// cite its sections ("README ..."). The codec is internal/ipc; this package
// adds the sockets, the error-return channels and the operations.
//
// # Connections
//
// A connection's first request decides what it is (README "Transport and
// byte order", "Error return"):
//
//   - connection_request: a shared connection. Sub-operations are named by
//     their client_context, each request passes an error-return socket by
//     SCM_RIGHTS on its last byte, cancel_request stops one sub-operation.
//   - an operation (register, browse, resolve, query, addrinfo, enumerate):
//     a dedicated connection. Its error code goes back bare on the main
//     socket; later requests may only be record operations on it.
//   - reconfirm_record_request or getproperty_request: a one-shot
//     connection that only waits for the client to close it.
//
// Closing a connection ends everything on it: registrations are withdrawn
// (goodbyes), queries stop. A client that breaks the protocol (bad header,
// unknown op, truncated body, an fd that arrives anywhere but on a request's
// last byte, a missing fd) is disconnected; nothing a client sends can
// crash the server. A client that does not read its replies is
// disconnected once MaxQueuedBytes of replies wait for it or a write blocks
// for WriteTimeout.
//
// # Operations and the Backend
//
//	reg_service_request (5)     Backend.Register; reg_service_reply with the final name
//	                            after probing, and again after every later rename
//	update_record_request (11)  reg_index 0xFFFFFFFF (the primary TXT): UpdateTXT
//	browse_request (6)          PTR query on <type>.<domain>; browse_reply per instance
//	resolve_request (7)         SRV and TXT queries; resolve_reply when both are known
//	query_request (8)           query for the name and type; query_reply per record
//	addrinfo_request (15)       A and/or AAAA queries; addrinfo_reply per address
//	enumeration_request (4)     enumeration_reply "local."
//	reconfirm_record_request (9) error code 0 (see below)
//	getproperty_request (13)    DaemonVersion
//	connection_request (1), cancel_request (63)
//
// What the Backend interface cannot express is refused with the error code
// Unsupported (-65544) through the request's error channel, and the
// connection stays usable:
//
//   - add_record_request (10), reg_record_request (2), remove_record_request
//     (3), and update_record_request of any record but the primary TXT: the
//     Backend publishes whole services only;
//   - port_mapping_request (14): NAT port mapping is not a responder's job;
//   - a registration with an explicit target host, or with port 0 (a name
//     reservation without an SRV record): the Backend publishes SRV records
//     naming this host;
//   - a registration on one interface: the Backend registers on all of them,
//     and serving a service on more networks than asked could expose it;
//   - the special interface indexes (local-only, unicast, P2P);
//   - names outside the zones multicast DNS serves (local. and the link-local
//     reverse zones): the Backends speak multicast DNS only, and a unicast
//     name asked on the link would never be answered.
//
// Reconfirmation is answered with 0 but does nothing: the Backend has no
// way to ask the engine to reconfirm a record.
package daemon
