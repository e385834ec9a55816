package dnssd

import (
	"fmt"
	"strings"
)

// Service describes a service instance to register, or one that was
// resolved (RFC 6763 §5, §6). It is a comparable value.
type Service struct {
	// Name is the instance name as people see it ("DAAP Server"): UTF-8,
	// at most 63 bytes, any characters (RFC 6763 §4.1.1).
	Name string
	// Type is the service type, with subtypes if any ("_http._tcp,_printer").
	Type ServiceType
	// Domain is "" or "local." on the link.
	Domain string
	// Host is the target host name ("printer.local."); "" registers this
	// machine's host name.
	Host string
	// Port is the TCP or UDP port, 1–65535.
	Port uint16
	// TXT is the service's TXT record; the zero value is an empty one.
	TXT TXT
}

// Instance returns the instance the service is registered as.
func (s Service) Instance() Instance {
	return Instance{Name: s.Name, Type: s.Type, Domain: s.Domain}
}

// Validate reports what is wrong with the service as a registration.
func (s Service) Validate() error {
	if err := s.Instance().Validate(); err != nil {
		return err
	}
	if s.Port == 0 {
		return &NameError{Kind: "port", Input: "0", Reason: "must be 1–65535"}
	}
	if s.Host != "" {
		if err := validHostName(s.Host); err != nil {
			return err
		}
	}
	return nil
}

// validHostName checks a DNS host name: labels of letters, digits and
// hyphens, 1–63 bytes each.
func validHostName(h string) error {
	const kind = "host name"
	d := strings.TrimSuffix(h, ".")
	if d == "" {
		return nameErr(kind, h, "is empty")
	}
	for _, l := range strings.Split(d, ".") {
		switch {
		case l == "":
			return nameErr(kind, h, "has an empty label")
		case len(l) > 63:
			return nameErr(kind, h, fmt.Sprintf("label %q is %d bytes; the limit is 63", l, len(l)))
		case l[0] == '-' || l[len(l)-1] == '-':
			return nameErr(kind, h, fmt.Sprintf("label %q must not begin or end with a hyphen", l))
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return nameErr(kind, h, fmt.Sprintf("may hold only letters, digits and hyphens, not %q", c))
			}
		}
	}
	return nil
}
