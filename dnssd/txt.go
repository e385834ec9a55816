package dnssd

import (
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"

	"github.com/rendezvous-mdns/rendezvous/internal/dnsname"
)

// TXT is the data of a service's TXT record (RFC 6763 §6): a list of
// "key=value" strings and boolean attributes ("key" alone). It is an
// immutable, comparable value (two TXTs are == when their strings are the
// same, in the same order); the zero value is the empty TXT record, sent on
// the wire as one zero-length string (§6.1).
type TXT struct {
	// wire holds the strings as on the wire: each one length-prefixed.
	wire string
}

// TXTEntry is one TXT string taken apart. A boolean attribute has
// HasValue false; "key=" has HasValue true and an empty Value (RFC 6763
// §6.4).
type TXTEntry struct {
	Key      string
	Value    string
	HasValue bool
}

// NewTXT builds a TXT record from "key=value" and "key" strings. Each
// string is at most 255 bytes; keys are printable US-ASCII without '=',
// and unique ignoring case (RFC 6763 §6.4); values are arbitrary bytes.
func NewTXT(entries ...string) (TXT, error) {
	var b strings.Builder
	var keys []string
	for _, e := range entries {
		if len(e) > 255 {
			return TXT{}, nameErr("TXT entry", e, fmt.Sprintf("is %d bytes; the limit is 255 (RFC 6763 §6.1)", len(e)))
		}
		key, _, _ := strings.Cut(e, "=")
		if err := validTXTKey(e, key); err != nil {
			return TXT{}, err
		}
		for _, k := range keys {
			if strings.EqualFold(k, key) {
				return TXT{}, nameErr("TXT entry", e, fmt.Sprintf("repeats the key %q (keys are case-insensitive, RFC 6763 §6.4)", key))
			}
		}
		keys = append(keys, key)
		b.WriteByte(byte(len(e)))
		b.WriteString(e)
	}
	return TXT{wire: b.String()}, nil
}

func validTXTKey(entry, key string) error {
	if key == "" {
		return nameErr("TXT entry", entry, "has an empty key (RFC 6763 §6.4)")
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c < 0x20 || c > 0x7e {
			return nameErr("TXT entry", entry, fmt.Sprintf("key holds %q; keys are printable US-ASCII (RFC 6763 §6.4)", c))
		}
	}
	return nil
}

// MustTXT is NewTXT for literals: it panics on invalid entries.
func MustTXT(entries ...string) TXT {
	t, err := NewTXT(entries...)
	if err != nil {
		panic(err)
	}
	return t
}

// TXTFromMap builds a TXT record with keys in sorted order.
func TXTFromMap(m map[string]string) (TXT, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	entries := make([]string, len(keys))
	for i, k := range keys {
		entries[i] = k + "=" + m[k]
	}
	return NewTXT(entries...)
}

// strs iterates over the raw strings.
func (t TXT) strs() iter.Seq[string] {
	return func(yield func(string) bool) {
		w := t.wire
		for len(w) > 0 {
			n := int(w[0])
			s := w[1 : 1+n]
			w = w[1+n:]
			if !yield(s) {
				return
			}
		}
	}
}

// Strings returns the raw strings, in order.
func (t TXT) Strings() []string { return slices.Collect(t.strs()) }

// Len returns the number of strings.
func (t TXT) Len() int {
	n := 0
	for range t.strs() {
		n++
	}
	return n
}

func splitEntry(s string) TXTEntry {
	k, v, ok := strings.Cut(s, "=")
	return TXTEntry{Key: k, Value: v, HasValue: ok}
}

// Entries iterates over the entries in order.
func (t TXT) Entries() iter.Seq[TXTEntry] {
	return func(yield func(TXTEntry) bool) {
		for s := range t.strs() {
			if !yield(splitEntry(s)) {
				return
			}
		}
	}
}

// Lookup returns the entry for key (case-insensitive; the first one wins,
// RFC 6763 §6.4).
func (t TXT) Lookup(key string) (TXTEntry, bool) {
	for e := range t.Entries() {
		if strings.EqualFold(e.Key, key) {
			return e, true
		}
	}
	return TXTEntry{}, false
}

// Get returns key's value; ok is false when the key is absent. A boolean
// attribute has the value "".
func (t TXT) Get(key string) (value string, ok bool) {
	e, ok := t.Lookup(key)
	return e.Value, ok
}

// Has reports whether key is present (with or without a value).
func (t TXT) Has(key string) bool {
	_, ok := t.Lookup(key)
	return ok
}

// Map returns the entries as a map (boolean attributes map to "").
func (t TXT) Map() map[string]string {
	m := map[string]string{}
	for e := range t.Entries() {
		if _, dup := m[e.Key]; !dup {
			m[e.Key] = e.Value
		}
	}
	return m
}

// With returns a copy with key set to value (replacing any entry of that
// key, in place).
func (t TXT) With(key, value string) (TXT, error) {
	var entries []string
	replaced := false
	for s := range t.strs() {
		if strings.EqualFold(splitEntry(s).Key, key) {
			if !replaced {
				entries = append(entries, key+"="+value)
				replaced = true
			}
			continue
		}
		entries = append(entries, s)
	}
	if !replaced {
		entries = append(entries, key+"="+value)
	}
	return NewTXT(entries...)
}

// String returns the entries separated by spaces, quoted where needed:
// `txtvers=1 note="Lab Printer"`.
func (t TXT) String() string {
	var parts []string
	for s := range t.strs() {
		if s == "" || strings.ContainsAny(s, " \"\\") || !isPrintable(s) {
			parts = append(parts, strconv.Quote(s))
		} else {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " ")
}

func isPrintable(s string) bool {
	for _, r := range s {
		if !strconv.IsPrint(r) {
			return false
		}
	}
	return true
}

// DNSStrings returns the strings in the escaped form of miekg/dns's
// dns.TXT.Txt field; the empty TXT is one empty string (RFC 6763 §6.1).
func (t TXT) DNSStrings() []string {
	var out []string
	for s := range t.strs() {
		out = append(out, dnsname.EscapeTXT(s))
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return out
}

// TXTFromDNSStrings reads a TXT record's strings as miekg/dns presents
// them. It is lenient with what peers send (RFC 6763 §6.4): empty strings
// and strings starting with '=' are skipped, and a repeated key is kept
// (Get returns the first); an escape sequence that cannot be decoded is an
// error.
func TXTFromDNSStrings(txt []string) (TXT, error) {
	var b strings.Builder
	for _, s := range txt {
		raw, err := dnsname.UnescapeTXT(s)
		if err != nil {
			return TXT{}, nameErr("TXT entry", s, "has a bad escape sequence")
		}
		if raw == "" || raw[0] == '=' || len(raw) > 255 {
			continue
		}
		b.WriteByte(byte(len(raw)))
		b.WriteString(raw)
	}
	return TXT{wire: b.String()}, nil
}
