//go:build linux

package interop

import (
	binenc "encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"

	"golang.org/x/net/ipv4"
)

// Hostile packets, built by hand because they are deliberately not valid
// DNS: a library would refuse to write them. Each is sent by the "hostile"
// helper from another host of the LAN; see TestHostilePacketsLeaveTheResponderWorking.

// hostileCase is one packet (or several) and how to send it.
type hostileCase struct {
	name    string
	packets func(target string) [][]byte // target: the instance name under attack
	srcPort int                          // 0: 5353
	ttl     int                          // 0: 255
	unicast bool                         // to the target host's address instead of the group
	srcAddr string                       // local address to send from ("": any)
}

func header(id uint16, flags uint16, qd, an, ns, ar uint16) []byte {
	b := make([]byte, 12)
	binenc.BigEndian.PutUint16(b[0:], id)
	binenc.BigEndian.PutUint16(b[2:], flags)
	binenc.BigEndian.PutUint16(b[4:], qd)
	binenc.BigEndian.PutUint16(b[6:], an)
	binenc.BigEndian.PutUint16(b[8:], ns)
	binenc.BigEndian.PutUint16(b[10:], ar)
	return b
}

// wireName encodes a dotted name (no escapes) as labels.
func wireName(name string) []byte {
	var b []byte
	for _, l := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		b = append(b, byte(len(l)))
		b = append(b, l...)
	}
	return append(b, 0)
}

func u16(v uint16) []byte { return binenc.BigEndian.AppendUint16(nil, v) }
func u32(v uint32) []byte { return binenc.BigEndian.AppendUint32(nil, v) }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

const flagResponse = 0x8400 // QR, AA

func hostileCases() []hostileCase {
	ptrQ := cat(wireName("_daap._tcp.local"), u16(12), u16(1))
	return []hostileCase{
		{name: "compression-pointer-loop", packets: func(string) [][]byte {
			// The question's name points at itself.
			return [][]byte{cat(header(0, 0, 1, 0, 0, 0), []byte{0xC0, 12}, u16(255), u16(1))}
		}},
		{name: "compression-forward-chain", packets: func(string) [][]byte {
			// 200 pointers, each to the next (forward pointers are not allowed).
			b := header(0, 0, 1, 0, 0, 0)
			for i := 0; i < 200; i++ {
				b = append(b, 0xC0|byte((len(b)+2)>>8), byte(len(b)+2))
			}
			return [][]byte{cat(b, []byte{0}, u16(255), u16(1))}
		}},
		{name: "counts-larger-than-data", packets: func(string) [][]byte {
			return [][]byte{cat(header(0, 0, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF), ptrQ)}
		}},
		{name: "rdlength-past-end", packets: func(string) [][]byte {
			return [][]byte{cat(header(0, flagResponse, 0, 1, 0, 0), wireName("x.local"), u16(1), u16(1), u32(120), u16(500), []byte{10, 0, 0, 1})}
		}},
		{name: "label-type-0x40", packets: func(string) [][]byte {
			return [][]byte{cat(header(0, 0, 1, 0, 0, 0), []byte{0x41, 'a', 0}, u16(255), u16(1))}
		}},
		{name: "label-type-0x80", packets: func(string) [][]byte {
			return [][]byte{cat(header(0, 0, 1, 0, 0, 0), []byte{0x81, 'a', 0}, u16(255), u16(1))}
		}},
		{name: "name-over-255-bytes", packets: func(string) [][]byte {
			long := strings.Repeat(strings.Repeat("a", 63)+".", 5) + "local"
			return [][]byte{cat(header(0, 0, 1, 0, 0, 0), wireName(long), u16(255), u16(1))}
		}},
		{name: "nsec-bitmap-out-of-range", packets: func(string) [][]byte {
			// Window 0 with a bitmap length of 40 (at most 32 is allowed),
			// and one with length 0.
			bad := func(win, n byte) []byte {
				rdata := cat(wireName("x.local"), []byte{win, n}, make([]byte, n))
				return cat(header(0, flagResponse, 0, 1, 0, 0), wireName("x.local"), u16(47), u16(0x8001), u32(120), u16(uint16(len(rdata))), rdata)
			}
			return [][]byte{bad(0, 40), bad(0, 0)}
		}},
		{name: "zero-length", packets: func(string) [][]byte { return [][]byte{{}} }},
		{name: "9000-byte-packet", packets: func(string) [][]byte {
			b := cat(header(0, 0, 1, 0, 0, 0), ptrQ)
			return [][]byte{append(b, make([]byte, 9000-len(b))...)}
		}},
		{name: "response-from-port-40000", srcPort: 40000, packets: func(target string) [][]byte {
			// A conflicting SRV for the target, not from port 5353: ignored.
			return [][]byte{conflictingSRV(target)}
		}},
		{name: "questions-inside-response", packets: func(string) [][]byte {
			return [][]byte{cat(header(0, flagResponse, 1, 1, 0, 0), ptrQ,
				wireName("other._daap._tcp.local"), u16(16), u16(1), u32(120), u16(1), []byte{0})}
		}},
		{name: "ttl-1-query", ttl: 1, packets: func(string) [][]byte {
			return [][]byte{cat(header(0, 0, 1, 0, 0, 0), ptrQ)}
		}},
	}
}

