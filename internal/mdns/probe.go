package mdns

import (
	"slices"
	"time"

	"github.com/miekg/dns"
)

// Probing (RFC 6762 §8.1): before using its unique records on a link, a
// registration waits a random 0–250 ms, then sends three queries for its name
// 250 ms apart, type ANY, the first with the unicast-response bit, the
// proposed records in the Authority section. If nobody objects within 250 ms
// of the third, the name is ours there.

const (
	probeInterval = 250 * time.Millisecond
	probeCount    = 3
)

// initialProbeDelay is the random 0–250 ms wait before a first probe (RFC
// 6762 §8.1). Groups that start probing on a link while another's first
// probe is still due share its moment, so their probes travel together:
// a service and the host name it brings, or services registered at once.
func (l *link) initialProbeDelay(now time.Time) time.Duration {
	if d := l.probeAt.Sub(now); d >= 0 && d <= probeInterval {
		return d
	}
	d := l.e.randDur(0, probeInterval)
	l.probeAt = now.Add(d)
	return d
}

// startProbing puts the group back to probing on this link after delay.
func (gl *groupLink) startProbing(now time.Time, delay time.Duration) {
	gl.state = phaseProbing
	gl.probes = 0
	gl.announces = 0
	gl.annSet = nil
	gl.g.e.schedule(gl.t, now.Add(delay))
}

// step runs the group's next action on this link.
func (gl *groupLink) step(now time.Time) {
	switch gl.state {
	case phaseProbing:
		gl.stepProbe(now)
	case phaseAnnouncing:
		gl.stepAnnounce(now)
	case phaseGoodbye:
		gl.stepGoodbye(now)
	}
}

func (gl *groupLink) stepProbe(now time.Time) {
	e := gl.g.e
	if gl.probes >= probeCount {
		// RFC 6762 §8.1: no conflict in the 250 ms after the last probe.
		gl.startAnnouncing(now, nil)
		gl.g.checkEstablished(now)
		return
	}
	q := dns.Question{Name: gl.g.name, Qtype: dns.TypeANY, Qclass: dns.ClassINET}
	if gl.probes == 0 && !e.cfg.DisableQU {
		q.Qclass |= cacheFlushBit // QU (RFC 6762 §5.4, §8.1)
	}
	out := &gl.l.out
	out.addQuestion(q)
	for _, r := range gl.recs {
		if r.probed {
			// RFC 6762 §8.1: proposed records in Authority, no cache-flush bit.
			out.authority = append(out.authority, r.plain)
		}
	}
	gl.probes++
	e.stats.ProbesSent++
	e.schedule(gl.t, now.Add(probeInterval))
}

// probedRecords returns the records this group proposes under name on this
// link, for tie-breaking.
func (gl *groupLink) probedRecords() []dns.RR {
	var out []dns.RR
	for _, r := range gl.recs {
		if r.probed && r.lname == gl.g.lname {
			out = append(out, r.plain)
		}
	}
	return out
}

// handleProbe handles another host's probe for a name we are probing too
// (RFC 6762 §8.2, simultaneous probe tie-breaking). theirs are the records
// in the probe's Authority section with that name.
func (gl *groupLink) handleProbe(now time.Time, theirs []dns.RR) {
	ours := gl.probedRecords()
	c := compareRecordSets(ours, theirs)
	switch {
	case c < 0:
		// Our data is lexicographically earlier: we lose. Wait one second
		// and probe again (RFC 6762 §8.2); if the winner keeps the name we
		// will see its answers and rename then.
		gl.g.e.stats.ProbeTiebreaksLost++
		gl.g.e.cfg.Logger.Debug("mdns: lost simultaneous probe tie-break", "name", gl.g.name, "link", gl.l.Name)
		gl.startProbing(now, time.Second)
	default:
		// We win, or the records are identical (not a conflict): carry on.
	}
}

// compareRecordSets compares two record sets as RFC 6762 §8.2 says: both
// sorted, compared pairwise; the first difference decides, and a set that
// runs out first is the earlier one.
func compareRecordSets(a, b []dns.RR) int {
	a = slices.Clone(a)
	b = slices.Clone(b)
	slices.SortFunc(a, compareRecords)
	slices.SortFunc(b, compareRecords)
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := compareRecords(a[i], b[i]); c != 0 {
			return c
		}
	}
	return len(a) - len(b)
}
