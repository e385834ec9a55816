package dnssd

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/rendezvous-mdns/rendezvous/internal/dnsname"
)

// ServiceType is a DNS-SD service type such as "_daap._tcp" (RFC 6763 §7),
// optionally with subtypes in dns-sd's comma syntax:
// "_http._tcp,_printer,_scanner" (RFC 6763 §7.1). It is a comparable string
// value, so literals work: Service{Type: "_daap._tcp"}. ParseServiceType
// validates and canonicalizes one.
type ServiceType string

// ParseServiceType parses a service type: "_name._tcp" or "_name._udp", the
// comma subtype syntax "_http._tcp,_printer", or the subtype browsing form
// "_printer._sub._http._tcp" (which becomes "_http._tcp,_printer"). The
// domain is not part of a service type. The result is canonical: protocol
// in lower case, duplicate subtypes removed.
func ParseServiceType(s string) (ServiceType, error) {
	const kind = "service type"
	if s == "" {
		return "", nameErr(kind, s, "is empty; want a type such as _http._tcp")
	}
	parts := strings.Split(s, ",")
	base := strings.TrimSuffix(parts[0], ".")
	subs := parts[1:]
	if i := strings.Index(dnsname.Lower(base), "._sub."); i >= 0 {
		subs = append([]string{base[:i]}, subs...)
		base = base[i+len("._sub."):]
	}
	labels := strings.Split(base, ".")
	switch {
	case len(labels) < 2:
		if !strings.HasPrefix(base, "_") {
			return "", nameErr(kind, s, "must start with an underscore, as in _http._tcp")
		}
		return "", nameErr(kind, s, "needs a protocol: _tcp or _udp, as in _http._tcp")
	case len(labels) > 2:
		if strings.EqualFold(labels[2], "local") {
			return "", nameErr(kind, s, "must not include the domain (\"local.\"); give it separately")
		}
		return "", nameErr(kind, s, "must be two labels, _name._tcp or _name._udp")
	}
	name, proto := labels[0], strings.ToLower(labels[1])
	if err := validServiceName(s, name); err != nil {
		return "", err
	}
	if proto != "_tcp" && proto != "_udp" {
		return "", nameErr(kind, s, "protocol must be _tcp or _udp")
	}
	out := name + "." + proto
	var seen []string
	for _, sub := range subs {
		if err := validSubtype(s, sub); err != nil {
			return "", err
		}
		dup := false
		for _, x := range seen {
			if strings.EqualFold(x, sub) {
				dup = true
			}
		}
		if !dup {
			seen = append(seen, sub)
			out += "," + sub
		}
	}
	return ServiceType(out), nil
}

// validServiceName checks the service name label (RFC 6763 §7.2, RFC 6335
// §5.1): an underscore, then 1–15 letters, digits and hyphens, with at least
// one letter, no hyphen at either end and no two hyphens together.
func validServiceName(input, label string) error {
	const kind = "service type"
	if !strings.HasPrefix(label, "_") {
		return nameErr(kind, input, "must start with an underscore, as in _http._tcp")
	}
	n := label[1:]
	if n == "" {
		return nameErr(kind, input, "service name is empty after the underscore")
	}
	if c := utf8.RuneCountInString(n); c > 15 {
		return nameErr(kind, input, fmt.Sprintf("service name is %d characters; the limit is 15 (RFC 6763 §7.2)", c))
	}
	letter := false
	for _, r := range n {
		switch {
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			letter = true
		case r >= '0' && r <= '9' || r == '-':
		default:
			return nameErr(kind, input, fmt.Sprintf("service name may hold only letters, digits and hyphens, not %q", r))
		}
	}
	switch {
	case !letter:
		return nameErr(kind, input, "service name must contain a letter")
	case strings.HasPrefix(n, "-") || strings.HasSuffix(n, "-"):
		return nameErr(kind, input, "service name must not begin or end with a hyphen")
	case strings.Contains(n, "--"):
		return nameErr(kind, input, "service name must not contain two hyphens in a row")
	}
	return nil
}

// validSubtype checks a subtype label (RFC 6763 §7.1): an underscore, then
// printable content, at most 63 bytes in all.
func validSubtype(input, sub string) error {
	const kind = "service type"
	switch {
	case !strings.HasPrefix(sub, "_"):
		return nameErr(kind, input, fmt.Sprintf("subtype %q must start with an underscore", sub))
	case len(sub) == 1:
		return nameErr(kind, input, "subtype is empty after the underscore")
	case len(sub) > 63:
		return nameErr(kind, input, fmt.Sprintf("subtype %q is %d bytes; the limit is 63", sub, len(sub)))
	case !utf8.ValidString(sub):
		return nameErr(kind, input, fmt.Sprintf("subtype %q is not valid UTF-8", sub))
	}
	for _, r := range sub {
		if r < 0x20 || r == 0x7f {
			return nameErr(kind, input, fmt.Sprintf("subtype %q holds a control character", sub))
		}
		if r == '.' || r == ',' {
			return nameErr(kind, input, fmt.Sprintf("subtype %q must not hold %q", sub, r))
		}
	}
	return nil
}

// Validate reports whether t is a valid service type.
func (t ServiceType) Validate() error {
	_, err := ParseServiceType(string(t))
	return err
}

func (t ServiceType) split() (base string, subs []string) {
	parts := strings.Split(string(t), ",")
	return parts[0], parts[1:]
}

// Name returns the service name label, "_daap" for "_daap._tcp".
func (t ServiceType) Name() string {
	b, _ := t.split()
	name, _, _ := strings.Cut(b, ".")
	return name
}

// Proto returns the protocol label, "_tcp" or "_udp".
func (t ServiceType) Proto() string {
	b, _ := t.split()
	_, proto, _ := strings.Cut(b, ".")
	return proto
}

// Base returns the type without subtypes.
func (t ServiceType) Base() ServiceType {
	b, _ := t.split()
	return ServiceType(b)
}

// Subtypes returns the subtypes, each with its leading underscore.
func (t ServiceType) Subtypes() []string {
	_, subs := t.split()
	return subs
}

// String returns the type as written.
func (t ServiceType) String() string { return string(t) }

// DNSName returns the FQDN browsed for the base type in domain (empty
// means "local."), such as "_daap._tcp.local.".
func (t ServiceType) DNSName(domain string) string {
	return string(t.Base()) + "." + normalizeDomainOrLocal(domain)
}

// SubtypeDNSName returns the FQDN browsed for one subtype (RFC 6763 §7.1),
// such as "_printer._sub._http._tcp.local.".
func (t ServiceType) SubtypeDNSName(sub, domain string) string {
	return escapeLabel(sub) + "._sub." + t.DNSName(domain)
}
