package ipc

import "fmt"

// Op is the header's op word (dnssd_ipc.h request_op_t and reply_op_t;
// README "Request ops" and "Reply ops").
type Op uint32

// Request ops, client to daemon (README "Request ops").
const (
	// OpConnectionRequest (connection_request) is DNSServiceCreateConnection:
	// it makes the connection a shared one. Empty body.
	OpConnectionRequest Op = 1
	// OpRegisterRecordRequest (reg_record_request) is DNSServiceRegisterRecord.
	OpRegisterRecordRequest Op = 2
	// OpRemoveRecordRequest (remove_record_request) is DNSServiceRemoveRecord.
	OpRemoveRecordRequest Op = 3
	// OpEnumerationRequest (enumeration_request) is DNSServiceEnumerateDomains.
	OpEnumerationRequest Op = 4
	// OpRegisterServiceRequest (reg_service_request) is DNSServiceRegister.
	OpRegisterServiceRequest Op = 5
	// OpBrowseRequest (browse_request) is DNSServiceBrowse.
	OpBrowseRequest Op = 6
	// OpResolveRequest (resolve_request) is DNSServiceResolve.
	OpResolveRequest Op = 7
	// OpQueryRequest (query_request) is DNSServiceQueryRecord.
	OpQueryRequest Op = 8
	// OpReconfirmRecordRequest (reconfirm_record_request) is
	// DNSServiceReconfirmRecord.
	OpReconfirmRecordRequest Op = 9
	// OpAddRecordRequest (add_record_request) is DNSServiceAddRecord.
	OpAddRecordRequest Op = 10
	// OpUpdateRecordRequest (update_record_request) is DNSServiceUpdateRecord.
	OpUpdateRecordRequest Op = 11
	// OpSetDomainRequest (setdomain_request) is legacy. This package has no
	// body codec for it and rejects it with ErrUnknownOp.
	OpSetDomainRequest Op = 12
	// OpGetPropertyRequest (getproperty_request) is DNSServiceGetProperty.
	OpGetPropertyRequest Op = 13
	// OpPortMappingRequest (port_mapping_request) is
	// DNSServiceNATPortMappingCreate. Not recorded in the transcripts.
	OpPortMappingRequest Op = 14
	// OpAddrInfoRequest (addrinfo_request) is DNSServiceGetAddrInfo.
	OpAddrInfoRequest Op = 15
	// OpSendBPF (send_bpf) is obsolete; rejected with ErrUnknownOp.
	OpSendBPF Op = 16
	// OpGetPIDRequest (getpid_request) is Apple-private; rejected with
	// ErrUnknownOp.
	OpGetPIDRequest Op = 17
	// OpReleaseRequest (release_request) is Apple-private; rejected with
	// ErrUnknownOp.
	OpReleaseRequest Op = 18
	// OpConnectionDelegateRequest (connection_delegate_request) is
	// Apple-private; rejected with ErrUnknownOp.
	OpConnectionDelegateRequest Op = 19
	// OpCancelRequest (cancel_request) stops one sub-operation of a shared
	// connection, named by the header's client context. Empty body.
	OpCancelRequest Op = 63
)

// Reply ops, daemon to client (README "Reply ops").
const (
	OpEnumerationReply     Op = 64 // enumeration_reply_op
	OpRegisterServiceReply Op = 65 // reg_service_reply_op
	OpBrowseReply          Op = 66 // browse_reply_op
	OpResolveReply         Op = 67 // resolve_reply_op
	OpQueryReply           Op = 68 // query_reply_op
	OpRegisterRecordReply  Op = 69 // reg_record_reply_op
	// OpGetPropertyReply (getproperty_reply) is defined but never sent: the
	// getproperty answer has no header (see PropertyReply). DecodeReply
	// rejects it with ErrUnknownOp.
	OpGetPropertyReply Op = 70
	OpPortMappingReply Op = 71 // port_mapping_reply_op
	OpAddrInfoReply    Op = 72 // addrinfo_reply_op
	// OpAsyncError (async_error_op) reports the failure of a request that
	// was sent with NoErrSD, echoing its client context.
	OpAsyncError Op = 73
)

var opNames = map[Op]string{
	OpConnectionRequest:         "connection_request",
	OpRegisterRecordRequest:     "reg_record_request",
	OpRemoveRecordRequest:       "remove_record_request",
	OpEnumerationRequest:        "enumeration_request",
	OpRegisterServiceRequest:    "reg_service_request",
	OpBrowseRequest:             "browse_request",
	OpResolveRequest:            "resolve_request",
	OpQueryRequest:              "query_request",
	OpReconfirmRecordRequest:    "reconfirm_record_request",
	OpAddRecordRequest:          "add_record_request",
	OpUpdateRecordRequest:       "update_record_request",
	OpSetDomainRequest:          "setdomain_request",
	OpGetPropertyRequest:        "getproperty_request",
	OpPortMappingRequest:        "port_mapping_request",
	OpAddrInfoRequest:           "addrinfo_request",
	OpSendBPF:                   "send_bpf",
	OpGetPIDRequest:             "getpid_request",
	OpReleaseRequest:            "release_request",
	OpConnectionDelegateRequest: "connection_delegate_request",
	OpCancelRequest:             "cancel_request",
	OpEnumerationReply:          "enumeration_reply_op",
	OpRegisterServiceReply:      "reg_service_reply_op",
	OpBrowseReply:               "browse_reply_op",
	OpResolveReply:              "resolve_reply_op",
	OpQueryReply:                "query_reply_op",
	OpRegisterRecordReply:       "reg_record_reply_op",
	OpGetPropertyReply:          "getproperty_reply_op",
	OpPortMappingReply:          "port_mapping_reply_op",
	OpAddrInfoReply:             "addrinfo_reply_op",
	OpAsyncError:                "async_error_op",
}

// String returns the dnssd_ipc.h name of the op, or "op(N)" for a value the
// protocol does not define.
func (o Op) String() string {
	if s, ok := opNames[o]; ok {
		return s
	}
	return fmt.Sprintf("op(%d)", uint32(o))
}

// IsReply reports whether o is in the reply range (64 and up).
func (o Op) IsReply() bool { return o >= OpEnumerationReply }

// IsRecordOp reports whether o is one of the record operations
// (reg_record_request, remove_record_request, add_record_request,
// update_record_request). Those always carry the error-return placeholder
// unless sent with NoErrSD (README "Error return", item 2).
func (o Op) IsRecordOp() bool {
	switch o {
	case OpRegisterRecordRequest, OpRemoveRecordRequest, OpAddRecordRequest, OpUpdateRecordRequest:
		return true
	}
	return false
}
