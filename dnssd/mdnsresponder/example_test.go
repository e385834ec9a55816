package mdnsresponder_test

import (
	"context"
	"fmt"
	"log"

	"github.com/rendezvous-mdns/rendezvous/dnssd"
	"github.com/rendezvous-mdns/rendezvous/dnssd/mdnsresponder"
)

// Register and browse through the system's responder daemon (Apple's
// mDNSResponder, or `rendezvous daemon`) instead of the embedded one. It
// needs a daemon on the socket, so it is not run as a test.
func ExampleNew() {
	ctx := context.Background()
	if err := mdnsresponder.Available(ctx, ""); err != nil {
		log.Fatal(err) // e.g. no mDNSResponder-protocol daemon answers on /var/run/mDNSResponder
	}
	b, err := mdnsresponder.New(ctx, mdnsresponder.Config{}) // $DNSSD_UDS_PATH or /var/run/mDNSResponder
	if err != nil {
		log.Fatal(err)
	}
	c := &dnssd.Client{Backend: b}
	defer c.Close() // closes the backend: the daemon withdraws the registration

	reg, err := c.Register(ctx, dnssd.Service{Name: "DAAP Server", Type: "_daap._tcp", Port: 3689, TXT: dnssd.MustTXT("txtvers=1")})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("registered as", reg.Name())

	for ev, err := range c.Browse(ctx, "_daap._tcp", "") {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ev.Kind, ev.Instance.Name)
	}
}
