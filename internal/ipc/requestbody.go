package ipc

// RequestBody is the typed body of a request, one type per op (README
// "Request bodies"). The error-return placeholder, when present, is not part
// of the body: it is kept in Request. The set of implementations is closed:
// ConnectionRequest, RegisterRecordRequest, RemoveRecordRequest,
// EnumerationRequest, RegisterServiceRequest, BrowseRequest, ResolveRequest,
// QueryRequest, ReconfirmRecordRequest, AddRecordRequest,
// UpdateRecordRequest, GetPropertyRequest, PortMappingRequest,
// AddrInfoRequest and CancelRequest.
type RequestBody interface {
	// Op is the request op that carries this body.
	Op() Op
	appendBody(w *writer)
}

// ConnectionRequest is op 1, connection_request (DNSServiceCreateConnection).
// Its body is empty; later requests on the connection are sub-operations of a
// shared connection.
type ConnectionRequest struct{}

// RegisterRecordRequest is op 2, reg_record_request
// (DNSServiceRegisterRecord): flags u32, interfaceIndex u32, fullname str,
// rrtype u16, rrclass u16, rdlen u16, rdata, ttl u32. The header's reg_index
// is the new record's index and its client context names the record in the
// reg_record_reply or async_error.
type RegisterRecordRequest struct {
	Flags          Flags // FlagShared or FlagUnique, maybe FlagQueueRequest
	InterfaceIndex uint32
	FullName       string
	RRType         uint16
	RRClass        uint16
	RData          []byte
	TTL            uint32
}

// RemoveRecordRequest is op 3, remove_record_request (DNSServiceRemoveRecord):
// flags u32. The record is named by the header's reg_index (and on a shared
// connection also by its client context).
type RemoveRecordRequest struct {
	Flags Flags
}

// EnumerationRequest is op 4, enumeration_request
// (DNSServiceEnumerateDomains): flags u32 (FlagBrowseDomains or
// FlagRegistrationDomains), interfaceIndex u32.
type EnumerationRequest struct {
	Flags          Flags
	InterfaceIndex uint32
}

// RegisterServiceRequest is op 5, reg_service_request (DNSServiceRegister):
// flags u32, interfaceIndex u32, name str (empty = computer name), regtype
// str, domain str (empty = default), host str (empty = this host), port 2
// bytes, txtlen u16, txt.
type RegisterServiceRequest struct {
	Flags          Flags
	InterfaceIndex uint32
	Name           string
	RegType        string
	Domain         string
	Host           string
	Port           uint16 // host order here; big-endian on the wire
	TXT            []byte // raw TXT rdata; empty is sent as txtlen 0
}

// BrowseRequest is op 6, browse_request (DNSServiceBrowse): flags u32,
// interfaceIndex u32, regtype str, domain str.
type BrowseRequest struct {
	Flags          Flags
	InterfaceIndex uint32
	RegType        string
	Domain         string
}

// ResolveRequest is op 7, resolve_request (DNSServiceResolve): flags u32,
// interfaceIndex u32, name str, regtype str, domain str.
type ResolveRequest struct {
	Flags          Flags
	InterfaceIndex uint32
	Name           string
	RegType        string
	Domain         string
}

// QueryRequest is op 8, query_request (DNSServiceQueryRecord): flags u32,
// interfaceIndex u32, fullname str, rrtype u16, rrclass u16.
type QueryRequest struct {
	Flags          Flags
	InterfaceIndex uint32
	FullName       string
	RRType         uint16
	RRClass        uint16
}

// ReconfirmRecordRequest is op 9, reconfirm_record_request
// (DNSServiceReconfirmRecord): flags u32, interfaceIndex u32, fullname str,
// rrtype u16, rrclass u16, rdlen u16, rdata. There is no TTL.
type ReconfirmRecordRequest struct {
	Flags          Flags
	InterfaceIndex uint32
	FullName       string
	RRType         uint16
	RRClass        uint16
	RData          []byte
}

// AddRecordRequest is op 10, add_record_request (DNSServiceAddRecord): flags
// u32, rrtype u16, rdlen u16, rdata, ttl u32 (0 = default). The header's
// reg_index is the new record's index.
type AddRecordRequest struct {
	Flags  Flags
	RRType uint16
	RData  []byte
	TTL    uint32
}

// UpdateRecordRequest is op 11, update_record_request
// (DNSServiceUpdateRecord): flags u32, rdlen u16, rdata, ttl u32. The header's
// reg_index names the record, RegIndexPrimaryTXT for the primary TXT.
type UpdateRecordRequest struct {
	Flags Flags
	RData []byte
	TTL   uint32
}

// PropertyDaemonVersion is the property name of DNSServiceGetProperty that
// the daemon answers (dns_sd.h kDNSServiceProperty_DaemonVersion).
const PropertyDaemonVersion = "DaemonVersion"

// GetPropertyRequest is op 13, getproperty_request (DNSServiceGetProperty):
// property name str. The answer is a PropertyReply, which has no header.
type GetPropertyRequest struct {
	Property string
}

