package dnssd

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/rendezvous-mdns/rendezvous/internal/dnsname"
)

// Instance names one service instance (RFC 6763 §4.1): the user-visible
// Name, the service Type and the Domain ("" means "local."). It is
// comparable, so it can key a map.
//
// Name is the instance name exactly as people see it: UTF-8, up to 63
// bytes, and it may contain dots, spaces, backslashes and any other
// character (RFC 6763 §4.3). "Café v1.2 \ test" is one name and one DNS
// label; nothing in Name is escaped.
type Instance struct {
	Name   string
	Type   ServiceType
	Domain string
}

// Validate reports what is wrong with the instance, if anything.
func (i Instance) Validate() error {
	if err := validInstanceName(i.Name); err != nil {
		return err
	}
	if err := i.Type.Validate(); err != nil {
		return err
	}
	_, err := normalizeDomain(i.Domain)
	return err
}

// validInstanceName checks RFC 6763 §4.1.1: 1–63 bytes of UTF-8, no
// control characters.
func validInstanceName(n string) error {
	const kind = "instance name"
	switch {
	case n == "":
		return nameErr(kind, n, "is empty")
	case len(n) > dnsname.MaxLabel:
		return nameErr(kind, n, fmt.Sprintf("%d bytes long; the limit is 63 bytes (RFC 6763 §4.1.1)", len(n)))
	case !utf8.ValidString(n):
		return nameErr(kind, n, "is not valid UTF-8 (RFC 6763 §4.1.1)")
	}
	for _, r := range n {
		if r < 0x20 || r == 0x7f {
			return nameErr(kind, n, fmt.Sprintf("holds the control character %U (RFC 6763 §4.1.1)", r))
		}
	}
	return nil
}

// DNSName returns the instance's FQDN in miekg/dns presentation form: the
// name as one escaped label, the base type and the domain, such as
// `Caf\195\169\ v1\.2\ \\\ test._ipp._tcp.local.`.
func (i Instance) DNSName() string {
	return dnsname.EscapeLabel(i.Name) + "." + i.Type.DNSName(i.Domain)
}

// splitDNSName is the name some implementations (python-zeroconf 0.47) put
// on the wire for an instance name holding dots: each dot-separated part a
// label of its own. It returns "" when the name has no dot or a part would
// be empty.
func (i Instance) splitDNSName() string {
	if !strings.Contains(i.Name, ".") {
		return ""
	}
	var labels []string
	for _, p := range strings.Split(i.Name, ".") {
		if p == "" {
			return ""
		}
		labels = append(labels, dnsname.EscapeLabel(p))
	}
	return strings.Join(labels, ".") + "." + i.Type.DNSName(i.Domain)
}

// ParseInstanceDNSName is the inverse of DNSName: it takes a name as
// miekg/dns presents it (for example the target of a browse PTR record).
func ParseInstanceDNSName(name string) (Instance, error) {
	const kind = "instance name"
	first, rest := dnsname.SplitFirst(name)
	raw, err := dnsname.UnescapeLabel(first)
	if err != nil {
		return Instance{}, nameErr(kind, name, "has a bad escape sequence")
	}
	if svc, _ := dnsname.SplitFirst(rest); svc == "" || !strings.Contains(rest, ".") {
		return Instance{}, nameErr(kind, name, "is not of the form <instance>._service._proto.<domain>")
	}
	if err := validInstanceName(raw); err != nil {
		return Instance{}, err
	}
	t, d, err := parseTypeDomain(rest)
	if err != nil {
		return Instance{}, err
	}
	return Instance{Name: raw, Type: t, Domain: d}, nil
}

// parseTypeDomain parses "_service._proto.domain." (escaped form).
func parseTypeDomain(name string) (ServiceType, string, error) {
	svc, rest := dnsname.SplitFirst(name)
	proto, domain := dnsname.SplitFirst(rest)
	t, err := parseBaseType(svc + "." + proto)
	if err != nil {
		return "", "", err
	}
	d, err := normalizeDomain(domain)
	if err != nil {
		return "", "", err
	}
	return t, d, nil
}

