package ipc

import "net/netip"

// ReplyBody is the typed body of a reply, one type per reply op (README
// "Reply bodies"). Every implementation embeds ReplyCommon. The set is
// closed: EnumerationReply, RegisterServiceReply, BrowseReply, ResolveReply,
// QueryReply, RegisterRecordReply, PortMappingReply, AddrInfoReply and
// AsyncErrorReply.
type ReplyBody interface {
	// Op is the reply op that carries this body.
	Op() Op
	// Common returns the flags, interface index and error that start every
	// reply body.
	Common() ReplyCommon
	appendBody(w *writer)
}

// ReplyCommon is the start of every reply body: flags u32, interfaceIndex
// u32, error int32.
type ReplyCommon struct {
	Flags          Flags // FlagAdd, FlagMoreComing, FlagAnsweredFromCache, ...
	InterfaceIndex uint32
	Error          Error // NoError, or the operation's failure
}

// Common implements ReplyBody.
func (c ReplyCommon) Common() ReplyCommon { return c }

func (c ReplyCommon) appendCommon(w *writer) {
	w.u32(uint32(c.Flags))
	w.u32(c.InterfaceIndex)
	w.u32(uint32(c.Error))
}

func readCommon(r *reader) ReplyCommon {
	var c ReplyCommon
	c.Flags = Flags(r.u32("flags"))
	c.InterfaceIndex = r.u32("interfaceIndex")
	c.Error = Error(int32(r.u32("error")))
	return c
}

// EnumerationReply is op 64, enumeration_reply_op: common fields, domain str
// (for example "local."). FlagAdd without FlagDefault is a plain domain; no
// FlagAdd is a removal.
type EnumerationReply struct {
	ReplyCommon
	Domain string
}

// RegisterServiceReply is op 65, reg_service_reply_op: common fields, name
// str (the name actually registered, after any rename), regtype str, domain
// str. A NameConflict failure comes in this shape too.
type RegisterServiceReply struct {
	ReplyCommon
	Name    string
	RegType string
	Domain  string
}

// BrowseReply is op 66, browse_reply_op: common fields, name str (instance
// name, unescaped), regtype str, domain str. Without FlagAdd it is a removal.
type BrowseReply struct {
	ReplyCommon
	Name    string
	RegType string
	Domain  string
}

// ResolveReply is op 67, resolve_reply_op: common fields, fullname str
// (escaped, a space is `\032`), hosttarget str, port 2 bytes, txtlen u16, txt.
type ResolveReply struct {
	ReplyCommon
	FullName   string
	HostTarget string
	Port       uint16 // host order here; big-endian on the wire
	TXT        []byte
}

// QueryReply is op 68, query_reply_op: common fields, fullname str, rrtype
// u16, rrclass u16, rdlen u16, rdata, ttl u32.
type QueryReply struct {
	ReplyCommon
	FullName string
	RRType   uint16
	RRClass  uint16
	RData    []byte
	TTL      uint32
}

// RegisterRecordReply is op 69, reg_record_reply_op: the common fields only
// (datalen 12). The record is identified by the header's client context.
type RegisterRecordReply struct {
	ReplyCommon
}

// PortMappingReply is op 71, port_mapping_reply_op: common fields, external
// address 4 bytes, protocol u8, internal port 2 bytes, external port 2 bytes,
// ttl u32. Not recorded; the layout is the one the README gives for how
// libdns_sd parses it.
type PortMappingReply struct {
	ReplyCommon
	ExternalAddress [4]byte
	Protocol        uint8
	InternalPort    uint16
	ExternalPort    uint16
	TTL             uint32
}

// AddrInfoReply is op 72, addrinfo_reply_op: common fields, hostname str,
// rrtype u16 (1 or 28), rrclass u16, rdlen u16, rdata (4 or 16 bytes), ttl
// u32.
type AddrInfoReply struct {
	ReplyCommon
	Hostname string
	RRType   uint16
	RRClass  uint16
	RData    []byte
	TTL      uint32
}

// Addr returns the address in RData when it is an A (4 bytes) or AAAA (16
// bytes) rdata.
func (a AddrInfoReply) Addr() (netip.Addr, bool) {
	switch {
	case a.RRType == 1 && len(a.RData) == 4:
		return netip.AddrFrom4([4]byte(a.RData)), true
	case a.RRType == 28 && len(a.RData) == 16:
		return netip.AddrFrom16([16]byte(a.RData)), true
	}
	return netip.Addr{}, false
}

// AsyncErrorReply is op 73, async_error_op: the failure of a request sent with
// NoErrSD, matched to it by the header's client context. After the common
// fields it carries a resolve-shaped filler: name str, target str, port 2
// bytes, txtlen u16, txt. The daemon sends empty strings and zeros; other
// values are kept so the frame re-encodes exactly.
type AsyncErrorReply struct {
	ReplyCommon
	Name   string
	Target string
	Port   uint16
	TXT    []byte
}

// Op implements ReplyBody.
func (EnumerationReply) Op() Op { return OpEnumerationReply }

// Op implements ReplyBody.
func (RegisterServiceReply) Op() Op { return OpRegisterServiceReply }

// Op implements ReplyBody.
func (BrowseReply) Op() Op { return OpBrowseReply }

