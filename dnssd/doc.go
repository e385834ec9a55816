// Package dnssd is the public face of rendezvous: Bonjour — DNS Service
// Discovery (RFC 6763) over multicast DNS (RFC 6762) — for Go.
//
// A service instance is named by an Instance: a user-visible name such as
// "DAAP Server", a ServiceType such as "_daap._tcp", and a domain ("local."
// on the link). Service adds what a registration publishes: the target host,
// the port and the TXT record. The types here are comparable values with
// parsers that say exactly what is wrong with bad input.
//
// Instance names are arbitrary UTF-8, up to 63 bytes, and may hold dots,
// spaces and backslashes (RFC 6763 §4.3): "Café v1.2 \ test" is one DNS
// label. Instance.Name always holds the name exactly as the user sees it;
// escaping happens only in DNSName and String.
package dnssd
