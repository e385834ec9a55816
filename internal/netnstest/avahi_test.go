//go:build linux

package netnstest

import (
	"strings"
	"testing"
	"time"
)

// The harness itself: two avahi-daemons on one LAN see each other.
func TestAvahiPairInNamespaces(t *testing.T) {
	lan := NewLAN(t, 2)
	a := lan.Hosts[0].StartAvahi("lab-a")
	b := lan.Hosts[1].StartAvahi("lab-b")
	pub := a.Client("avahi-publish", "-s", "Harness Check", "_rzvcheck._tcp", "4242", "k=v")
	if !pub.WaitFor("Established", 10*time.Second) {
		t.Fatalf("avahi-publish:\n%s", pub.Output())
	}
	br := b.Client("avahi-browse", "-rpt", "_rzvcheck._tcp")
	if err := br.Wait(15 * time.Second); err != nil {
		t.Fatalf("avahi-browse: %v\n%s", err, br.Output())
	}
	if out := br.Output(); !strings.Contains(out, `=;eth0;IPv4;Harness\032Check;_rzvcheck._tcp;local;lab-a.local;`) || !strings.Contains(out, "4242") {
		t.Fatalf("avahi-browse did not resolve the service:\n%s", out)
	}
}
