package dnssd

import (
	"slices"
	"testing"
)

func TestServiceTypeRFC6763Sec7Parse(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		subs     []string
	}{
		{"_daap._tcp", "_daap._tcp", nil},
		{"_daap._TCP", "_daap._tcp", nil},
		{"_daap._tcp.", "_daap._tcp", nil},
		{"_http._tcp,_printer,_scanner", "_http._tcp,_printer,_scanner", []string{"_printer", "_scanner"}},
		{"_http._tcp,_printer,_PRINTER", "_http._tcp,_printer", []string{"_printer"}},
		{"_printer._sub._http._tcp", "_http._tcp,_printer", []string{"_printer"}},
		{"_sleep-proxy._udp", "_sleep-proxy._udp", nil},
		{"_a1._udp", "_a1._udp", nil},
		{"_123456789abcdef._tcp", "_123456789abcdef._tcp", nil},
	} {
		got, err := ParseServiceType(tc.in)
		if err != nil || string(got) != tc.want {
			t.Errorf("ParseServiceType(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			continue
		}
		if !slices.Equal(got.Subtypes(), tc.subs) {
			t.Errorf("%q subtypes %q, want %q", tc.in, got.Subtypes(), tc.subs)
		}
	}
}

func TestServiceTypeRFC6763Sec7Errors(t *testing.T) {
	for _, tc := range []struct{ in, msg string }{
		{"daap._tcp", `service type "daap._tcp": must start with an underscore, as in _http._tcp`},
		{"", `service type "": is empty; want a type such as _http._tcp`},
		{"_daap", `service type "_daap": needs a protocol: _tcp or _udp, as in _http._tcp`},
		{"daap", `service type "daap": must start with an underscore, as in _http._tcp`},
		{"_daap._xyz", `service type "_daap._xyz": protocol must be _tcp or _udp`},
		{"_daap._tcp.local.", `service type "_daap._tcp.local.": must not include the domain ("local."); give it separately`},
		{"_averyveryverylongname._tcp", `service type "_averyveryverylongname._tcp": service name is 21 characters; the limit is 15 (RFC 6763 §7.2)`},
		{"_._tcp", `service type "_._tcp": service name is empty after the underscore`},
		{"_da_ap._tcp", `service type "_da_ap._tcp": service name may hold only letters, digits and hyphens, not '_'`},
		{"_123._tcp", `service type "_123._tcp": service name must contain a letter`},
		{"_-daap._tcp", `service type "_-daap._tcp": service name must not begin or end with a hyphen`},
		{"_da--ap._tcp", `service type "_da--ap._tcp": service name must not contain two hyphens in a row`},
		{"_http._tcp,printer", `service type "_http._tcp,printer": subtype "printer" must start with an underscore`},
		{"_http._tcp,_", `service type "_http._tcp,_": subtype is empty after the underscore`},
	} {
		_, err := ParseServiceType(tc.in)
		if err == nil || err.Error() != tc.msg {
			t.Errorf("ParseServiceType(%q) error %v\n want %s", tc.in, err, tc.msg)
		}
		if _, ok := err.(*NameError); !ok {
			t.Errorf("ParseServiceType(%q): error is %T, want *NameError", tc.in, err)
		}
	}
}

func TestServiceTypeAccessorsAndDNSNames(t *testing.T) {
	st := ServiceType("_http._tcp,_printer")
	if st.Name() != "_http" || st.Proto() != "_tcp" || st.Base() != "_http._tcp" {
		t.Fatalf("accessors: %q %q %q", st.Name(), st.Proto(), st.Base())
	}
	if got := st.DNSName(""); got != "_http._tcp.local." {
		t.Errorf("DNSName = %q", got)
	}
	if got := st.SubtypeDNSName("_printer", "local"); got != "_printer._sub._http._tcp.local." {
		t.Errorf("SubtypeDNSName = %q", got)
	}
	if err := ServiceType("_daap._tcp").Validate(); err != nil {
		t.Error(err)
	}
}

func FuzzParseServiceType(f *testing.F) {
	for _, s := range []string{"_daap._tcp", "_http._tcp,_printer", "_printer._sub._http._tcp", "daap._tcp", "_a._udp,_b,_c", "_x._tcp.local."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParseServiceType(s)
		if err != nil {
			return
		}
		again, err := ParseServiceType(string(st))
		if err != nil || again != st {
			t.Fatalf("canonical form %q does not re-parse to itself: %q, %v", st, again, err)
		}
		if err := st.Validate(); err != nil {
			t.Fatal(err)
		}
	})
}
