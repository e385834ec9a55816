//go:build unix

package daemon

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/rendezvous-mdns/rendezvous/dnssd"
	"github.com/rendezvous-mdns/rendezvous/internal/daemon/daemontest"
	"github.com/rendezvous-mdns/rendezvous/internal/ipc"
)

// transcriptDir holds the recorded transcripts, relative to this package:
// the module root is a sibling of the shared test data.
const transcriptDir = "../../../shared/testdata/dnssd-ipc"

type transcript struct {
	Name  string `json:"name"`
	Setup struct {
		Peers []struct {
			NS   string   `json:"ns"`
			Argv []string `json:"argv"`
		} `json:"peers"`
		Actions []struct {
			T      float64 `json:"t"`
			Action string  `json:"action"`
		} `json:"actions"`
	} `json:"setup"`
	Frames []tframe `json:"frames"`
}

type tframe struct {
	Seq        int      `json:"seq"`
	T          float64  `json:"t"`
	Conn       int      `json:"conn"`
	Channel    string   `json:"channel"`
	Errsd      int      `json:"errsd"`
	Dir        string   `json:"dir"`
	Kind       string   `json:"kind"`
	Hex        string   `json:"hex"`
	SCMRights  bool     `json:"scm_rights"`
	AnswersSeq *int     `json:"answers_seq"`
	Variable   []string `json:"variable"`
	Summary    string   `json:"summary"`

	bytes []byte
}

func (f *tframe) variable(path string) bool {
	for _, v := range f.Variable {
		if v == path {
			return true
		}
	}
	return false
}

// deviation is where this daemon answers differently from Apple's, on
// purpose; each names its reason. They are the whole list of differences.
type deviation struct {
	why    string
	code   *ipc.Error // the error code (or a reply's error field) differs
	absent bool       // the daemon sends nothing for this frame
	op     ipc.Op     // a different reply op (with code as its error)
}

func errp(e ipc.Error) *ipc.Error { return &e }

const (
	whyAddRecord    = "add_record_request: the Backend cannot publish extra records (Unsupported)"
	whyUpdateRecord = "update_record_request of a non-primary record: the Backend cannot (Unsupported)"
	whyRemoveRecord = "remove_record_request: the Backend cannot publish extra records, so none can be removed (Unsupported)"
	whyRegRecord    = "reg_record_request: the Backend cannot register individual records (Unsupported)"
)

var deviations = map[string]map[int]deviation{
	"add_update_remove_record.json": {
		4:  {why: whyAddRecord, code: errp(ipc.Unsupported)},
		7:  {why: whyUpdateRecord, code: errp(ipc.Unsupported)},
		10: {why: whyRemoveRecord, code: errp(ipc.Unsupported)},
	},
	"register_add_txt_record.json": {
		3: {why: whyAddRecord, code: errp(ipc.Unsupported)},
	},
	"shared_connection.json": {
		15: {why: whyAddRecord, code: errp(ipc.Unsupported)},
		18: {why: whyRemoveRecord, code: errp(ipc.Unsupported)},
	},
	"register_record_proxy.json": {
		3: {why: whyRegRecord, code: errp(ipc.Unsupported)},
		7: {why: whyRegRecord + ", so no reg_record_reply", absent: true},
		6: {why: "a registration with an explicit target host: the Backend registers this host only (Unsupported)", code: errp(ipc.Unsupported)},
		8: {why: "the registration with an explicit host was refused, so no reg_service_reply", absent: true},
	},
	"register_record_queued.json": {
		// seq 4, async_error BadParam for the bad interface index 999,
		// is reproduced as recorded.
		5: {why: whyRegRecord + ": with NOERRSD the refusal is an async_error instead of the reg_record_reply", op: ipc.OpAsyncError, code: errp(ipc.Unsupported)},
	},
}

