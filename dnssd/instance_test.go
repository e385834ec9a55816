package dnssd

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

const cafe = `Café v1.2 \ test`

func TestInstanceRFC6763Sec4_3NameRoundTripsThroughTheWire(t *testing.T) {
	for _, name := range []string{cafe, "DAAP Server", "a.b.c", `back\\slash`, "日本語のプリンター", "(parens) @ \"quotes\" ;semi", "trailing dot."} {
		inst := Instance{Name: name, Type: "_ipp._tcp"}
		if err := inst.Validate(); err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		// Through miekg/dns's wire format and back.
		buf := make([]byte, 512)
		off, err := dns.PackDomainName(inst.DNSName(), buf, 0, nil, false)
		if err != nil {
			t.Fatalf("%q: pack %s: %v", name, inst.DNSName(), err)
		}
		if int(buf[0]) != len(name) {
			t.Errorf("%q: first label is %d octets, want the whole name (%d) as one label", name, buf[0], len(name))
		}
		unpacked, _, err := dns.UnpackDomainName(buf[:off], 0)
		if err != nil || unpacked != inst.DNSName() {
			t.Errorf("%q: wire round trip %q, want %q (%v)", name, unpacked, inst.DNSName(), err)
		}
		back, err := ParseInstanceDNSName(unpacked)
		if err != nil || back.Name != name || back.Type != "_ipp._tcp" || back.Domain != "local." {
			t.Errorf("%q: ParseInstanceDNSName gave %+v, %v", name, back, err)
		}
		// Through the human presentation form and back.
		again, err := ParseInstance(inst.String())
		if err != nil || again.Name != name {
			t.Errorf("%q: String %q parsed back as %+v, %v", name, inst.String(), again, err)
		}
	}
}

func TestInstanceCafeWireLabel(t *testing.T) {
	inst := Instance{Name: cafe, Type: "_ipp._tcp"}
	if got := inst.DNSName(); got != `Caf\195\169\ v1\.2\ \\\ test._ipp._tcp.local.` {
		t.Fatalf("DNSName = %s", got)
	}
	buf := make([]byte, 256)
	dns.PackDomainName(inst.DNSName(), buf, 0, nil, false)
	if got := hex.EncodeToString(buf[1:18]); got != "436166c3a92076312e32205c2074657374" {
		t.Fatalf("wire label %s", got)
	}
	if got := inst.String(); got != `Café v1\.2 \\ test._ipp._tcp.local.` {
		t.Fatalf("String = %s", got)
	}
}

func TestInstanceRFC6763Sec4_1_1Errors(t *testing.T) {
	long := strings.Repeat("é", 35)
	for _, tc := range []struct {
		inst Instance
		msg  string
	}{
		{Instance{Name: "", Type: "_ipp._tcp"}, `instance name "": is empty`},
		{Instance{Name: long, Type: "_ipp._tcp"}, `instance name "` + long + `": 70 bytes long; the limit is 63 bytes (RFC 6763 §4.1.1)`},
		{Instance{Name: "bad\xff", Type: "_ipp._tcp"}, `instance name "bad\xff": is not valid UTF-8 (RFC 6763 §4.1.1)`},
		{Instance{Name: "tab\there", Type: "_ipp._tcp"}, `instance name "tab\there": holds the control character U+0009 (RFC 6763 §4.1.1)`},
		{Instance{Name: "ok", Type: "ipp._tcp"}, `service type "ipp._tcp": must start with an underscore, as in _http._tcp`},
		{Instance{Name: "ok", Type: "_ipp._tcp", Domain: "a..b"}, `domain "a..b": has an empty label`},
	} {
		err := tc.inst.Validate()
		if err == nil || err.Error() != tc.msg {
			t.Errorf("%+v: error %v\n want %s", tc.inst, err, tc.msg)
		}
	}
}

func TestServiceValidate(t *testing.T) {
	ok := Service{Name: "DAAP Server", Type: "_daap._tcp", Port: 3689, TXT: MustTXT("txtvers=1")}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	if ok.Instance() != (Instance{Name: "DAAP Server", Type: "_daap._tcp"}) {
		t.Error("Instance()")
	}
	noPort := ok
	noPort.Port = 0
	if err := noPort.Validate(); err == nil || err.Error() != "port 0: must be 1–65535" {
		t.Errorf("port 0: %v", err)
	}
	badHost := ok
	badHost.Host = "my_host.local."
	if err := badHost.Validate(); err == nil || err.Error() != `host name "my_host.local.": may hold only letters, digits and hyphens, not '_'` {
		t.Errorf("host: %v", err)
	}
	if ok != (Service{Name: "DAAP Server", Type: "_daap._tcp", Port: 3689, TXT: MustTXT("txtvers=1")}) {
		t.Error("Service is not comparable by value")
	}
}

// capture is the part of a ../shared/testdata/mdns-captures JSON file the
// tests read.
type capture struct {
	Packets []struct {
		PayloadHex string `json:"payload_hex"`
	} `json:"packets"`
}

