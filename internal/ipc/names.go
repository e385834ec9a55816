package ipc

import (
	"errors"
	"fmt"
	"strings"

	"github.com/rendezvous-mdns/rendezvous/internal/dnsname"
)

// Domain names travel in this protocol as C strings in the escaped form of
// dns_sd.h (mDNSResponder's ConvertDomainNameToCString): labels separated by
// dots; inside a label a '.' or '\' is preceded by a backslash and every
// octet up to and including the space is written as a three-digit decimal
// escape (`\032`); all other octets, UTF-8 included, are sent as they are
// (README "Reply bodies": "fullname str (escaped: a space becomes \032)";
// resolve.json, query_txt.json). Go code of this module carries names in
// github.com/miekg/dns presentation form instead, which escapes more (a
// space is `\ `, UTF-8 octets are `\DDD`); the functions here convert
// between the two.

// ErrBadName reports a name that cannot be converted: a bad escape, an empty
// or over-long label, or a name over 255 octets.
var ErrBadName = errors.New("ipc: bad domain name")

// FormatLabel returns the dns_sd.h C-string form of one label whose octets
// are raw.
func FormatLabel(raw string) string { return dnsname.EscapeLabelC(raw) }

// FormatName converts name from miekg/dns presentation form to the dns_sd.h
// C-string form, ending with a dot ("." for the root), as the daemon writes
// names in replies ("Golden\032Service._goldtest._tcp.local.").
func FormatName(name string) (string, error) {
	labels := dnsname.Labels(name)
	if len(labels) == 0 {
		return ".", nil
	}
	var b strings.Builder
	for _, l := range labels {
		raw, err := dnsname.UnescapeLabel(l)
		if err != nil || raw == "" {
			return "", fmt.Errorf("%w: %q", ErrBadName, name)
		}
		b.WriteString(FormatLabel(raw))
		b.WriteByte('.')
	}
	return b.String(), nil
}

// ParseName converts a name in dns_sd.h C-string form, with or without the
// final dot, into the canonical miekg/dns presentation form with a final
// dot. Both `\DDD` and `\X` escapes are accepted, and octets that need no
// escape in C-string form (a space, UTF-8) are accepted raw. It fails with
// ErrBadName on a bad escape, an empty or over-long label, or a name over
// 255 octets on the wire.
func ParseName(s string) (string, error) {
	if s == "" || s == "." {
		return ".", nil
	}
	var b strings.Builder
	wire := 1
	rest := s
	for {
		first, more := dnsname.SplitFirst(rest)
		hadDot := len(first) < len(rest)
		raw, err := dnsname.UnescapeLabel(first)
		if err != nil {
			return "", fmt.Errorf("%w: %q: %v", ErrBadName, s, err)
		}
		if raw == "" || len(raw) > dnsname.MaxLabel {
			return "", fmt.Errorf("%w: %q: empty label or label over 63 octets", ErrBadName, s)
		}
		wire += 1 + len(raw)
		b.WriteString(dnsname.EscapeLabel(raw))
		b.WriteByte('.')
		if !hadDot || more == "" {
			break
		}
		rest = more
	}
	if wire > dnsname.MaxName {
		return "", fmt.Errorf("%w: %q: over 255 octets", ErrBadName, s)
	}
	return b.String(), nil
}