// String returns the instance in the presentation form of RFC 6763 §4.3:
// the name with its dots and backslashes escaped (`\.`, `\\`) and
// everything else — spaces, UTF-8 — as it is, then type and domain:
// `Café v1\.2 \\ test._ipp._tcp.local.`.
func (i Instance) String() string {
	var b strings.Builder
	for _, r := range i.Name {
		if r == '.' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String() + "." + i.Type.DNSName(i.Domain)
}

// ParseInstance parses the presentation form String produces.
func ParseInstance(s string) (Instance, error) {
	const kind = "instance name"
	var name strings.Builder
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c == '\\' {
			if i+1 >= len(s) {
				return Instance{}, nameErr(kind, s, "ends with a lone backslash")
			}
			i++
			name.WriteByte(s[i])
			continue
		}
		if c == '.' {
			break
		}
		name.WriteByte(c)
	}
	if i >= len(s) {
		return Instance{}, nameErr(kind, s, "lacks the service type; want Name._type._tcp.local.")
	}
	rest := s[i+1:]
	labels := strings.SplitN(rest, ".", 3)
	if len(labels) < 2 {
		return Instance{}, nameErr(kind, s, "lacks the service type; want Name._type._tcp.local.")
	}
	t, err := parseBaseType(labels[0] + "." + labels[1])
	if err != nil {
		return Instance{}, err
	}
	domain := ""
	if len(labels) == 3 {
		domain = labels[2]
	}
	d, err := normalizeDomain(domain)
	if err != nil {
		return Instance{}, err
	}
	if err := validInstanceName(name.String()); err != nil {
		return Instance{}, err
	}
	return Instance{Name: name.String(), Type: t, Domain: d}, nil
}

// InstanceFromPTR reads a browse result: the target of a PTR record whose
// owner is the service type's name ("_ipp._tcp.local."). The instance name
// is what the target has before the owner. It should be one label (RFC 6763
// §4.1); some implementations (python-zeroconf 0.47) split a name holding a
// dot into several labels, and those are joined back with dots, which gives
// the name their user typed.
func InstanceFromPTR(owner, target string) (Instance, error) {
	const kind = "instance name"
	lo, lt := dnsname.Lower(dns1(owner)), dnsname.Lower(dns1(target))
	if !strings.HasSuffix(lt, "."+lo) {
		return Instance{}, nameErr(kind, target, fmt.Sprintf("is not under %s", owner))
	}
	prefix := dns1(target)[:len(lt)-len(lo)-1]
	var parts []string
	for _, l := range dnsname.Labels(prefix) {
		raw, err := dnsname.UnescapeLabel(l)
		if err != nil {
			return Instance{}, nameErr(kind, target, "has a bad escape sequence")
		}
		parts = append(parts, raw)
	}
	name := strings.Join(parts, ".")
	if err := validInstanceName(name); err != nil {
		return Instance{}, err
	}
	if strings.Contains(dnsname.Lower(owner), "._sub.") {
		return Instance{}, nameErr(kind, target, "owner is a subtype name; pass the base type's name")
	}
	t, d, err := parseTypeDomain(dns1(owner))
	if err != nil {
		return Instance{}, err
	}
	return Instance{Name: name, Type: t, Domain: d}, nil
}

// dns1 makes a name fully qualified.
func dns1(n string) string {
	if strings.HasSuffix(n, ".") && !strings.HasSuffix(n, `\.`) {
		return n
	}
	return n + "."
}

// parseBaseType parses the two type labels of an instance name: a service
// type without subtypes (a comma there is part of a label, not dns-sd's
// subtype syntax).
func parseBaseType(s string) (ServiceType, error) {
	if strings.Contains(s, ",") {
		return "", nameErr("service type", s, "protocol must be _tcp or _udp")
	}
	return ParseServiceType(s)
}
