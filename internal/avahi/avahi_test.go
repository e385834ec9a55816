package avahi

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestNamesConvertBetweenMiekgAndAvahiForms(t *testing.T) {
	miekg := `Caf\195\169\ v1\.2\ \\\ \(x\)._ipp._tcp.local.`
	a, err := toAvahi(miekg)
	if err != nil {
		t.Fatal(err)
	}
	if want := `Café\032v1\.2\032\\\032(x)._ipp._tcp.local`; a != want {
		t.Fatalf("toAvahi: %q, want %q", a, want)
	}
	// Avahi also writes \DDD for octets it escapes (avahi-browse shows a
	// space as \032).
	back, err := fromAvahi(`Caf\195\169\032v1\.2\032\\\032\040x\041._ipp._tcp.local`)
	if err != nil || back != miekg {
		t.Fatalf("fromAvahi: %q %v, want %q", back, err, miekg)
	}
}

func TestRecordFromAvahiItem(t *testing.T) {
	srv := &dns.SRV{Hdr: dns.RR_Header{Name: "x.", Rrtype: dns.TypeSRV, Class: dns.ClassINET}, Port: 3689, Target: "host.local."}
	buf := make([]byte, 512)
	off, err := dns.PackRR(srv, buf, 0, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	rdata := buf[off-(6+12) : off] // priority, weight, port, host.local. (12 octets)
	rr, err := makeRR(`DAAP\032Server._daap._tcp.local`, dns.ClassINET|0x8000, dns.TypeSRV, rdata)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := rr.(*dns.SRV)
	if !ok || got.Port != 3689 || got.Target != "host.local." || got.Hdr.Name != `DAAP\ Server._daap._tcp.local.` || got.Hdr.Class != dns.ClassINET {
		t.Fatalf("record %v", rr)
	}
	if _, err := makeRR("x.local", dns.ClassINET, dns.TypeSRV, []byte{1, 2}); err == nil {
		t.Fatal("short SRV rdata accepted")
	}
}

func TestNewSaysWhenNoBusAnswers(t *testing.T) {
	addr := "unix:path=" + filepath.Join(t.TempDir(), "nobody")
	_, err := New(context.Background(), Config{BusAddress: addr})
	if err == nil || !strings.Contains(err.Error(), "cannot reach the system bus at "+addr) {
		t.Fatalf("error %v", err)
	}
	if err := Available(context.Background(), Config{BusAddress: addr}); err == nil {
		t.Fatal("Available without a bus")
	}
}

func TestNewSaysWhenAvahiIsNotOnTheBus(t *testing.T) {
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		t.Skip("dbus-daemon is not installed (the README's test command installs it)")
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "bus")
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--nopidfile", "--address=unix:path="+sock)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cfg := Config{BusAddress: "unix:path=" + sock}
	_, err := New(context.Background(), cfg)
	if !errors.Is(err, ErrNotRunning) || !strings.Contains(err.Error(), sock) {
		t.Fatalf("error %v, want ErrNotRunning naming the bus", err)
	}
	if err := Available(context.Background(), cfg); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Available: %v", err)
	}
}
