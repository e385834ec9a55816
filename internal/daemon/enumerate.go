package daemon

import (
	"encoding/binary"

	"github.com/rendezvous-mdns/rendezvous/internal/ipc"
)

// enumOp is an enumeration_request (DNSServiceEnumerateDomains): multicast
// DNS has one domain, so the answer is a single enumeration_reply
// "local.", flags Add (README enumerate_browse.json and
// enumerate_registration.json: Apple's daemon does not set Default either).
// It then stays open, as the client expects, until cancelled.
type enumOp struct {
	*opBase
}

func (s *session) prepareEnumeration(base *opBase, b ipc.EnumerationRequest) (operation, ipc.Error) {
	switch b.Flags & (ipc.FlagBrowseDomains | ipc.FlagRegistrationDomains) {
	case ipc.FlagBrowseDomains, ipc.FlagRegistrationDomains:
	default:
		return nil, ipc.BadParam // exactly one of the two (dns_sd.h)
	}
	if code := s.srv.checkInterface(b.InterfaceIndex); code != ipc.NoError {
		return nil, code
	}
	return &enumOp{opBase: base}, ipc.NoError
}

func (o *enumOp) start() {
	o.send(ipc.EnumerationReply{ReplyCommon: ipc.ReplyCommon{Flags: ipc.FlagAdd}, Domain: "local."})
}

// DaemonVersion is what getproperty "DaemonVersion" answers: 16610000,
// printed by dns-sd -V as 1661.0.0. It is the version of Apple's daemon
// whose behaviour the recorded transcripts show and this server follows
// (README getproperty.json), so a client that gates features on the version
// sees the protocol it gets. It is not a claim to be Apple's daemon (though
// nothing in this protocol tells the two apart).
const DaemonVersion uint32 = 16610000

// propertyAnswer is the headerless getproperty answer: error, length,
// value (README "Error return", item 5). An unknown property gets
// Unsupported and an empty value, which libdns_sd reads cleanly.
func propertyAnswer(r ipc.GetPropertyRequest) []byte {
	p := ipc.PropertyReply{Error: ipc.Unsupported}
	if r.Property == ipc.PropertyDaemonVersion {
		p = ipc.PropertyReply{Value: binary.BigEndian.AppendUint32(nil, DaemonVersion)}
	}
	b, _ := p.Encode() // a 4-byte value always encodes
	return b
}
