// Package dnsname converts between the raw octets of a DNS label and the
// escaped presentation form that github.com/miekg/dns uses for names.
//
// DNS-SD instance names (RFC 6763 §4.3) are arbitrary UTF-8 and may hold dots,
// spaces and backslashes; on the wire they are one label. miekg/dns carries
// names as escaped strings ("My\ Printer\.v2._ipp._tcp.local."), so every
// place that turns a user's string into a name, or a name back into the
// user's string, goes through this package. EscapeLabel produces exactly the
// canonical form miekg/dns itself produces when it unpacks a name, so names
// built here and names read off the wire compare equal as strings.
package dnsname

import (
	"errors"
	"strings"
)

// MaxLabel is the longest label the DNS allows, in octets (RFC 1035 §2.3.4).
const MaxLabel = 63

// MaxName is the longest name the DNS allows on the wire, in octets
// (RFC 1035 §2.3.4), counting length octets and the root label.
const MaxName = 255

// EscapeLabel returns the presentation form of one label whose octets are raw.
// It escapes the characters miekg/dns escapes (. space ' ( ) ; @ " \) with a
// backslash and every octet outside printable ASCII as \DDD.
func EscapeLabel(raw string) string { return escape(raw, needsEscape) }

// EscapeLabelC returns the C-string form of one label that dns_sd.h
// (mDNSResponder's ConvertDomainNameToCString) and Avahi use: a '.' or '\'
// preceded by a backslash, every octet up to and including the space as a
// three-digit decimal escape (`\032`), all others (UTF-8 included) as they
// are.
func EscapeLabelC(raw string) string { return escape(raw, needsCEscape) }

func needsCEscape(c byte) int {
	switch {
	case c <= ' ':
		return 2
	case c == '.' || c == '\\':
		return 1
	}
	return 0
}

// escape writes raw with each octet escaped as how says: 0 literal, 1 with
// a backslash, 2 as \DDD.
func escape(raw string, how func(byte) int) string {
	clean := true
	for i := 0; i < len(raw); i++ {
		if how(raw[i]) != 0 {
			clean = false
			break
		}
	}
	if clean {
		return raw
	}
	var b strings.Builder
	b.Grow(len(raw) + 8)
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch how(c) {
		case 0:
			b.WriteByte(c)
		case 1:
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte('\\')
			b.WriteByte('0' + c/100)
			b.WriteByte('0' + c/10%10)
			b.WriteByte('0' + c%10)
		}
	}
	return b.String()
}

// needsEscape reports 0 for a literal octet, 1 for a backslash-escaped one and
// 2 for one written as \DDD.
func needsEscape(c byte) int {
	switch {
	case c < ' ' || c > '~':
		return 2
	case c == '.' || c == ' ' || c == '\'' || c == '(' || c == ')' || c == ';' || c == '@' || c == '"' || c == '\\':
		return 1
	}
	return 0
}

// ErrBadEscape reports a backslash escape that is cut short or out of range.
var ErrBadEscape = errors.New("bad escape sequence")

// UnescapeLabel returns the raw octets of one label in presentation form.
// It accepts both \X and \DDD escapes.
func UnescapeLabel(label string) (string, error) {
	if strings.IndexByte(label, '\\') < 0 {
		return label, nil
	}
	var b strings.Builder
	b.Grow(len(label))
	for i := 0; i < len(label); i++ {
		c := label[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(label) {
			return "", ErrBadEscape
		}
		if isDigit(label[i+1]) {
			if i+3 >= len(label) || !isDigit(label[i+2]) || !isDigit(label[i+3]) {
				return "", ErrBadEscape
			}
			v := int(label[i+1]-'0')*100 + int(label[i+2]-'0')*10 + int(label[i+3]-'0')
			if v > 255 {
				return "", ErrBadEscape
			}
			b.WriteByte(byte(v))
			i += 3
			continue
		}
		b.WriteByte(label[i+1])
		i++
	}
	return b.String(), nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// SplitFirst splits an escaped name at the first unescaped dot: the first
// label (still escaped) and the rest (without the separating dot).
func SplitFirst(name string) (first, rest string) {
	for i := 0; i < len(name); i++ {
		switch name[i] {
		case '\\':
			i++ // skip the escaped octet; \DDD's digits are not dots either
		case '.':
			return name[:i], name[i+1:]
		}
	}
	return name, ""
}

// Labels splits an escaped name into its labels (still escaped), leaving out
// the empty root label.
func Labels(name string) []string {
	var out []string
	for name != "" {
		var l string
		l, name = SplitFirst(name)
		if l == "" && name == "" {
			break
		}
		out = append(out, l)
	}
	return out
}

// Lower returns name with ASCII letters folded to lower case: the form used
// as a map key, since DNS names compare case-insensitively (RFC 1035 §2.3.3,
// RFC 6762 §16) for ASCII only.
func Lower(name string) string {
	for i := 0; i < len(name); i++ {
		if c := name[i]; c >= 'A' && c <= 'Z' {
			b := []byte(name)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return name
}

// Equal reports whether two names in canonical escaped form are the same
// DNS name: equal but for the case of ASCII letters.
func Equal(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x >= 'A' && x <= 'Z' {
			x += 'a' - 'A'
		}
		if y >= 'A' && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// EscapeTXT returns the form miekg/dns uses for one TXT character-string
// (dns.TXT.Txt): '"' and '\' escaped with a backslash, octets outside
// printable ASCII as \DDD. It is the inverse of UnescapeTXT.
func EscapeTXT(raw string) string { return escape(raw, needsTXTEscape) }

func needsTXTEscape(c byte) int {
	switch {
	case c < ' ' || c > '~':
		return 2
	case c == '"' || c == '\\':
		return 1
	}
	return 0
}

// UnescapeTXT returns the raw octets of a TXT character-string in
// miekg/dns form; the escapes are those of labels.
func UnescapeTXT(s string) (string, error) { return UnescapeLabel(s) }
