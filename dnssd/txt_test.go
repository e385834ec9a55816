package dnssd

import (
	"bytes"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func TestTXTRFC6763Sec6Entries(t *testing.T) {
	txt, err := NewTXT("txtvers=1", "note=Lab Printer", "color", "empty=")
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := txt.Get("NOTE"); !ok || v != "Lab Printer" {
		t.Errorf("Get(NOTE) = %q %v: keys are case-insensitive (§6.4)", v, ok)
	}
	if e, _ := txt.Lookup("color"); e.HasValue {
		t.Error("boolean attribute reported with a value (§6.4)")
	}
	if e, _ := txt.Lookup("empty"); !e.HasValue || e.Value != "" {
		t.Error(`"empty=" must have an empty value, distinct from a boolean attribute`)
	}
	if txt.Has("missing") || txt.Len() != 4 {
		t.Error("Has/Len")
	}
	if got := txt.String(); got != `txtvers=1 "note=Lab Printer" color empty=` {
		t.Errorf("String() = %s", got)
	}
	if txt != MustTXT("txtvers=1", "note=Lab Printer", "color", "empty=") {
		t.Error("equal TXTs do not compare ==")
	}
}

func TestTXTRFC6763Sec6_1EmptyIsOneZeroLengthString(t *testing.T) {
	var zero TXT
	if got := zero.DNSStrings(); len(got) != 1 || got[0] != "" {
		t.Fatalf("empty TXT on the wire: %q", got)
	}
	back, err := TXTFromDNSStrings([]string{""})
	if err != nil || back != zero {
		t.Fatalf("one empty string read back as %v, %v", back, err)
	}
}

func TestTXTRFC6763Sec6Errors(t *testing.T) {
	long := "k=" + strings.Repeat("x", 298)
	for _, tc := range []struct {
		in  []string
		msg string
	}{
		{[]string{long}, `TXT entry "` + long + `": is 300 bytes; the limit is 255 (RFC 6763 §6.1)`},
		{[]string{"=v"}, `TXT entry "=v": has an empty key (RFC 6763 §6.4)`},
		{[]string{"a=1", "A=2"}, `TXT entry "A=2": repeats the key "A" (keys are case-insensitive, RFC 6763 §6.4)`},
		{[]string{"k\x01=v"}, `TXT entry "k\x01=v": key holds '\x01'; keys are printable US-ASCII (RFC 6763 §6.4)`},
	} {
		_, err := NewTXT(tc.in...)
		if err == nil || err.Error() != tc.msg {
			t.Errorf("NewTXT(%q) error %v\n want %s", tc.in, err, tc.msg)
		}
	}
}

func TestTXTWithAndMap(t *testing.T) {
	txt := MustTXT("a=1", "b=2")
	txt2, err := txt.With("A", "9")
	if err != nil || txt2.Strings()[0] != "A=9" || txt2.Len() != 2 {
		t.Fatalf("With: %v %v", txt2, err)
	}
	txt3, _ := txt.With("c", "3")
	if m := txt3.Map(); m["c"] != "3" || len(m) != 3 {
		t.Fatalf("Map: %v", m)
	}
	fromMap, _ := TXTFromMap(map[string]string{"z": "1", "a": "2"})
	if got := fromMap.Strings(); got[0] != "a=2" || got[1] != "z=1" {
		t.Fatalf("TXTFromMap order %q", got)
	}
}

// txtRoundTrip sends a TXT through a real dns.TXT packed and unpacked by
// miekg/dns and returns what comes back.
func txtRoundTrip(t testing.TB, txt TXT) TXT {
	rr := &dns.TXT{Hdr: dns.RR_Header{Name: "x.local.", Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 1}, Txt: txt.DNSStrings()}
	m := &dns.Msg{Answer: []dns.RR{rr}}
	b, err := m.Pack()
	if err != nil {
		t.Fatalf("pack %q: %v", txt.Strings(), err)
	}
	var back dns.Msg
	if err := back.Unpack(b); err != nil {
		t.Fatal(err)
	}
	got, err := TXTFromDNSStrings(back.Answer[0].(*dns.TXT).Txt)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestTXTWireRoundTripArbitraryBytes(t *testing.T) {
	txt := MustTXT(`q="quoted"`, `bs=back\slash`, "utf8=Café", "bin=\x00\x01\xff", "eq=a=b", `semi=;()`)
	if got := txtRoundTrip(t, txt); got != txt {
		t.Fatalf("round trip:\n got %q\nwant %q", got.Strings(), txt.Strings())
	}
}

func TestTXTFromDNSStringsLenientRFC6763Sec6_4(t *testing.T) {
	got, err := TXTFromDNSStrings([]string{"a=1", "", "=x", "A=2"})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := got.Get("a"); v != "1" || got.Len() != 2 {
		t.Fatalf("got %q; empty and '='-led strings skipped, first key wins", got.Strings())
	}
}

func FuzzNewTXT(f *testing.F) {
	f.Add("txtvers=1", "note=Lab Printer")
	f.Add("k", `v="\`)
	f.Fuzz(func(t *testing.T, a, b string) {
		txt, err := NewTXT(a, b)
		if err != nil {
			return
		}
		if got := txtRoundTrip(t, txt); got != txt {
			t.Fatalf("round trip of %q gave %q", txt.Strings(), got.Strings())
		}
	})
}

func FuzzTXTFromDNSStrings(f *testing.F) {
	f.Add([]byte("\x09txtvers=1\x0fnote=Lab Printer"))
	f.Add([]byte("\x00"))
	f.Fuzz(func(t *testing.T, wire []byte) {
		// Interpret the input as TXT rdata and unpack it with miekg/dns.
		rr := append([]byte{0, 0, 16, 0, 1, 0, 0, 0, 1, byte(len(wire) >> 8), byte(len(wire))}, wire...)
		msg := append([]byte{0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0}, rr...)
		var m dns.Msg
		if m.Unpack(msg) != nil || len(m.Answer) != 1 {
			return
		}
		txt, ok := m.Answer[0].(*dns.TXT)
		if !ok {
			return
		}
		got, err := TXTFromDNSStrings(txt.Txt)
		if err != nil {
			t.Fatalf("miekg/dns output did not decode: %v", err)
		}
		for _, s := range got.Strings() {
			if s == "" || s[0] == '=' || !bytes.Contains(wire, []byte(s)) {
				t.Fatalf("entry %q not from the input", s)
			}
		}
	})
}
