package dnssd

import (
	"fmt"
	"strings"

	"github.com/rendezvous-mdns/rendezvous/internal/dnsname"
)

// Local is the link-local mDNS domain (RFC 6762 §3).
const Local = "local."

// normalizeDomain returns domain as a lower-case FQDN, "local." when empty,
// after checking its labels (≤ 63 bytes each, no empty ones, ≤ 255 in all).
func normalizeDomain(domain string) (string, error) {
	const kind = "domain"
	if domain == "" || domain == "." {
		return Local, nil
	}
	d := strings.TrimSuffix(domain, ".")
	if d == "" || strings.HasPrefix(d, ".") || strings.Contains(d, "..") {
		return "", nameErr(kind, domain, "has an empty label")
	}
	total := 1
	for _, l := range strings.Split(d, ".") {
		if len(l) > dnsname.MaxLabel {
			return "", nameErr(kind, domain, fmt.Sprintf("label %q is %d bytes; the limit is 63", l, len(l)))
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; c < '!' || c > '~' || c == '\\' {
				return "", nameErr(kind, domain, fmt.Sprintf("label %q holds %q; domains here are plain DNS names", l, c))
			}
		}
		total += len(l) + 1
	}
	if total > dnsname.MaxName {
		return "", nameErr(kind, domain, fmt.Sprintf("is %d bytes on the wire; the limit is 255", total))
	}
	return dnsname.Lower(d) + ".", nil
}

// normalizeDomainOrLocal is normalizeDomain for places that cannot fail:
// an invalid domain is used as given, with a trailing dot.
func normalizeDomainOrLocal(domain string) string {
	d, err := normalizeDomain(domain)
	if err != nil {
		return strings.TrimSuffix(domain, ".") + "."
	}
	return d
}

func escapeLabel(s string) string { return dnsname.EscapeLabel(s) }