// TestTranscriptsReplay replays the client side of every recorded
// transcript against this daemon over a fake Backend primed with what the
// recording's peers published, and checks that the daemon answers in the
// same shape as Apple's: the same kinds of frame in the same order on each
// channel (bare error code, reply, property answer, EOF), the same reply
// ops, error codes, names, types, domains, ports, TXT and rdata, ignoring
// the fields the recordings mark variable. Replies that arrive together
// are compared as a set (the README: replies to different operations
// interleave freely, and getaddrinfo.json's AAAA-then-A order is not
// to be relied on). Where this daemon differs on purpose, the deviations
// table says so and why.
func TestTranscriptsReplay(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(transcriptDir, "*.json"))
	if len(paths) == 0 {
		t.Skipf("no transcripts in %s (the shared test data is not next to this checkout)", transcriptDir)
	}
	sort.Strings(paths)
	for _, p := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(p), ".json"), func(t *testing.T) {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			var tr transcript
			if err := json.Unmarshal(data, &tr); err != nil {
				t.Fatal(err)
			}
			for i := range tr.Frames {
				if tr.Frames[i].bytes, err = hex.DecodeString(tr.Frames[i].Hex); err != nil {
					t.Fatal(err)
				}
			}
			replay(t, &tr, deviations[filepath.Base(p)])
		})
	}
}

// hostRecords are the address records of the two recording hosts
// (README "Recorded in two network namespaces").
var hostRecords = map[string][]string{
	"apx-a": {"apx-a.local. 120 IN A 10.66.0.1", "apx-a.local. 120 IN AAAA fe80::90f1:d7ff:fe59:4915"},
	"apx-b": {"apx-b.local. 120 IN A 10.66.0.2"},
}

// primeFake gives the fake Backend what the recording's network held: the
// two hosts' addresses and every peer's registration ("dns-sd -R NAME TYPE
// DOMAIN PORT TXT..."), whose name is then taken (name_conflict.json).
// It returns a function per peer that withdraws it (for "kill peer N").
func primeFake(t *testing.T, fake *daemontest.Backend, tr *transcript) []func() {
	const iface = "lo"
	for _, recs := range hostRecords {
		for _, s := range recs {
			fake.AddRecord(iface, mustRR(t, s))
		}
	}
	var kills []func()
	for _, p := range tr.Setup.Peers {
		a := p.Argv
		if len(a) < 6 || a[1] != "-R" {
			t.Fatalf("peer %v: not a dns-sd -R registration", a)
		}
		port, err := strconv.Atoi(a[5])
		if err != nil {
			t.Fatal(err)
		}
		inst := dnssd.Instance{Name: a[2], Type: dnssd.ServiceType(a[3]), Domain: a[4] + "."}
		full := inst.DNSName()
		txt := dnssd.MustTXT(a[6:]...)
		rrs := []dns.RR{
			&dns.PTR{Hdr: dns.RR_Header{Name: inst.Type.DNSName(inst.Domain), Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: 4500}, Ptr: full},
			&dns.SRV{Hdr: dns.RR_Header{Name: full, Rrtype: dns.TypeSRV, Class: dns.ClassINET, Ttl: 120}, Port: uint16(port), Target: p.NS + ".local."},
			&dns.TXT{Hdr: dns.RR_Header{Name: full, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 4500}, Txt: txt.DNSStrings()},
		}
		for _, rr := range rrs {
			fake.AddRecord(iface, rr)
		}
		fake.Take(a[2])
		kills = append(kills, func() {
			for _, rr := range rrs {
				fake.RemoveRecord(iface, rr)
			}
		})
	}
	return kills
}

func mustRR(t testing.TB, s string) dns.RR {
	rr, err := dns.NewRR(s)
	if err != nil {
		t.Fatal(err)
	}
	return rr
}