// conflictingSRV is a response claiming the target's instance name with
// other data (port 9), cache-flush set.
func conflictingSRV(target string) []byte {
	rdata := cat(u16(0), u16(0), u16(9), wireName("intruder.local"))
	return cat(header(0, flagResponse, 0, 1, 0, 0), wireName(target+"._daap._tcp.local"),
		u16(33), u16(0x8001), u32(120), u16(uint16(len(rdata))), rdata)
}

// offLinkQuery is a legacy unicast query (source port 40001) for the
// target's SRV.
func offLinkQuery(target string) []byte {
	return cat(header(0x4242, 0, 1, 0, 0, 0), wireName(target+"._daap._tcp.local"), u16(33), u16(1))
}

// sendHostile runs in a host namespace: arg is "case:target:dst", dst the
// target host's IPv4 address.
func sendHostile(arg string) int {
	parts := strings.SplitN(arg, ":", 3)
	if len(parts) != 3 {
		fmt.Fprintln(os.Stderr, "want case:target:dst")
		return 2
	}
	name, target, dst := parts[0], parts[1], parts[2]
	var hc *hostileCase
	all := append(hostileCases(),
		hostileCase{name: "spoofed-conflict", packets: func(t string) [][]byte { return [][]byte{conflictingSRV(t)} }},
		hostileCase{name: "off-link-unicast", unicast: true, srcPort: 40001, srcAddr: offLinkSrc,
			packets: func(t string) [][]byte { return [][]byte{offLinkQuery(t)} }},
		hostileCase{name: "on-link-unicast", unicast: true, srcPort: 40001,
			packets: func(t string) [][]byte { return [][]byte{offLinkQuery(t)} }},
	)
	for i := range all {
		if all[i].name == name {
			hc = &all[i]
		}
	}
	if hc == nil {
		fmt.Fprintln(os.Stderr, "unknown case", name)
		return 2
	}
	port := hc.srcPort
	if port == 0 {
		port = 5353
	}
	laddr := &net.UDPAddr{Port: port}
	if hc.srcAddr != "" {
		laddr.IP = net.ParseIP(hc.srcAddr)
	}
	c, err := net.ListenUDP("udp4", laddr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer c.Close()
	pc := ipv4.NewPacketConn(c)
	ttl := hc.ttl
	if ttl == 0 {
		ttl = 255
	}
	_ = pc.SetMulticastTTL(ttl)
	_ = pc.SetTTL(ttl)
	to := &net.UDPAddr{IP: net.IPv4(224, 0, 0, 251), Port: 5353}
	if hc.unicast {
		to = net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(dst), 5353))
	}
	for _, p := range hc.packets(target) {
		if _, err := c.WriteTo(p, to); err != nil {
			fmt.Fprintln(os.Stderr, "send:", err)
			return 1
		}
	}
	fmt.Println("SENT", name)
	return 0
}

// offLinkSrc is an address in a subnet the target host has a route to but
// no address in: for it the source is off-link (RFC 6762 §11).
const offLinkSrc = "10.250.0.2"