// PortMappingRequest is op 14, port_mapping_request
// (DNSServiceNATPortMappingCreate): flags u32, interfaceIndex u32, protocol
// u32, internal port 2 bytes, external port 2 bytes, ttl u32. It is not in
// the recordings; the layout mirrors the public API's argument order as
// libdns_sd writes it.
type PortMappingRequest struct {
	Flags          Flags
	InterfaceIndex uint32
	Protocol       uint32 // ProtocolUDP, ProtocolTCP or both
	InternalPort   uint16
	ExternalPort   uint16
	TTL            uint32
}

// AddrInfoRequest is op 15, addrinfo_request (DNSServiceGetAddrInfo): flags
// u32, interfaceIndex u32, protocol u32 (ProtocolIPv4, ProtocolIPv6 or both),
// hostname str.
type AddrInfoRequest struct {
	Flags          Flags
	InterfaceIndex uint32
	Protocol       uint32
	Hostname       string
}

// CancelRequest is op 63, cancel_request: an empty body. The header's client
// context says which sub-operation of the shared connection to stop. It has
// no placeholder, no error code and no reply.
type CancelRequest struct{}

// Op implements RequestBody.
func (ConnectionRequest) Op() Op { return OpConnectionRequest }

// Op implements RequestBody.
func (RegisterRecordRequest) Op() Op { return OpRegisterRecordRequest }

// Op implements RequestBody.
func (RemoveRecordRequest) Op() Op { return OpRemoveRecordRequest }

// Op implements RequestBody.
func (EnumerationRequest) Op() Op { return OpEnumerationRequest }

// Op implements RequestBody.
func (RegisterServiceRequest) Op() Op { return OpRegisterServiceRequest }

// Op implements RequestBody.
func (BrowseRequest) Op() Op { return OpBrowseRequest }

// Op implements RequestBody.
func (ResolveRequest) Op() Op { return OpResolveRequest }

// Op implements RequestBody.
func (QueryRequest) Op() Op { return OpQueryRequest }

// Op implements RequestBody.
func (ReconfirmRecordRequest) Op() Op { return OpReconfirmRecordRequest }

// Op implements RequestBody.
func (AddRecordRequest) Op() Op { return OpAddRecordRequest }

// Op implements RequestBody.
func (UpdateRecordRequest) Op() Op { return OpUpdateRecordRequest }

// Op implements RequestBody.
func (GetPropertyRequest) Op() Op { return OpGetPropertyRequest }

// Op implements RequestBody.
func (PortMappingRequest) Op() Op { return OpPortMappingRequest }

// Op implements RequestBody.
func (AddrInfoRequest) Op() Op { return OpAddrInfoRequest }

// Op implements RequestBody.
func (CancelRequest) Op() Op { return OpCancelRequest }

func (ConnectionRequest) appendBody(*writer) {}
func (CancelRequest) appendBody(*writer)     {}

func (b RegisterRecordRequest) appendBody(w *writer) {
	w.u32(uint32(b.Flags))
	w.u32(b.InterfaceIndex)
	w.str("fullname", b.FullName)
	w.u16(b.RRType)
	w.u16(b.RRClass)
	w.blob("rdata", b.RData)
	w.u32(b.TTL)
}

func (b RemoveRecordRequest) appendBody(w *writer) { w.u32(uint32(b.Flags)) }

func (b EnumerationRequest) appendBody(w *writer) {
	w.u32(uint32(b.Flags))
	w.u32(b.InterfaceIndex)
}

func (b RegisterServiceRequest) appendBody(w *writer) {
	w.u32(uint32(b.Flags))
	w.u32(b.InterfaceIndex)
	w.str("name", b.Name)
	w.str("regtype", b.RegType)
	w.str("domain", b.Domain)
	w.str("host", b.Host)
	w.u16(b.Port)
	w.blob("txt", b.TXT)
}

func (b BrowseRequest) appendBody(w *writer) {
	w.u32(uint32(b.Flags))
	w.u32(b.InterfaceIndex)
	w.str("regtype", b.RegType)
	w.str("domain", b.Domain)
}

func (b ResolveRequest) appendBody(w *writer) {
	w.u32(uint32(b.Flags))
	w.u32(b.InterfaceIndex)
	w.str("name", b.Name)
	w.str("regtype", b.RegType)
	w.str("domain", b.Domain)
}

func (b QueryRequest) appendBody(w *writer) {
	w.u32(uint32(b.Flags))
	w.u32(b.InterfaceIndex)
	w.str("fullname", b.FullName)
	w.u16(b.RRType)
	w.u16(b.RRClass)
}

func (b ReconfirmRecordRequest) appendBody(w *writer) {
	w.u32(uint32(b.Flags))
	w.u32(b.InterfaceIndex)
	w.str("fullname", b.FullName)
	w.u16(b.RRType)
	w.u16(b.RRClass)
	w.blob("rdata", b.RData)
}

func (b AddRecordRequest) appendBody(w *writer) {
	w.u32(uint32(b.Flags))
	w.u16(b.RRType)
	w.blob("rdata", b.RData)
	w.u32(b.TTL)
}