func replay(t *testing.T, tr *transcript, dev map[int]deviation) {
	fake := daemontest.New()
	kills := primeFake(t, fake, tr)
	_, path := startServer(t, fake, nil)

	conns := map[int]*client{}
	errsds := map[int]*errSocket{}
	applied := 0
	updates := 0           // primary TXT updates sent
	var lastTXT *dnssd.TXT // the last one
	bySeq := map[int]*tframe{}
	for i := range tr.Frames {
		bySeq[tr.Frames[i].Seq] = &tr.Frames[i]
	}
	for i := 0; i < len(tr.Frames); i++ {
		f := &tr.Frames[i]
		// Setup actions happen at their recorded time relative to the
		// frames (browse.json: the peer is killed between the add and
		// the remove).
		for ; applied < len(tr.Setup.Actions) && tr.Setup.Actions[applied].T < f.T; applied++ {
			a := tr.Setup.Actions[applied].Action
			var n int
			if _, err := fmt.Sscanf(a, "kill peer %d", &n); err != nil || n >= len(kills) {
				t.Fatalf("action %q: not understood", a)
			}
			kills[n]()
		}
		d, hasDev := dev[f.Seq]
		if hasDev && f.Kind != "reply" {
			t.Logf("seq %d deviates on purpose: %s", f.Seq, d.why)
		}
		c := conns[f.Conn]
		if c == nil {
			c = dial(t, path)
			conns[f.Conn] = c
		}
		switch {
		case f.Dir == "c2s" && f.Kind == "request":
			if req, err := ipc.DecodeRequest(f.bytes, true); err == nil && req.Header.RegIndex == ipc.RegIndexPrimaryTXT {
				if u, ok := req.Body.(ipc.UpdateRecordRequest); ok {
					txt, err := txtFromWire(u.RData)
					if err != nil {
						t.Fatal(err)
					}
					updates++
					lastTXT = &txt
				}
			}
			if f.SCMRights {
				errsds[f.Errsd] = c.sendWithErrSocket(f.bytes)
			} else {
				c.send(f.bytes)
			}
		case f.Dir == "c2s" && f.Kind == "eof":
			c.closeWrite()
		case f.Channel == "errsd" && f.Kind == "error_code":
			want, _ := ipc.DecodeErrorCode(f.bytes)
			if hasDev && d.code != nil {
				want = *d.code
			}
			got, err := errsds[f.Errsd].code()
			if err != nil || got != want {
				t.Fatalf("seq %d (%s): error socket #%d gave %v, %v; want %v", f.Seq, f.Summary, f.Errsd, got, err, want)
			}
		case f.Channel == "errsd" && f.Kind == "eof":
			if err := errsds[f.Errsd].eof(); err != nil {
				t.Fatalf("seq %d: %v", f.Seq, err)
			}
		case f.Kind == "error_code":
			want, _ := ipc.DecodeErrorCode(f.bytes)
			if hasDev && d.code != nil {
				want = *d.code
			}
			it := c.mustNext()
			if it.Kind != ipc.ItemErrorCode || it.Code != want {
				t.Fatalf("seq %d (%s): got %s, want error code %v", f.Seq, f.Summary, describe(it), want)
			}
		case f.Kind == "property_reply":
			c.cs.ExpectProperty()
			it := c.mustNext()
			want, _ := ipc.DecodePropertyReply(f.bytes)
			if it.Kind != ipc.ItemProperty || !reflect.DeepEqual(it.Property, want) {
				t.Fatalf("seq %d: got %s %+v, want %+v", f.Seq, describe(it), it.Property, want)
			}
		case f.Kind == "reply":
			// The run of replies on this connection's main socket.
			group := []*tframe{f}
			for i+1 < len(tr.Frames) && tr.Frames[i+1].Kind == "reply" && tr.Frames[i+1].Conn == f.Conn && tr.Frames[i+1].Channel == "main" &&
				(applied == len(tr.Setup.Actions) || tr.Frames[i+1].T <= tr.Setup.Actions[applied].T) {
				i++
				group = append(group, &tr.Frames[i])
			}
			checkReplies(t, c, group, dev, bySeq)
		case f.Kind == "eof":
			c.expectEOF()
		default:
			t.Fatalf("seq %d: frame kind %s/%s/%s not understood", f.Seq, f.Dir, f.Channel, f.Kind)
		}
	}

	// Every client closed its socket: nothing of theirs may be left in
	// the Backend (registrations withdrawn, queries stopped), and every
	// primary TXT update reached the registration, in order.
	st := waitFor(t, fake, "the clients' operations to end", func(s daemontest.Snapshot) bool {
		return s.Active() == 0 && s.ActiveQueries == 0
	})
	got := 0
	for _, r := range st.Registrations {
		got += r.Updates
		if lastTXT != nil && r.TXT != *lastTXT {
			t.Errorf("registration %q ended with TXT %v, want the last update %v", r.Name, r.TXT, *lastTXT)
		}
	}
	if got != updates {
		t.Errorf("the Backend saw %d TXT updates, the client sent %d", got, updates)
	}
}