// Op implements ReplyBody.
func (ResolveReply) Op() Op { return OpResolveReply }

// Op implements ReplyBody.
func (QueryReply) Op() Op { return OpQueryReply }

// Op implements ReplyBody.
func (RegisterRecordReply) Op() Op { return OpRegisterRecordReply }

// Op implements ReplyBody.
func (PortMappingReply) Op() Op { return OpPortMappingReply }

// Op implements ReplyBody.
func (AddrInfoReply) Op() Op { return OpAddrInfoReply }

// Op implements ReplyBody.
func (AsyncErrorReply) Op() Op { return OpAsyncError }

func (b EnumerationReply) appendBody(w *writer) {
	b.appendCommon(w)
	w.str("domain", b.Domain)
}

func (b RegisterServiceReply) appendBody(w *writer) {
	b.appendCommon(w)
	w.str("name", b.Name)
	w.str("regtype", b.RegType)
	w.str("domain", b.Domain)
}

func (b BrowseReply) appendBody(w *writer) {
	b.appendCommon(w)
	w.str("name", b.Name)
	w.str("regtype", b.RegType)
	w.str("domain", b.Domain)
}

func (b ResolveReply) appendBody(w *writer) {
	b.appendCommon(w)
	w.str("fullname", b.FullName)
	w.str("hosttarget", b.HostTarget)
	w.u16(b.Port)
	w.blob("txt", b.TXT)
}

func (b QueryReply) appendBody(w *writer) {
	b.appendCommon(w)
	w.str("fullname", b.FullName)
	w.u16(b.RRType)
	w.u16(b.RRClass)
	w.blob("rdata", b.RData)
	w.u32(b.TTL)
}

func (b RegisterRecordReply) appendBody(w *writer) { b.appendCommon(w) }

func (b PortMappingReply) appendBody(w *writer) {
	b.appendCommon(w)
	w.b = append(w.b, b.ExternalAddress[:]...)
	w.u8(b.Protocol)
	w.u16(b.InternalPort)
	w.u16(b.ExternalPort)
	w.u32(b.TTL)
}

func (b AddrInfoReply) appendBody(w *writer) {
	b.appendCommon(w)
	w.str("hostname", b.Hostname)
	w.u16(b.RRType)
	w.u16(b.RRClass)
	w.blob("rdata", b.RData)
	w.u32(b.TTL)
}

func (b AsyncErrorReply) appendBody(w *writer) {
	b.appendCommon(w)
	w.str("name", b.Name)
	w.str("target", b.Target)
	w.u16(b.Port)
	w.blob("txt", b.TXT)
}

// decodeReplyBody reads the body of reply op op from r. It returns ok false
// for an op without a body codec.
func decodeReplyBody(op Op, r *reader) (body ReplyBody, ok bool) {
	switch op {
	case OpEnumerationReply:
		var b EnumerationReply
		b.ReplyCommon = readCommon(r)
		b.Domain = r.str("domain")
		return b, true
	case OpRegisterServiceReply:
		var b RegisterServiceReply
		b.ReplyCommon = readCommon(r)
		b.Name = r.str("name")
		b.RegType = r.str("regtype")
		b.Domain = r.str("domain")
		return b, true
	case OpBrowseReply:
		var b BrowseReply
		b.ReplyCommon = readCommon(r)
		b.Name = r.str("name")
		b.RegType = r.str("regtype")
		b.Domain = r.str("domain")
		return b, true
	case OpResolveReply:
		var b ResolveReply
		b.ReplyCommon = readCommon(r)
		b.FullName = r.str("fullname")
		b.HostTarget = r.str("hosttarget")
		b.Port = r.u16("port")
		b.TXT = r.blob("txtlen", "txt")
		return b, true
	case OpQueryReply:
		var b QueryReply
		b.ReplyCommon = readCommon(r)
		b.FullName = r.str("fullname")
		b.RRType = r.u16("rrtype")
		b.RRClass = r.u16("rrclass")
		b.RData = r.blob("rdlen", "rdata")
		b.TTL = r.u32("ttl")
		return b, true
	case OpRegisterRecordReply:
		return RegisterRecordReply{ReplyCommon: readCommon(r)}, true
	case OpPortMappingReply:
		var b PortMappingReply
		b.ReplyCommon = readCommon(r)
		if p := r.take(4, "externalAddress"); p != nil {
			b.ExternalAddress = [4]byte(p)
		}
		b.Protocol = r.u8("protocol")
		b.InternalPort = r.u16("internalPort")
		b.ExternalPort = r.u16("externalPort")
		b.TTL = r.u32("ttl")
		return b, true
	case OpAddrInfoReply:
		var b AddrInfoReply
		b.ReplyCommon = readCommon(r)
		b.Hostname = r.str("hostname")
		b.RRType = r.u16("rrtype")
		b.RRClass = r.u16("rrclass")
		b.RData = r.blob("rdlen", "rdata")
		b.TTL = r.u32("ttl")
		return b, true
	case OpAsyncError:
		var b AsyncErrorReply
		b.ReplyCommon = readCommon(r)
		b.Name = r.str("name")
		b.Target = r.str("target")
		b.Port = r.u16("port")
		b.TXT = r.blob("txtlen", "txt")
		return b, true
	}
	return nil, false
}
