//go:build linux

package udp_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/rendezvous-mdns/rendezvous/internal/driver"
	"github.com/rendezvous-mdns/rendezvous/internal/mdns"
	"github.com/rendezvous-mdns/rendezvous/internal/netmon"
	"github.com/rendezvous-mdns/rendezvous/internal/netnstest"
	"github.com/rendezvous-mdns/rendezvous/internal/transport/udp"
)

// The real transport, end to end: this test binary is started again inside
// two namespaces of a throw-away LAN; one registers, the other browses.
func TestUDPTransportAcrossNamespaces(t *testing.T) {
	if os.Getenv(netnstest.EnvNamespace) != "" {
		t.Skip("parent test")
	}
	lan := netnstest.NewLAN(t, 2)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	reg := lan.Hosts[0].Start("env", "RZV_ROLE=register", exe, "-test.run=^TestUDPChild$", "-test.v")
	if !reg.WaitFor("REGISTERED", 10*time.Second) {
		t.Fatalf("registration did not complete:\n%s", reg.Output())
	}
	browse := lan.Hosts[1].Start("env", "RZV_ROLE=browse", exe, "-test.run=^TestUDPChild$", "-test.v")
	if !browse.WaitFor("FOUND", 10*time.Second) {
		t.Fatalf("browser did not find the service:\n%s\nregistrant:\n%s", browse.Output(), reg.Output())
	}
	reg.Signal(syscall.SIGTERM)
	if err := reg.Wait(5 * time.Second); err != nil {
		t.Fatalf("registrant: %v\n%s", err, reg.Output())
	}
	if !browse.WaitFor("REMOVED", 3*time.Second) {
		t.Fatalf("browser did not see the goodbye:\n%s", browse.Output())
	}
	if err := browse.Wait(5 * time.Second); err != nil {
		t.Fatalf("browser: %v\n%s", err, browse.Output())
	}
}

// TestUDPChild is the child half; it runs only inside a test namespace.
func TestUDPChild(t *testing.T) {
	role := os.Getenv("RZV_ROLE")
	if role == "" {
		t.Skip("child of TestUDPTransportAcrossNamespaces")
	}
	if err := netnstest.InTestNamespace(); err != nil {
		t.Fatalf("refusing to open mDNS sockets: %v", err)
	}
	mon, err := netmon.New(netmon.Config{Interfaces: []string{"eth0"}})
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close()
	tr, err := udp.Listen(udp.Config{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := driver.New(driver.Config{Engine: mdns.Config{HostName: role + "-host", Seed: uint64(time.Now().UnixNano()), OneShotFirst: true},
		Transport: tr, Links: mon.Links(), LinkUpdates: mon.Updates()})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	switch role {
	case "register":
		r, err := d.Publish(ctx, mdns.ServiceSpec{Instance: "DAAP Server", Type: "_daap._tcp", Port: 3689, TXT: []string{"txtvers=1"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Established(ctx); err != nil {
			t.Fatal(err)
		}
		fmt.Println("REGISTERED", r.Name())
		sig := make(chan os.Signal, 1)
		signalNotify(sig)
		<-sig
	case "browse":
		q, err := d.StartQuery(ctx, mdns.Question{Name: "_daap._tcp.local.", Type: dns.TypePTR})
		if err != nil {
			t.Fatal(err)
		}
		qctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		for {
			ev, err := q.Next(qctx)
			if err != nil {
				t.Fatal(err)
			}
			ptr := ev.Record.(*dns.PTR).Ptr
			if !strings.HasPrefix(ptr, `DAAP\ Server`) {
				continue
			}
			switch ev.Kind {
			case mdns.EventAdded:
				fmt.Println("FOUND", ptr)
			case mdns.EventRemoved:
				fmt.Println("REMOVED", ptr)
				return
			}
		}
	}
}
