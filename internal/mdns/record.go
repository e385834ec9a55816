package mdns

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"time"

	"github.com/miekg/dns"

	"github.com/rendezvous-mdns/rendezvous/internal/dnsname"
)

// cacheFlushBit is the top bit of the rrclass of a unique record in a
// response (RFC 6762 §10.2); the same bit in a question's qclass asks for a
// unicast response (RFC 6762 §5.4).
const cacheFlushBit = 0x8000

// classOf returns an RR's class without the cache-flush bit.
func classOf(rr dns.RR) uint16 { return rr.Header().Class &^ cacheFlushBit }

// hasFlush reports whether the RR has the cache-flush bit set.
func hasFlush(rr dns.RR) bool { return rr.Header().Class&cacheFlushBit != 0 }

// rdata returns the uncompressed wire form of an RR's rdata, the bytes
// compared for conflicts and probe tie-breaking (RFC 6762 §8.2).
func rdata(rr dns.RR) []byte {
	var buf [512]byte
	b := buf[:]
	off, err := dns.PackRR(rr, b, 0, nil, false)
	for err == dns.ErrBuf && len(b) < 65536 {
		b = make([]byte, len(b)*4)
		off, err = dns.PackRR(rr, b, 0, nil, false)
	}
	if err != nil {
		return nil
	}
	rdlen := int(rr.Header().Rdlength)
	return bytes.Clone(b[off-rdlen : off])
}

// recordKey identifies a record by name (case-folded), type, class and
// data: two records with the same key are the same record (RFC 6762 §7.1).
// Names inside the data compare case-insensitively too. The common DNS-SD
// types are keyed from their fields; others from their packed rdata.
func recordKey(rr dns.RR) string {
	h := rr.Header()
	b := make([]byte, 0, len(h.Name)+48)
	b = append(b, dnsname.Lower(h.Name)...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint16(b, h.Rrtype)
	b = binary.BigEndian.AppendUint16(b, h.Class&^cacheFlushBit)
	switch v := rr.(type) {
	case *dns.PTR:
		b = append(b, dnsname.Lower(v.Ptr)...)
	case *dns.SRV:
		b = binary.BigEndian.AppendUint16(b, v.Priority)
		b = binary.BigEndian.AppendUint16(b, v.Weight)
		b = binary.BigEndian.AppendUint16(b, v.Port)
		b = append(b, dnsname.Lower(v.Target)...)
	case *dns.A:
		b = append(b, v.A.To4()...)
	case *dns.AAAA:
		b = append(b, v.AAAA.To16()...)
	case *dns.TXT:
		for _, t := range v.Txt {
			b = binary.BigEndian.AppendUint16(b, uint16(len(t)))
			b = append(b, t...)
		}
	default:
		b = append(b, rdata(rr)...)
	}
	return string(b)
}

// nameTypeKey identifies an RRset: name (case-folded) and type.
func nameTypeKey(lname string, t uint16) string {
	return lname + "\x00" + strconv.Itoa(int(t))
}

// withTTL returns a copy of rr with the given TTL and class bits.
func withTTL(rr dns.RR, ttl uint32, flush bool) dns.RR {
	c := dns.Copy(rr)
	h := c.Header()
	h.Ttl = ttl
	h.Class = classOf(rr)
	if flush {
		h.Class |= cacheFlushBit
	}
	return c
}

func secs(d time.Duration) uint32 { return uint32(d / time.Second) }

// rec is a record this engine owns on one link.
type rec struct {
	rr     dns.RR // class IN with the cache-flush bit when unique; full TTL
	plain  dns.RR // the same without the cache-flush bit (probes, legacy)
	key    string
	lname  string
	unique bool
	// probed: part of the probe's Authority section (RFC 6762 §8.1). Reverse
	// address PTRs are unique but, like Apple's, not probed.
	probed bool
	gl     *groupLink
	// lastMcast is when this record was last multicast on its link, for the
	// 1 s rate limit (RFC 6762 §6) and the QU ¼-TTL rule (§5.4).
	lastMcast time.Time
	// reported: announced to local queries (local.go).
	reported bool
}

func newRec(gl *groupLink, rr dns.RR, unique, probed bool) *rec {
	plain := withTTL(rr, rr.Header().Ttl, false)
	r := &rec{
		rr:     withTTL(rr, rr.Header().Ttl, unique),
		plain:  plain,
		key:    recordKey(plain),
		lname:  dnsname.Lower(rr.Header().Name),
		unique: unique,
		probed: probed,
		gl:     gl,
	}
	return r
}

func (r *rec) ttl() time.Duration { return time.Duration(r.rr.Header().Ttl) * time.Second }

// answerable reports whether the record may be used in answers: its group
// finished probing on the link (RFC 6762 §8.1).
func (r *rec) answerable() bool {
	return r.gl.state == phaseAnnouncing || r.gl.state == phaseEstablished
}

// compareRecords orders two records for probe tie-breaking (RFC 6762 §8.2):
// class, then type, then rdata as unsigned bytes.
func compareRecords(a, b dns.RR) int {
	if ca, cb := classOf(a), classOf(b); ca != cb {
		return int(ca) - int(cb)
	}
	if ta, tb := a.Header().Rrtype, b.Header().Rrtype; ta != tb {
		return int(ta) - int(tb)
	}
	return bytes.Compare(rdata(a), rdata(b))
}

func lowerName(n string) string { return dnsname.Lower(n) }
