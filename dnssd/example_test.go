package dnssd_test

import (
	"fmt"

	"github.com/rendezvous-mdns/rendezvous/dnssd"
)

func ExampleParseServiceType() {
	st, err := dnssd.ParseServiceType("_printer._sub._http._tcp")
	fmt.Println(st, st.Base(), st.Subtypes(), err)

	_, err = dnssd.ParseServiceType("daap._tcp")
	fmt.Println(err)
	// Output:
	// _http._tcp,_printer _http._tcp [_printer] <nil>
	// service type "daap._tcp": must start with an underscore, as in _http._tcp
}

func ExampleInstance_DNSName() {
	inst := dnssd.Instance{Name: `Café v1.2 \ test`, Type: "_ipp._tcp"}
	fmt.Println(inst.DNSName())
	fmt.Println(inst)
	// Output:
	// Caf\195\169\ v1\.2\ \\\ test._ipp._tcp.local.
	// Café v1\.2 \\ test._ipp._tcp.local.
}

func ExampleParseInstance() {
	inst, err := dnssd.ParseInstance(`Living Room v2\.1._airplay._tcp.local.`)
	fmt.Printf("%q %s %s %v\n", inst.Name, inst.Type, inst.Domain, err)
	// Output:
	// "Living Room v2.1" _airplay._tcp local. <nil>
}

func ExampleNewTXT() {
	txt, err := dnssd.NewTXT("txtvers=1", "note=Lab Printer", "duplex")
	if err != nil {
		panic(err)
	}
	note, _ := txt.Get("Note")
	fmt.Println(note, txt.Has("duplex"), txt.Len())
	fmt.Println(txt)
	// Output:
	// Lab Printer true 3
	// txtvers=1 "note=Lab Printer" duplex
}
