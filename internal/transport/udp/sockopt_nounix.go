//go:build !unix

package udp

import "syscall"

// reuseControl: on systems without SO_REUSEPORT the default socket options
// are used; sharing port 5353 may then fail with a clear error.
func reuseControl(network, address string, c syscall.RawConn) error { return nil }
