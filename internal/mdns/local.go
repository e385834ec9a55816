package mdns

import (
	"github.com/miekg/dns"
)

// Local results. The engine ignores its own multicast when the network loops
// it back, so its own registrations never reach its cache; yet a program
// that registers a service and browses for its type expects to see it, as
// with Apple's and Avahi's responders. Records this engine answers for are
// therefore reported to matching queries directly: Added when they become
// answerable on a link (first announcement), Updated when their data changes
// (TXT update, host rename), Removed when they are withdrawn, renamed away or
// their link goes.

// localAdd reports r to matching queries, once per distinct record per link.
func (l *link) localAdd(r *rec) {
	if r.reported {
		return
	}
	r.reported = true
	l.local[r.key]++
	if l.local[r.key] == 1 && l.e.cache.get(l.ID, r.key) == nil {
		l.e.notifyLocal(EventAdded, l, r, nil)
	}
}

// localRemove reports that r is gone.
func (l *link) localRemove(r *rec) {
	if !r.reported {
		return
	}
	r.reported = false
	l.local[r.key]--
	if l.local[r.key] <= 0 {
		delete(l.local, r.key)
		if l.e.cache.get(l.ID, r.key) == nil {
			l.e.notifyLocal(EventRemoved, l, r, nil)
		}
	}
}

// localReplace reports new as the successor of old (same name and type).
func (l *link) localReplace(old, new *rec) {
	if !old.reported || new.reported {
		l.localRemove(old)
		l.localAdd(new)
		return
	}
	old.reported = false
	l.local[old.key]--
	if l.local[old.key] <= 0 {
		delete(l.local, old.key)
	}
	new.reported = true
	l.local[new.key]++
	l.e.notifyLocal(EventUpdated, l, new, old)
}

func (e *Engine) notifyLocal(kind EventKind, l *link, r, old *rec) {
	t := r.rr.Header().Rrtype
	for _, q := range e.queryIdx[r.lname] {
		if !q.matches(r.lname, t) || q.links[l.ID] == nil {
			continue
		}
		ev := Event{Kind: kind, Query: q.id, Link: l.ID, Record: dns.Copy(r.plain)}
		if old != nil {
			ev.Old = dns.Copy(old.plain)
		}
		e.emit(ev)
	}
}

// localRecords returns the reported records on link l answering a question.
func (l *link) localRecords(lname string, t uint16) []*rec {
	var out []*rec
	seen := map[string]bool{}
	for _, r := range l.auth[lname] {
		if r.reported && !seen[r.key] && (t == dns.TypeANY || t == r.rr.Header().Rrtype) {
			seen[r.key] = true
			out = append(out, r)
		}
	}
	return out
}
