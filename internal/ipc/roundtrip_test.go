package ipc

import (
	"bytes"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

var ctx3 = [8]byte{3, 0, 0, 0, 0, 0, 0, 0}

// TestRequestRoundTrip encodes one request of every type, decodes it and
// checks that the value and the bytes survive.
func TestRequestRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		shared bool
		req    Request
	}{
		{"connection", false, Request{Body: ConnectionRequest{}}},
		{"cancel", true, Request{Header: Header{Context: ctx3}, Body: CancelRequest{}}},
		{"reg_record with placeholder", true, Request{Header: Header{Context: ctx3, RegIndex: 2}, HasErrReturn: true,
			Body: RegisterRecordRequest{Flags: FlagUnique, InterfaceIndex: 2, FullName: "h.local.", RRType: 1, RRClass: 1, RData: []byte{10, 0, 0, 1}, TTL: 120}}},
		{"reg_record queued (NoErrSD)", true, Request{Header: Header{IPCFlags: NoErrSD, Context: ctx3},
			Body: RegisterRecordRequest{Flags: FlagUnique | FlagQueueRequest, FullName: "h.local.", RRType: 1, RRClass: 1, RData: []byte{10, 0, 0, 1}, TTL: 120}}},
		{"remove_record with legacy path", false, Request{Header: Header{RegIndex: 7}, HasErrReturn: true, ErrReturnPath: "/var/tmp/dnssd_result_socket.1234", Body: RemoveRecordRequest{}}},
		{"enumeration", false, Request{Body: EnumerationRequest{Flags: FlagRegistrationDomains, InterfaceIndex: InterfaceIndexLocalOnly}}},
		{"enumeration shared", true, Request{HasErrReturn: true, Body: EnumerationRequest{Flags: FlagBrowseDomains | FlagShareConnection}}},
		{"register", false, Request{Header: Header{IPCFlags: NoReply}, Body: RegisterServiceRequest{Flags: FlagNoAutoRename, Name: "Golden Service", RegType: "_goldtest._tcp", Domain: "local", Host: "h.local", Port: 4242, TXT: []byte("\x05a=b c")}}},
		{"register empty txt", false, Request{Body: RegisterServiceRequest{RegType: "_x._udp"}}},
		{"browse", false, Request{Body: BrowseRequest{RegType: "_http._tcp", Domain: "local"}}},
		{"browse shared", true, Request{Header: Header{Context: ctx3}, HasErrReturn: true, Body: BrowseRequest{Flags: FlagShareConnection, RegType: "_http._tcp"}}},
		{"resolve", false, Request{Body: ResolveRequest{InterfaceIndex: 2, Name: "A b", RegType: "_x._tcp", Domain: "local."}}},
		{"query", false, Request{Body: QueryRequest{Flags: FlagReturnIntermediates | FlagLongLivedQuery, FullName: `A\032b._x._tcp.local`, RRType: 16, RRClass: 1}}},
		{"reconfirm", false, Request{Body: ReconfirmRecordRequest{Flags: FlagAdd | FlagAnsweredFromCache, InterfaceIndex: 2, FullName: "b.local.", RRType: 1, RRClass: 1, RData: []byte{10, 66, 0, 2}}}},
		{"add_record", false, Request{HasErrReturn: true, Body: AddRecordRequest{RRType: 13, RData: []byte("\x02PC\x0aWindows XP"), TTL: 0}}},
		{"update_record primary TXT", false, Request{Header: Header{RegIndex: RegIndexPrimaryTXT}, HasErrReturn: true, Body: UpdateRecordRequest{RData: []byte("\x01B")}}},
		{"getproperty", false, Request{Body: GetPropertyRequest{Property: PropertyDaemonVersion}}},
		{"port_mapping", false, Request{Body: PortMappingRequest{Protocol: ProtocolUDP | ProtocolTCP, InternalPort: 5000, ExternalPort: 0, TTL: 7200}}},
		{"port_mapping shared", true, Request{HasErrReturn: true, Body: PortMappingRequest{Flags: FlagShareConnection, Protocol: ProtocolTCP, InternalPort: 22}}},
		{"addrinfo", false, Request{Body: AddrInfoRequest{Flags: FlagReturnIntermediates, Protocol: ProtocolIPv4 | ProtocolIPv6, Hostname: "apx-a.local"}}},
		{"addrinfo with TLVs", false, Request{Header: Header{IPCFlags: TrailingTLVs}, Body: AddrInfoRequest{Protocol: ProtocolIPv4, Hostname: "a.local"}, TLVs: []byte{0, 1, 0, 2, 0xAB, 0xCD}}},
		{"TLV flag without TLVs", false, Request{Header: Header{IPCFlags: TrailingTLVs}, Body: ConnectionRequest{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.req.Encode()
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeRequest(b, tt.shared)
			if err != nil {
				t.Fatalf("decode %x: %v", b, err)
			}
			want := tt.req
			want.Header.Version = ProtocolVersion
			want.Header.Op = want.Body.Op()
			want.Header.DataLen = uint32(len(b) - HeaderLen)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("decoded\n  %+v\nwant\n  %+v", got, want)
			}
			b2, err := got.Encode()
			if err != nil || !bytes.Equal(b, b2) {
				t.Fatalf("re-encoded %x, %v; want %x", b2, err, b)
			}
			if ErrReturnExpected(got.Header.Op, got.Header.IPCFlags, tt.shared) != got.HasErrReturn {
				t.Errorf("test value disagrees with ErrReturnExpected")
			}
		})
	}
}

