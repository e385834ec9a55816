package dnssd

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/miekg/dns"

	"github.com/rendezvous-mdns/rendezvous/internal/mdns"
	"github.com/rendezvous-mdns/rendezvous/internal/transport/vnet"
)

// The examples run on an in-memory LAN so that they can run anywhere; in a
// program, use dnssd.Register, dnssd.Browse… (or a Client{}) and they run
// on the real network.
var exampleLAN = vnet.New(42)
var exampleHosts int

func exampleClient(host string) *Client {
	exampleHosts++
	link := mdns.Link{ID: 1, Name: "eth0", Addrs: []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 9, 0, byte(exampleHosts)}), 24)}}
	ep := exampleLAN.Attach(vnet.Port{Segment: "example", Link: link})
	b, err := newEmbedded(EmbeddedConfig{HostName: host}, ep, ep.Links(), nil)
	if err != nil {
		panic(err)
	}
	return &Client{Backend: b}
}

func ExampleClient_Register() {
	server := exampleClient("media-server")
	defer server.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	reg, err := server.Register(ctx, Service{Name: "DAAP Server", Type: "_daap._tcp", Port: 3689, TXT: MustTXT("txtvers=1")})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer reg.Close() // withdraws the service: goodbye packets
	fmt.Println("registered as", reg.Name())
	// Output: registered as DAAP Server
}

func ExampleClient_Browse() {
	server, laptop := exampleClient("printer"), exampleClient("laptop")
	defer server.Close()
	defer laptop.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reg, _ := server.Register(ctx, Service{Name: "Lab Printer", Type: "_ipp._tcp", Port: 631})
	defer reg.Close()

	for ev, err := range laptop.Browse(ctx, "_ipp._tcp", "") {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(ev.Kind, ev.Instance)
		break // stops the browse
	}
	// Output: add Lab Printer._ipp._tcp.local.
}

func ExampleClient_Resolve() {
	server, laptop := exampleClient("nas"), exampleClient("desk")
	defer server.Close()
	defer laptop.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reg, _ := server.Register(ctx, Service{Name: "Files", Type: "_smb._tcp", Port: 445, TXT: MustTXT("model=Xserve")})
	defer reg.Close()

	svc, err := laptop.Resolve(ctx, Instance{Name: "Files", Type: "_smb._tcp"})
	if err != nil {
		fmt.Println(err)
		return
	}
	model, _ := svc.TXT.Get("model")
	fmt.Println(svc.Host, svc.Port, len(svc.Addrs) > 0, model)
	// Output: nas.local. 445 true Xserve
}

func ExampleClient_LookupHost() {
	server, laptop := exampleClient("kitchen-pi"), exampleClient("phone")
	defer server.Close()
	defer laptop.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// A host answers for its name once it has probed it (RFC 6762 §8).
	reg, _ := server.Register(ctx, Service{Name: "Pi", Type: "_ssh._tcp", Port: 22})
	defer reg.Close()

	addrs, err := laptop.LookupHost(ctx, "kitchen-pi.local")
	fmt.Println(len(addrs), err)
	// Output: 1 <nil>
}

func ExampleClient_BrowseTypes() {
	server, laptop := exampleClient("tv"), exampleClient("tablet")
	defer server.Close()
	defer laptop.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reg, _ := server.Register(ctx, Service{Name: "Living Room", Type: "_airplay._tcp", Port: 7000})
	defer reg.Close()

	for ev, err := range laptop.BrowseTypes(ctx, "") {
		if err == nil {
			fmt.Println(ev.Type)
		}
		break
	}
	// Output: _airplay._tcp
}

func ExampleClient_Query() {
	server, laptop := exampleClient("camera"), exampleClient("monitor")
	defer server.Close()
	defer laptop.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reg, _ := server.Register(ctx, Service{Name: "Door Cam", Type: "_rtsp._tcp", Port: 554})
	defer reg.Close()

	for ev, err := range laptop.Query(ctx, "Door\\ Cam._rtsp._tcp.local.", dns.TypeSRV) {
		if err == nil {
			srv := ev.Record.(*dns.SRV)
			fmt.Println(srv.Target, srv.Port)
		}
		break
	}
	// Output: camera.local. 554
}
