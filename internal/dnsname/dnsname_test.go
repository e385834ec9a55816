package dnsname

import (
	"testing"

	"github.com/miekg/dns"
)

func TestEscapeLabelMatchesMiekg(t *testing.T) {
	for _, raw := range []string{"plain", "DAAP Server", `Café v1.2 \ test`, "a(b)c;d@e\"f", "\x00\x1f\x7f\xff", "tab\t", ""} {
		esc := EscapeLabel(raw)
		back, err := UnescapeLabel(esc)
		if err != nil || back != raw {
			t.Errorf("%q: escape %q unescape %q %v", raw, esc, back, err)
		}
		if raw == "" {
			continue
		}
		buf := make([]byte, 300)
		off, err := dns.PackDomainName(esc+".local.", buf, 0, nil, false)
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		if string(buf[1:1+len(raw)]) != raw {
			t.Errorf("%q packs to %q", raw, buf[1:1+len(raw)])
		}
		n, _, err := dns.UnpackDomainName(buf[:off], 0)
		if err != nil || n != esc+".local." {
			t.Errorf("%q: miekg unpacks %q, we escape %q", raw, n, esc)
		}
	}
}

func TestUnescapeLabelErrors(t *testing.T) {
	for _, s := range []string{`a\`, `\25`, `\256`, `\2a5`} {
		if _, err := UnescapeLabel(s); err == nil {
			t.Errorf("UnescapeLabel(%q) accepted", s)
		}
	}
	if got, _ := UnescapeLabel(`x\065y`); got != "xAy" {
		t.Errorf("\\DDD: %q", got)
	}
}

func TestSplitLabelsLowerEqual(t *testing.T) {
	first, rest := SplitFirst(`a\.b\\.c.d.`)
	if first != `a\.b\\` || rest != "c.d." {
		t.Errorf("SplitFirst: %q %q", first, rest)
	}
	if got := Labels(`x\.y.z.`); len(got) != 2 || got[0] != `x\.y` {
		t.Errorf("Labels: %q", got)
	}
	if Lower("HoSt.Local.") != "host.local." || !Equal("A.b.", "a.B.") || Equal("a.", "ab") {
		t.Error("Lower/Equal")
	}
	if got := EscapeTXT("a\"b\\c\x01é"); got != `a\"b\\c\001\195\169` {
		t.Errorf("EscapeTXT: %s", got)
	}
}

func FuzzEscapeLabel(f *testing.F) {
	for _, s := range []string{"plain", `Café v1.2 \ test`, "\x00", "..."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		esc := EscapeLabel(raw)
		back, err := UnescapeLabel(esc)
		if err != nil || back != raw {
			t.Fatalf("%q: %q → %q %v", raw, esc, back, err)
		}
		if raw == "" || len(raw) > MaxLabel {
			return
		}
		buf := make([]byte, 300)
		off, err := dns.PackDomainName(esc+".", buf, 0, nil, false)
		if err != nil {
			t.Fatalf("%q: miekg cannot pack %q: %v", raw, esc, err)
		}
		n, _, err := dns.UnpackDomainName(buf[:off], 0)
		if err != nil || n != esc+"." {
			t.Fatalf("%q: miekg round trip %q, want %q", raw, n, esc+".")
		}
	})
}