func (b UpdateRecordRequest) appendBody(w *writer) {
	w.u32(uint32(b.Flags))
	w.blob("rdata", b.RData)
	w.u32(b.TTL)
}

func (b GetPropertyRequest) appendBody(w *writer) { w.str("property", b.Property) }

func (b PortMappingRequest) appendBody(w *writer) {
	w.u32(uint32(b.Flags))
	w.u32(b.InterfaceIndex)
	w.u32(b.Protocol)
	w.u16(b.InternalPort)
	w.u16(b.ExternalPort)
	w.u32(b.TTL)
}

func (b AddrInfoRequest) appendBody(w *writer) {
	w.u32(uint32(b.Flags))
	w.u32(b.InterfaceIndex)
	w.u32(b.Protocol)
	w.str("hostname", b.Hostname)
}

// decodeRequestBody reads the body of op from r. It returns ok false for an
// op without a body codec.
func decodeRequestBody(op Op, r *reader) (body RequestBody, ok bool) {
	switch op {
	case OpConnectionRequest:
		return ConnectionRequest{}, true
	case OpCancelRequest:
		return CancelRequest{}, true
	case OpRegisterRecordRequest:
		var b RegisterRecordRequest
		b.Flags = Flags(r.u32("flags"))
		b.InterfaceIndex = r.u32("interfaceIndex")
		b.FullName = r.str("fullname")
		b.RRType = r.u16("rrtype")
		b.RRClass = r.u16("rrclass")
		b.RData = r.blob("rdlen", "rdata")
		b.TTL = r.u32("ttl")
		return b, true
	case OpRemoveRecordRequest:
		return RemoveRecordRequest{Flags: Flags(r.u32("flags"))}, true
	case OpEnumerationRequest:
		var b EnumerationRequest
		b.Flags = Flags(r.u32("flags"))
		b.InterfaceIndex = r.u32("interfaceIndex")
		return b, true
	case OpRegisterServiceRequest:
		var b RegisterServiceRequest
		b.Flags = Flags(r.u32("flags"))
		b.InterfaceIndex = r.u32("interfaceIndex")
		b.Name = r.str("name")
		b.RegType = r.str("regtype")
		b.Domain = r.str("domain")
		b.Host = r.str("host")
		b.Port = r.u16("port")
		b.TXT = r.blob("txtlen", "txt")
		return b, true
	case OpBrowseRequest:
		var b BrowseRequest
		b.Flags = Flags(r.u32("flags"))
		b.InterfaceIndex = r.u32("interfaceIndex")
		b.RegType = r.str("regtype")
		b.Domain = r.str("domain")
		return b, true
	case OpResolveRequest:
		var b ResolveRequest
		b.Flags = Flags(r.u32("flags"))
		b.InterfaceIndex = r.u32("interfaceIndex")
		b.Name = r.str("name")
		b.RegType = r.str("regtype")
		b.Domain = r.str("domain")
		return b, true
	case OpQueryRequest:
		var b QueryRequest
		b.Flags = Flags(r.u32("flags"))
		b.InterfaceIndex = r.u32("interfaceIndex")
		b.FullName = r.str("fullname")
		b.RRType = r.u16("rrtype")
		b.RRClass = r.u16("rrclass")
		return b, true
	case OpReconfirmRecordRequest:
		var b ReconfirmRecordRequest
		b.Flags = Flags(r.u32("flags"))
		b.InterfaceIndex = r.u32("interfaceIndex")
		b.FullName = r.str("fullname")
		b.RRType = r.u16("rrtype")
		b.RRClass = r.u16("rrclass")
		b.RData = r.blob("rdlen", "rdata")
		return b, true
	case OpAddRecordRequest:
		var b AddRecordRequest
		b.Flags = Flags(r.u32("flags"))
		b.RRType = r.u16("rrtype")
		b.RData = r.blob("rdlen", "rdata")
		b.TTL = r.u32("ttl")
		return b, true
	case OpUpdateRecordRequest:
		var b UpdateRecordRequest
		b.Flags = Flags(r.u32("flags"))
		b.RData = r.blob("rdlen", "rdata")
		b.TTL = r.u32("ttl")
		return b, true
	case OpGetPropertyRequest:
		return GetPropertyRequest{Property: r.str("property")}, true
	case OpPortMappingRequest:
		var b PortMappingRequest
		b.Flags = Flags(r.u32("flags"))
		b.InterfaceIndex = r.u32("interfaceIndex")
		b.Protocol = r.u32("protocol")
		b.InternalPort = r.u16("internalPort")
		b.ExternalPort = r.u16("externalPort")
		b.TTL = r.u32("ttl")
		return b, true
	case OpAddrInfoRequest:
		var b AddrInfoRequest
		b.Flags = Flags(r.u32("flags"))
		b.InterfaceIndex = r.u32("interfaceIndex")
		b.Protocol = r.u32("protocol")
		b.Hostname = r.str("hostname")
		return b, true
	}
	return nil, false
}
