package avahi

import (
	"strings"

	"github.com/rendezvous-mdns/rendezvous/internal/dnsname"
)

// Avahi writes and reads domain names in the C-string form of dns_sd.h
// (avahi-common/domain.c): within a label a dot or backslash is written
// with a backslash, and other octets may be written as \DDD; it reads both.
// miekg/dns escapes more characters (space, parentheses, …) with a bare
// backslash, which Avahi does not accept, so names are converted label by
// label.

// toAvahi converts a name in miekg/dns presentation form to Avahi's form
// (no trailing dot).
func toAvahi(name string) (string, error) {
	var out []string
	for _, l := range dnsname.Labels(name) {
		raw, err := dnsname.UnescapeLabel(l)
		if err != nil {
			return "", err
		}
		out = append(out, dnsname.EscapeLabelC(raw))
	}
	return strings.Join(out, "."), nil
}

// fromAvahi converts a name in Avahi's form to miekg/dns presentation form
// (fully qualified).
func fromAvahi(name string) (string, error) {
	var out []string
	for _, l := range dnsname.Labels(name) {
		raw, err := dnsname.UnescapeLabel(l)
		if err != nil {
			return "", err
		}
		out = append(out, dnsname.EscapeLabel(raw))
	}
	return strings.Join(out, ".") + ".", nil
}
