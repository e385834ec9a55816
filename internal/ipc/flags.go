package ipc

// Flags is a DNSServiceFlags word (dns_sd.h kDNSServiceFlags*), the first
// field of most request bodies and of every reply body. Only the bits this
// protocol's users need are named here; other bits are carried unchanged.
type Flags uint32

// DNSServiceFlags values from the public dns_sd.h. Some bits have a meaning
// on input (in requests) and another on output (in replies).
const (
	// FlagMoreComing (reply): another reply is already queued (README
	// "Reply bodies", Flags).
	FlagMoreComing Flags = 0x1
	// FlagQueueRequest (DNSServiceRegisterRecord input): queue the request
	// until DNSServiceSendQueuedRequests; the bit shares its value with
	// FlagMoreComing. The request then goes out with NoErrSD.
	FlagQueueRequest Flags = 0x1
	// FlagAdd (reply): the result is added; a browse reply without it is a
	// removal.
	FlagAdd Flags = 0x2
	// FlagDefault (enumeration reply): the domain is the default one.
	FlagDefault Flags = 0x4
	// FlagNoAutoRename (register input): report a name conflict instead of
	// renaming.
	FlagNoAutoRename Flags = 0x8
	// FlagShared (register record input): the record may have several
	// owners (e.g. PTR).
	FlagShared Flags = 0x10
	// FlagUnique (register record input): the record's name must be unique
	// and is probed.
	FlagUnique Flags = 0x20
	// FlagBrowseDomains (enumeration input): enumerate browse domains.
	FlagBrowseDomains Flags = 0x40
	// FlagRegistrationDomains (enumeration input): enumerate registration
	// domains.
	FlagRegistrationDomains Flags = 0x80
	// FlagLongLivedQuery (query input): a long-lived unicast query.
	FlagLongLivedQuery Flags = 0x100
	// FlagAllowRemoteQuery (register input): answer queries from beyond the
	// local link.
	FlagAllowRemoteQuery Flags = 0x200
	// FlagForceMulticast (input): use multicast DNS even for a unicast
	// domain.
	FlagForceMulticast Flags = 0x400
	// FlagKnownUnique (register input): skip probing.
	FlagKnownUnique Flags = 0x800
	// FlagReturnIntermediates (query input): return NXDomain and CNAME
	// intermediates.
	FlagReturnIntermediates Flags = 0x1000
	// FlagNonBrowsable (register input): no PTR record (deprecated bit).
	FlagNonBrowsable Flags = 0x2000
	// FlagShareConnection (input): the request is a sub-operation of a
	// shared connection (README "Transport and byte order").
	FlagShareConnection Flags = 0x4000
	// FlagSuppressUnusable (query input): suppress unusable answers.
	FlagSuppressUnusable Flags = 0x8000
	// FlagTimeout (input): stop the operation after a timeout.
	FlagTimeout Flags = 0x10000
	// FlagIncludeP2P (input): include peer-to-peer interfaces.
	FlagIncludeP2P Flags = 0x20000
	// FlagWakeOnResolve (resolve input): wake the peer.
	FlagWakeOnResolve Flags = 0x40000
	// FlagBackgroundTrafficClass (input): background traffic class.
	FlagBackgroundTrafficClass Flags = 0x80000
	// FlagIncludeAWDL (input): include AWDL interfaces.
	FlagIncludeAWDL Flags = 0x100000
	// FlagAnsweredFromCache (reply): the answer came from the cache.
	FlagAnsweredFromCache Flags = 0x40000000
	// FlagAllowExpiredAnswers (query input): expired answers may be
	// returned.
	FlagAllowExpiredAnswers Flags = 0x80000000
	// FlagExpiredAnswer (reply): the answer is expired; same bit as
	// FlagAllowExpiredAnswers.
	FlagExpiredAnswer Flags = 0x80000000
)

// Interface index values with a special meaning (dns_sd.h
// kDNSServiceInterfaceIndex*), as the uint32 the wire carries.
const (
	InterfaceIndexAny       uint32 = 0
	InterfaceIndexLocalOnly uint32 = 0xFFFFFFFF // -1
	InterfaceIndexUnicast   uint32 = 0xFFFFFFFE // -2
	InterfaceIndexP2P       uint32 = 0xFFFFFFFD // -3
)

// Protocol values of addrinfo_request and port_mapping_request (dns_sd.h
// kDNSServiceProtocol_*).
const (
	ProtocolIPv4 uint32 = 0x01
	ProtocolIPv6 uint32 = 0x02
	ProtocolUDP  uint32 = 0x10
	ProtocolTCP  uint32 = 0x20
)
