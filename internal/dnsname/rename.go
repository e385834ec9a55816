package dnsname

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// SplitSuffix splits a service label "Name (3)" into "Name" and 3; a label
// without such a suffix is its own stem with counter 1.
func SplitSuffix(label string) (string, int) {
	if strings.HasSuffix(label, ")") {
		if i := strings.LastIndex(label, " ("); i > 0 {
			if n, err := strconv.Atoi(label[i+2 : len(label)-1]); err == nil && n >= 2 && n < 1e6 {
				return label[:i], n
			}
		}
	}
	return label, 1
}

// NthLabel is the label after n-1 conflicts (RFC 6762 §9): "Name (n)" for a
// service instance, "host-n" for a host name, with the stem cut to fit 63
// bytes on a UTF-8 boundary. n ≤ 1 gives the stem.
func NthLabel(stem string, n int, host bool) string {
	if n <= 1 {
		return stem
	}
	suffix := " (" + strconv.Itoa(n) + ")"
	if host {
		suffix = "-" + strconv.Itoa(n)
	}
	for len(stem)+len(suffix) > MaxLabel {
		_, size := utf8.DecodeLastRuneInString(stem)
		stem = stem[:len(stem)-size]
	}
	return stem + suffix
}
