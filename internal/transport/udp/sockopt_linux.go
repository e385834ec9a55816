//go:build linux

package udp

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// multicastAllOff stops Linux from delivering traffic of every multicast
// group joined anywhere on the host to our wildcard socket
// (IP_MULTICAST_ALL, IPV6_MULTICAST_ALL). Receive filters by destination
// too; this just saves the work.
func multicastAllOff(c net.PacketConn, v6 bool) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) {
		if v6 {
			_ = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_ALL, 0)
		} else {
			_ = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_MULTICAST_ALL, 0)
		}
	})
}