func TestReplyRoundTrip(t *testing.T) {
	c := ReplyCommon{Flags: FlagAdd | FlagMoreComing, InterfaceIndex: 2}
	tests := []struct {
		name string
		rep  Reply
	}{
		{"enumeration", Reply{Body: EnumerationReply{ReplyCommon: ReplyCommon{Flags: FlagAdd | FlagDefault}, Domain: "local."}}},
		{"reg_service conflict", Reply{Body: RegisterServiceReply{ReplyCommon: ReplyCommon{Flags: FlagAdd, Error: NameConflict}, Name: "Golden Service", RegType: "_goldtest._tcp.", Domain: "local."}}},
		{"browse", Reply{Header: Header{Context: ctx3}, Body: BrowseReply{ReplyCommon: c, Name: "x", RegType: "_http._tcp.", Domain: "local."}}},
		{"resolve", Reply{Body: ResolveReply{ReplyCommon: c, FullName: `Golden\032Service._goldtest._tcp.local.`, HostTarget: "apx-a.local.", Port: 4242, TXT: []byte("\x03k=v")}}},
		{"query", Reply{Body: QueryReply{ReplyCommon: c, FullName: "apx-a.local.", RRType: 1, RRClass: 1, RData: []byte{10, 66, 0, 1}, TTL: 4500}}},
		{"reg_record", Reply{Header: Header{Context: ctx3}, Body: RegisterRecordReply{}}},
		{"port_mapping", Reply{Body: PortMappingReply{ReplyCommon: c, ExternalAddress: [4]byte{192, 0, 2, 1}, Protocol: 0x10, InternalPort: 5000, ExternalPort: 6000, TTL: 7200}}},
		{"addrinfo", Reply{Body: AddrInfoReply{ReplyCommon: c, Hostname: "apx-a.local.", RRType: 28, RRClass: 1, RData: netip.MustParseAddr("fe80::1").AsSlice(), TTL: 4500}}},
		{"async_error", Reply{Header: Header{Context: ctx3}, Body: AsyncErrorReply{ReplyCommon: ReplyCommon{Error: BadParam}}}},
		{"async_error odd filler", Reply{Body: AsyncErrorReply{Name: "n", Target: "t", Port: 1, TXT: []byte{0}}}},
		{"with TLVs", Reply{Header: Header{IPCFlags: TrailingTLVs}, Body: RegisterRecordReply{}, TLVs: []byte{9}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.rep.Encode()
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeReply(b)
			if err != nil {
				t.Fatalf("decode %x: %v", b, err)
			}
			want := tt.rep
			want.Header.Version = ProtocolVersion
			want.Header.Op = want.Body.Op()
			want.Header.DataLen = uint32(len(b) - HeaderLen)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("decoded\n  %+v\nwant\n  %+v", got, want)
			}
			b2, err := got.Encode()
			if err != nil || !bytes.Equal(b, b2) {
				t.Fatalf("re-encoded %x, %v; want %x", b2, err, b)
			}
		})
	}
}

