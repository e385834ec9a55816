//go:build linux

package interop

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/rendezvous-mdns/rendezvous/dnssd"
	"github.com/rendezvous-mdns/rendezvous/internal/netnstest"
)

// envHelper ("name:argument") makes the test binary act as a small in-process client instead
// of running tests: the benchmarks start it inside a host namespace to time
// library calls the way python-zeroconf's are timed, from the call, with
// the responder (sockets, interfaces) already up.
const envHelper = "RENDEZVOUS_INTEROP_HELPER"

// runHelper runs the helper named by envHelper and returns the process exit
// code. It refuses to open sockets outside a namespace the test created.
func runHelper(name, arg string) int {
	if err := netnstest.InTestNamespace(); err != nil {
		fmt.Fprintln(os.Stderr, "helper refused:", err)
		return 3
	}
	switch name {
	case "browse-first":
		return withEmbedded(func(c *dnssd.Client) int { return browseFirst(c, arg) })
	case "register":
		return withEmbedded(func(c *dnssd.Client) int { return register(c, arg) })
	case "hostile":
		return sendHostile(arg)
	}
	fmt.Fprintln(os.Stderr, "unknown helper", name)
	return 2
}

// withEmbedded runs f with a client whose embedded responder is already up
// on eth0, as python-zeroconf's calls are timed with Zeroconf() created.
func withEmbedded(f func(c *dnssd.Client) int) int {
	b, err := dnssd.NewEmbedded(dnssd.EmbeddedConfig{Interfaces: []string{"eth0"}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	c := &dnssd.Client{Backend: b}
	defer c.Close()
	return f(c)
}

// browseFirst calls Browse for the service type t and prints "FIRST
// <seconds>" from the call to the first result.
func browseFirst(c *dnssd.Client, t string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	for _, err := range c.Browse(ctx, dnssd.ServiceType(t), "") {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Printf("FIRST %.6f\n", time.Since(start).Seconds())
		return 0
	}
	return 1
}

// register prints "START
// <unix seconds>" and registers the instance name (type _daap._tcp, port
// 4000), and stays until killed: a watcher on another host reports when it
// sees the service.
func register(c *dnssd.Client, name string) int {
	fmt.Printf("START %.6f\n", float64(time.Now().UnixNano())/1e9)
	r, err := c.Register(context.Background(), dnssd.Service{Name: name, Type: "_daap._tcp", Port: 4000})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("REGISTERED", r.Name())
	select {}
}
