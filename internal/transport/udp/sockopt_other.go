//go:build !linux

package udp

import "net"

// multicastAllOff is Linux-only; elsewhere Receive's destination filter
// does the work.
func multicastAllOff(net.PacketConn, bool) {}