func TestErrReturnExpected(t *testing.T) {
	for op := Op(0); op <= 80; op++ {
		for _, shared := range []bool{false, true} {
			for _, fl := range []IPCFlags{0, NoReply, NoErrSD, NoErrSD | TrailingTLVs} {
				got := ErrReturnExpected(op, fl, shared)
				want := false
				switch {
				case fl&NoErrSD != 0:
				case op == 2 || op == 3 || op == 10 || op == 11:
					want = true
				case op >= 4 && op <= 8, op == 14, op == 15:
					want = shared
				}
				if got != want {
					t.Errorf("ErrReturnExpected(%v, %#x, %v) = %v", op, fl, shared, got)
				}
			}
		}
	}
}

func TestNames(t *testing.T) {
	if s := OpAddrInfoRequest.String(); s != "addrinfo_request" {
		t.Errorf("op 15 = %q", s)
	}
	if s := OpAsyncError.String(); s != "async_error_op" {
		t.Errorf("op 73 = %q", s)
	}
	if s := Op(42).String(); s != "op(42)" {
		t.Errorf("op 42 = %q", s)
	}
	if !OpBrowseReply.IsReply() || OpCancelRequest.IsReply() {
		t.Error("IsReply")
	}
	if s := NameConflict.Error(); s != "dnssd: NameConflict (-65548)" {
		t.Errorf("NameConflict = %q", s)
	}
	if s := Error(-65546).Error(); s != "dnssd: error -65546" {
		t.Errorf("-65546 = %q", s)
	}
	if NoError.Err() != nil || BadParam.Err() == nil {
		t.Error("Err")
	}
	var e error = Timeout
	var code Error
	if !errors.As(e, &code) || code != Timeout {
		t.Error("errors.As")
	}
	// Every code from NotPermitted up to Unknown, except the unassigned
	// -65546, has a name.
	for v := Error(-65572); v <= Unknown; v++ {
		if v != -65546 && v.Name() == "" {
			t.Errorf("%d has no name", v)
		}
	}
	if NoError.Name() != "NoError" || StaleData != -65572 || NotPermitted != -65571 || BadParam != -65540 {
		t.Error("error constants")
	}
	for _, s := range []string{NameConflict.Name(), Unknown.Name()} {
		if strings.HasPrefix(s, "kDNS") {
			t.Errorf("name %q keeps the prefix", s)
		}
	}
}

func TestHelpers(t *testing.T) {
	a := AddrInfoReply{RRType: 1, RData: []byte{10, 66, 0, 1}}
	if ip, ok := a.Addr(); !ok || ip != netip.MustParseAddr("10.66.0.1") {
		t.Errorf("A = %v %v", ip, ok)
	}
	a = AddrInfoReply{RRType: 28, RData: netip.MustParseAddr("fe80::90f1:d7ff:fe59:4915").AsSlice()}
	if ip, ok := a.Addr(); !ok || ip.String() != "fe80::90f1:d7ff:fe59:4915" {
		t.Errorf("AAAA = %v %v", ip, ok)
	}
	if _, ok := (AddrInfoReply{RRType: 1, RData: []byte{1}}).Addr(); ok {
		t.Error("short A accepted")
	}
	p, err := DecodePropertyReply([]byte{0, 0, 0, 0, 0, 0, 0, 4, 0x00, 0xFD, 0x72, 0xD0})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := p.Uint32(); !ok || v != 16610000 || p.Error != NoError {
		t.Errorf("DaemonVersion = %d %v", v, ok)
	}
	if _, ok := (PropertyReply{Value: []byte{1}}).Uint32(); ok {
		t.Error("1-byte value read as u32")
	}
	if b := AppendErrorCode(nil, NameConflict); !bytes.Equal(b, []byte{0xFF, 0xFE, 0xFF, 0xF4}) {
		t.Errorf("NameConflict code = %x", b)
	}
	if e, err := DecodeErrorCode([]byte{0xFF, 0xFE, 0xFF, 0xFC}); err != nil || e != BadParam {
		t.Errorf("decode BadParam = %v %v", e, err)
	}
}
