// Package mdnsclient is the client side of Apple's mDNSResponder protocol:
// it works through a responder
// daemon speaking Apple's mDNSResponder client protocol (dnssd_ipc.h
// VERSION 1) on a Unix socket: Apple's mDNSResponder on macOS, its POSIX
// build (mdnsd), or `rendezvous daemon`. It is pure Go; no libdns_sd, no
// cgo.
//
// The socket is Config.Path, else the DNSSD_UDS_PATH environment
// variable, else /var/run/mDNSResponder, as for libdns_sd.
//
// A Backend keeps one shared connection (DNSServiceCreateConnection) and
// runs every operation as a sub-operation on it, named by its
// client_context. Each request passes an error-return socket with
// SCM_RIGHTS on its last byte, exactly as libdns_sd does (the protocol's
// "Error return" rules), and the daemon's error code is read from it;
// replies come on the shared socket and are handed to their operation.
//
//	Backend.Register   reg_service_request; returns at the first reg_service_reply
//	                   (the name is established); later replies with a new name
//	                   are delivered on Renamed
//	UpdateTXT          update_record_request of the primary TXT (reg_index 0xFFFFFFFF)
//	Registration.Close cancel_request (the daemon withdraws with goodbyes)
//	Backend.Query      query_request; query_reply with flags Add → Added, else Removed
//	Query.Close        cancel_request
//	Backend.Close      closes the socket: the daemon ends every operation
//
// Errors say what went wrong: a *NotRunningError (errors.Is ErrNotRunning)
// names the socket path where no daemon answered; a *DaemonError carries
// the daemon's error code and matches ErrNameConflict, ErrUnsupported,
// ErrLimit or ErrNotRunning where one fits; a lost connection is
// ErrConnectionLost. Available probes a path without keeping a connection,
// for choosing a backend automatically. Package dnssd adapts it to
// dnssd.Backend (dnssd/mdnsresponder documents that backend).
package mdnsclient