// checkReplies reads as many replies as the group expects (less the
// deviations marked absent) and matches them as a set.
func checkReplies(t *testing.T, c *client, group []*tframe, dev map[int]deviation, bySeq map[int]*tframe) {
	t.Helper()
	type want struct {
		f     *tframe
		reply ipc.Reply
	}
	var wants []want
	for _, f := range group {
		r, err := ipc.DecodeReply(f.bytes)
		if err != nil {
			t.Fatalf("seq %d: recorded reply does not decode: %v", f.Seq, err)
		}
		if d, ok := dev[f.Seq]; ok {
			t.Logf("seq %d deviates on purpose: %s", f.Seq, d.why)
			if d.absent {
				continue
			}
			if d.op != 0 {
				r.Header.Op = d.op
				r.Body = ipc.AsyncErrorReply{}
			}
			if d.code != nil {
				r.Body = withError(r.Body, *d.code)
			}
		}
		wants = append(wants, want{f, r})
	}
	var got []ipc.Reply
	for range wants {
		got = append(got, c.expectReply())
	}
	used := make([]bool, len(got))
	for _, w := range wants {
		// The context must be the one of the request answered.
		if w.f.AnswersSeq != nil {
			req, err := ipc.DecodeRequest(bySeq[*w.f.AnswersSeq].bytes, true)
			if err == nil && req.Header.Context != w.reply.Header.Context {
				t.Fatalf("seq %d: recorded context differs from its request's", w.f.Seq)
			}
		}
		exp := normalize(w.reply.Body, w.f.variable("body.rdata"))
		found := false
		for i, g := range got {
			if used[i] || g.Header.Op != w.reply.Header.Op || g.Header.Context != w.reply.Header.Context {
				continue
			}
			if reflect.DeepEqual(normalize(g.Body, w.f.variable("body.rdata")), exp) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			t.Errorf("seq %d (%s): no matching reply; want %+v", w.f.Seq, w.f.Summary, exp)
			for _, g := range got {
				t.Errorf("  got %v ctx %x %+v", g.Header.Op, g.Header.Context, normalize(g.Body, false))
			}
			t.FailNow()
		}
	}
}

// normalize clears the reply fields the recordings mark variable: flags
// bits MoreComing and AnsweredFromCache, the interface index, TTLs, and
// rdata where marked (IPv6 link-local addresses).
func normalize(b ipc.ReplyBody, varRdata bool) ipc.ReplyBody {
	fix := func(c *ipc.ReplyCommon) {
		c.Flags &^= ipc.FlagMoreComing | ipc.FlagAnsweredFromCache
		c.InterfaceIndex = 0
	}
	switch r := b.(type) {
	case ipc.EnumerationReply:
		fix(&r.ReplyCommon)
		return r
	case ipc.RegisterServiceReply:
		fix(&r.ReplyCommon)
		return r
	case ipc.BrowseReply:
		fix(&r.ReplyCommon)
		return r
	case ipc.ResolveReply:
		fix(&r.ReplyCommon)
		return r
	case ipc.QueryReply:
		fix(&r.ReplyCommon)
		r.TTL = 0
		if varRdata {
			r.RData = nil
		}
		return r
	case ipc.AddrInfoReply:
		fix(&r.ReplyCommon)
		r.TTL = 0
		if varRdata {
			r.RData = nil
		}
		return r
	case ipc.RegisterRecordReply:
		fix(&r.ReplyCommon)
		return r
	case ipc.AsyncErrorReply:
		fix(&r.ReplyCommon)
		return r
	}
	return b
}

func withError(b ipc.ReplyBody, code ipc.Error) ipc.ReplyBody {
	switch r := b.(type) {
	case ipc.RegisterServiceReply:
		r.Error = code
		return r
	case ipc.RegisterRecordReply:
		r.Error = code
		return r
	case ipc.AsyncErrorReply:
		r.Error = code
		return r
	}
	panic(fmt.Sprintf("withError: %T", b))
}

// TestHostRecordsParse keeps hostRecords honest.
func TestHostRecordsParse(t *testing.T) {
	for _, recs := range hostRecords {
		for _, s := range recs {
			rr := mustRR(t, s)
			if a, ok := rr.(*dns.AAAA); ok {
				if _, ok := netip.AddrFromSlice(a.AAAA); !ok {
					t.Fatal(s)
				}
			}
		}
	}
}