func loadCaptures(t *testing.T) map[string][]*dns.Msg {
	t.Helper()
	files, _ := filepath.Glob("../../shared/testdata/mdns-captures/*.json")
	if len(files) == 0 {
		t.Skip("../shared/testdata/mdns-captures not found")
	}
	out := map[string][]*dns.Msg{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c capture
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for i, p := range c.Packets {
			raw, err := hex.DecodeString(p.PayloadHex)
			if err != nil {
				t.Fatalf("%s packet %d: %v", f, i, err)
			}
			m := new(dns.Msg)
			if err := m.Unpack(raw); err != nil {
				t.Fatalf("%s packet %d does not parse: %v", f, i, err)
			}
			out[filepath.Base(f)] = append(out[filepath.Base(f)], m)
		}
	}
	return out
}

func TestInstanceNamesFromRealCaptures(t *testing.T) {
	caps := loadCaptures(t)
	names := map[string]map[string]bool{}
	for file, msgs := range caps {
		for _, m := range msgs {
			for _, rr := range append(append([]dns.RR{}, m.Answer...), m.Extra...) {
				ptr, ok := rr.(*dns.PTR)
				if !ok || !strings.HasSuffix(ptr.Hdr.Name, "._tcp.local.") || strings.Contains(ptr.Hdr.Name, "._sub.") {
					continue
				}
				inst, err := InstanceFromPTR(ptr.Hdr.Name, ptr.Ptr)
				if err != nil {
					t.Errorf("%s: %s: %v", file, ptr.Ptr, err)
					continue
				}
				if strict, err := ParseInstanceDNSName(ptr.Ptr); err == nil {
					// One label: the strict parser agrees and re-encodes exactly.
					if strict != inst || !strings.EqualFold(inst.DNSName(), ptr.Ptr) {
						t.Errorf("%s: %s: strict %+v, from PTR %+v, re-encoded %s", file, ptr.Ptr, strict, inst, inst.DNSName())
					}
				}
				if names[file] == nil {
					names[file] = map[string]bool{}
				}
				names[file][inst.Name] = true
			}
		}
	}
	for _, f := range []string{"apple-08-utf8-name.json", "avahi-08-utf8-name.json"} {
		if !names[f][cafe] {
			t.Errorf("%s: instance %q not found; saw %v", f, cafe, names[f])
		}
	}
	// python-zeroconf split the name at the dot into two labels (see the
	// captures' README); joined back it is the name its user gave.
	if !names["py-08-utf8-name.json"][cafe] {
		t.Errorf("py-08-utf8-name.json: instance %q not found; saw %v", cafe, names["py-08-utf8-name.json"])
	}
	for _, f := range []string{"apple-01-register.json", "avahi-01-register.json", "py-01-register.json"} {
		if !names[f]["Capture Service"] {
			t.Errorf("%s: Capture Service not found; saw %v", f, names[f])
		}
	}
}

func TestTXTFromRealCaptures(t *testing.T) {
	caps := loadCaptures(t)
	for _, f := range []string{"apple-01-register.json", "avahi-01-register.json", "py-01-register.json"} {
		found := false
		for _, m := range caps[f] {
			for _, rr := range append(append([]dns.RR{}, m.Answer...), m.Extra...) {
				txt, ok := rr.(*dns.TXT)
				if !ok || rr.Header().Ttl == 0 {
					continue
				}
				got, err := TXTFromDNSStrings(txt.Txt)
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				if v, _ := got.Get("note"); v == "Lab Printer" {
					found = true
					if rp, _ := got.Get("rp"); rp != "printers/x" {
						t.Errorf("%s: rp=%q", f, rp)
					}
					if got.Strings()[0] != "txtvers=1" {
						t.Errorf("%s: order %q", f, got.Strings())
					}
				}
			}
		}
		if !found {
			t.Errorf("%s: no TXT with note=Lab Printer", f)
		}
	}
}

func FuzzParseInstance(f *testing.F) {
	f.Add(`Café v1\.2 \\ test._ipp._tcp.local.`)
	f.Add("DAAP Server._daap._tcp")
	f.Fuzz(func(t *testing.T, s string) {
		inst, err := ParseInstance(s)
		if err != nil {
			return
		}
		again, err := ParseInstance(inst.String())
		if err != nil || again != inst {
			t.Fatalf("%q → %+v → %q → %+v, %v", s, inst, inst.String(), again, err)
		}
	})
}

func FuzzParseInstanceDNSName(f *testing.F) {
	f.Add(`Caf\195\169\ v1\.2\ \\\ test._ipp._tcp.local.`)
	f.Add(`x._http._tcp.example.com.`)
	f.Fuzz(func(t *testing.T, s string) {
		inst, err := ParseInstanceDNSName(s)
		if err != nil {
			return
		}
		if err := inst.Validate(); err != nil {
			t.Fatalf("%q parsed to an invalid %+v: %v", s, inst, err)
		}
		again, err := ParseInstanceDNSName(inst.DNSName())
		if err != nil || again != inst {
			t.Fatalf("%q → %+v → %q → %+v, %v", s, inst, inst.DNSName(), again, err)
		}
	})
}
