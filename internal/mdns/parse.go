package mdns

import (
	"encoding/binary"
	"errors"

	"github.com/miekg/dns"
)

// unpack parses a received message. When miekg/dns refuses the message
// because of one record it cannot take (python-zeroconf 0.47, for one,
// sends NSEC records with an empty type-bitmap block), the message is read
// record by record and the records that do not parse are skipped, as long as
// their framing (name, type, class, TTL, RDLENGTH) is sound; a message whose
// framing is broken is refused.
func unpack(data []byte, m *dns.Msg) (skipped int, err error) {
	if err := m.Unpack(data); err == nil {
		return 0, nil
	}
	*m = dns.Msg{}
	if len(data) < 12 {
		return 0, errors.New("shorter than a DNS header")
	}
	var h dns.MsgHdr
	h.Id = binary.BigEndian.Uint16(data)
	flags := binary.BigEndian.Uint16(data[2:])
	h.Response = flags&(1<<15) != 0
	h.Opcode = int(flags>>11) & 0xf
	h.Authoritative = flags&(1<<10) != 0
	h.Truncated = flags&(1<<9) != 0
	h.RecursionDesired = flags&(1<<8) != 0
	h.RecursionAvailable = flags&(1<<7) != 0
	h.Rcode = int(flags & 0xf)
	m.MsgHdr = h
	counts := [4]int{}
	for i := range counts {
		counts[i] = int(binary.BigEndian.Uint16(data[4+2*i:]))
	}
	off := 12
	for i := 0; i < counts[0]; i++ {
		name, o, err := dns.UnpackDomainName(data, off)
		if err != nil || o+4 > len(data) {
			return skipped, errors.New("malformed question")
		}
		m.Question = append(m.Question, dns.Question{Name: name, Qtype: binary.BigEndian.Uint16(data[o:]), Qclass: binary.BigEndian.Uint16(data[o+2:])})
		off = o + 4
	}
	sections := []*[]dns.RR{&m.Answer, &m.Ns, &m.Extra}
	for s, sec := range sections {
		for i := 0; i < counts[s+1]; i++ {
			_, o, err := dns.UnpackDomainName(data, off)
			if err != nil || o+10 > len(data) {
				return skipped, errors.New("malformed record")
			}
			end := o + 10 + int(binary.BigEndian.Uint16(data[o+8:]))
			if end > len(data) {
				return skipped, errors.New("record data past the end of the message")
			}
			rr, next, err := dns.UnpackRR(data[:end], off)
			if err != nil || next != end {
				skipped++
			} else {
				*sec = append(*sec, rr)
			}
			off = end
		}
	}
	return skipped, nil
}
