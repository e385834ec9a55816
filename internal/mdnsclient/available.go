package mdnsclient

import (
	"context"
	"fmt"

	"github.com/rendezvous-mdns/rendezvous/internal/ipc"
)

// Available reports whether a daemon speaking the mDNSResponder protocol
// answers on path ("" means SocketPath's default): it connects, asks for
// the DaemonVersion property and disconnects. A nil error means a Backend
// can be made for path; otherwise the error is a *NotRunningError (or a
// *DaemonError if the daemon refused the question).
func Available(ctx context.Context, path string) error {
	_, err := DaemonVersion(ctx, path)
	return err
}

// DaemonVersion asks the daemon on path ("" means SocketPath's default)
// for its version (dns_sd.h kDNSServiceProperty_DaemonVersion): 16610000
// for "1661.0.0". The answer is the one with no header (the protocol's
// "Error return", item 5).
func DaemonVersion(ctx context.Context, path string) (uint32, error) {
	path = SocketPath(path)
	conn, err := dial(ctx, path)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	frame, _ := ipc.Request{Body: ipc.GetPropertyRequest{Property: ipc.PropertyDaemonVersion}}.Encode()
	var stream ipc.ClientStream
	stream.ExpectProperty()
	it, err := exchange(ctx, conn, &stream, frame)
	if err != nil {
		if ctx.Err() != nil {
			return 0, err
		}
		return 0, &NotRunningError{Path: path, Err: fmt.Errorf("getproperty DaemonVersion: %w", err)}
	}
	if err := daemonErr("getproperty", ipc.PropertyDaemonVersion, it.Property.Error); err != nil {
		return 0, err
	}
	v, ok := it.Property.Uint32()
	if !ok {
		return 0, &NotRunningError{Path: path, Err: fmt.Errorf("getproperty DaemonVersion: a %d-byte value, want 4", len(it.Property.Value))}
	}
	return v, nil
}
