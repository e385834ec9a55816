package dnssd

import (
	"context"
	"errors"
	"testing"
)

// fakeCands are the candidates of a zero Client with injected probes: each
// opens a recordBackend and records what was opened.
func fakeCands(avahiUp, daemonUp error, opened *[]string) []candidate {
	open := func(name string) func(context.Context, *Client) (Backend, error) {
		return func(context.Context, *Client) (Backend, error) {
			*opened = append(*opened, name)
			return recordBackend{}, nil
		}
	}
	return []candidate{
		{name: "avahi", probe: func(context.Context) error { return avahiUp }, open: open("avahi")},
		{name: "mdnsresponder", probe: func(context.Context) error { return daemonUp }, open: open("mdnsresponder")},
		{name: "embedded", open: open("embedded")},
	}
}

func TestZeroClientSelectsAvahiWhenItIsOnTheBus(t *testing.T) {
	var opened []string
	c := &Client{cands: fakeCands(nil, nil, &opened)}
	name, err := c.BackendName()
	if err != nil || name != "avahi" || len(opened) != 1 || opened[0] != "avahi" {
		t.Fatalf("selected %q (%v), opened %v; want avahi only", name, err, opened)
	}
}

func TestZeroClientStartsTheEmbeddedResponderWithoutASystemOne(t *testing.T) {
	var opened []string
	c := &Client{cands: fakeCands(errors.New("no avahi-daemon on the bus"), errors.New("nothing on /var/run/mDNSResponder"), &opened)}
	name, err := c.BackendName()
	if err != nil || name != "embedded" || len(opened) != 1 || opened[0] != "embedded" {
		t.Fatalf("selected %q (%v), opened %v; want embedded only", name, err, opened)
	}
	// Selection happens once.
	if name, _ := c.BackendName(); name != "embedded" || len(opened) != 1 {
		t.Fatalf("second call: %q, opened %v", name, opened)
	}
}

func TestZeroClientDoesNotStartASecondResponderWhenTheSystemOneFailsToOpen(t *testing.T) {
	cands := []candidate{
		{name: "avahi", probe: func(context.Context) error { return nil },
			open: func(context.Context, *Client) (Backend, error) { return nil, errors.New("avahi: permission denied") }},
		{name: "embedded", open: func(context.Context, *Client) (Backend, error) {
			t.Fatal("the embedded responder was started next to avahi-daemon")
			return nil, nil
		}},
	}
	c := &Client{cands: cands}
	if _, err := c.BackendName(); err == nil || err.Error() != "avahi: permission denied" {
		t.Fatalf("error %v", err)
	}
}

func TestClientWithABackendNamesIt(t *testing.T) {
	c := &Client{Backend: recordBackend{}}
	if name, err := c.BackendName(); err != nil || name != "custom" {
		t.Fatalf("%q %v", name, err)
	}
}

func TestZeroClientSelectsAnMDNSResponderDaemonWithoutAvahi(t *testing.T) {
	var opened []string
	c := &Client{cands: fakeCands(errors.New("no avahi-daemon on the bus"), nil, &opened)}
	name, err := c.BackendName()
	if err != nil || name != "mdnsresponder" || len(opened) != 1 || opened[0] != "mdnsresponder" {
		t.Fatalf("selected %q (%v), opened %v; want mdnsresponder only", name, err, opened)
	}
}
