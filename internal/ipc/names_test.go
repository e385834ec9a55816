package ipc

import (
	"errors"
	"testing"
)

func TestFormatName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`Golden\ Service._goldtest._tcp.local.`, `Golden\032Service._goldtest._tcp.local.`},
		{`apx-a.local.`, `apx-a.local.`},
		{`apx-a.local`, `apx-a.local.`},
		{`.`, `.`},
		{`Caf\195\169\ v1\.2\ \\\ test._ipp._tcp.local.`, "Café\\032v1\\.2\\032\\\\\\032test._ipp._tcp.local."},
		{`a\000b.local.`, `a\000b.local.`},
		{`tab\009.local.`, `tab\009.local.`},
	} {
		got, err := FormatName(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("FormatName(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := FormatName(`a..b`); !errors.Is(err, ErrBadName) {
		t.Errorf("FormatName(a..b) = %v, want ErrBadName", err)
	}
}

func TestParseName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`Golden\032Service._goldtest._tcp.local`, `Golden\ Service._goldtest._tcp.local.`},
		{`Golden\032Service._goldtest._tcp.local.`, `Golden\ Service._goldtest._tcp.local.`},
		{`Golden Service._goldtest._tcp.local.`, `Golden\ Service._goldtest._tcp.local.`},
		{`apx-a.local`, `apx-a.local.`},
		{"Café._ipp._tcp.local.", `Caf\195\169._ipp._tcp.local.`},
		{`a\.b.local`, `a\.b.local.`},
		{`trailing\\.local`, `trailing\\.local.`},
		{``, `.`},
		{`.`, `.`},
	} {
		got, err := ParseName(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseName(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{`a..b`, `.a`, `a\`, `a\25`, `a\999.b`, "x" + string(make([]byte, 64)) + ".local",
		"a..", `a.b..`} {
		if got, err := ParseName(bad); !errors.Is(err, ErrBadName) {
			t.Errorf("ParseName(%q) = %q, %v; want ErrBadName", bad, got, err)
		}
	}
}

func TestNameRoundTrip(t *testing.T) {
	for _, n := range []string{`Golden\ Service._goldtest._tcp.local.`, `Caf\195\169\ v1\.2\ \\\ test._ipp._tcp.local.`, `a\000\127\255.local.`} {
		c, err := FormatName(n)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseName(c)
		if err != nil || back != n {
			t.Errorf("%q → %q → %q, %v", n, c, back, err)
		}
	}
}
