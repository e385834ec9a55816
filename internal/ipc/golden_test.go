package ipc

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
)

// TestGoldenTranscripts decodes every non-eof frame of every recorded
// transcript, checks the decoded values against the frame's header and body
// field lists, and re-encodes it to the same bytes. It also replays each
// connection's two main byte streams through RequestStream and ClientStream
// in several chunkings and checks that they are cut into the recorded
// frames.
func TestGoldenTranscripts(t *testing.T) {
	files, ok := loadGolden(t)
	if !ok {
		t.Skipf("golden transcripts not found at %s (expected the shared test data next to the module root)", goldenDir)
	}
	if len(files) == 0 {
		t.Fatalf("no JSON files in %s", goldenDir)
	}
	total, totalFields := 0, 0
	for _, f := range files {
		t.Run(filepath.Base(f.Path), func(t *testing.T) {
			frames, fields := checkGoldenFrames(t, f)
			checkGoldenStreams(t, f)
			if frames == 0 {
				t.Fatalf("no frames checked")
			}
			t.Logf("%d frames checked (%d field values)", frames, fields)
			total += frames
			totalFields += fields
		})
	}
	t.Logf("total: %d frames in %d files, %d field values", total, len(files), totalFields)
}

// checkGoldenFrames checks the frames one by one and returns how many frames
// and field values it checked.
func checkGoldenFrames(t *testing.T, f *goldenFile) (frames, fields int) {
	for _, fr := range f.Frames {
		what := fmt.Sprintf("seq %d (%s %s %s)", fr.Seq, fr.Channel, fr.Dir, fr.Kind)
		var got map[string]any
		var enc []byte
		var err error
		switch fr.Kind {
		case "eof":
			continue
		case "request":
			parts := splitRequests(t, fr.bytes)
			if len(parts) != 1 {
				t.Logf("%s: %d requests in one chunk", what, len(parts))
			}
			for _, p := range parts {
				req, err := DecodeRequest(p, f.shared(fr.Conn))
				if err != nil {
					t.Errorf("%s: decode: %v", what, err)
					continue
				}
				e, err := req.Encode()
				if err != nil {
					t.Errorf("%s: encode: %v", what, err)
				}
				enc = append(enc, e...)
				if len(parts) == 1 {
					got = requestFields(req)
				}
			}
		case "reply":
			rep, derr := DecodeReply(fr.bytes)
			if derr != nil {
				t.Errorf("%s: decode: %v", what, derr)
				continue
			}
			got = replyFields(rep)
			enc, err = rep.Encode()
		case "error_code":
			code, derr := DecodeErrorCode(fr.bytes)
			if derr != nil {
				t.Errorf("%s: decode: %v", what, derr)
				continue
			}
			got = map[string]any{"error": int64(code)}
			enc = AppendErrorCode(nil, code)
		case "property_reply":
			p, derr := DecodePropertyReply(fr.bytes)
			if derr != nil {
				t.Errorf("%s: decode: %v", what, derr)
				continue
			}
			got = propertyFields(p)
			enc, err = p.Encode()
		default:
			t.Errorf("%s: unknown frame kind %q", what, fr.Kind)
			continue
		}
		if err != nil {
			t.Errorf("%s: encode: %v", what, err)
		}
		if !bytes.Equal(enc, fr.bytes) {
			t.Errorf("%s: re-encoded\n  %x\nwant\n  %x", what, enc, fr.bytes)
		}
		if got != nil {
			fields += compareFields(t, what, fr, got)
		}
		frames++
	}
	return frames, fields
}

// splitRequests cuts one recorded chunk into request frames with a
// RequestStream, failing if anything is left over.
func splitRequests(t *testing.T, chunk []byte) [][]byte {
	t.Helper()
	var s RequestStream
	var out [][]byte
	for p := chunk; ; {
		n := s.Feed(p)
		p = p[n:]
		for {
			frame, err := s.Next()
			if errors.Is(err, ErrNeedMore) {
				break
			}
			if err != nil {
				t.Fatalf("framing: %v", err)
			}
			out = append(out, frame)
		}
		if len(p) == 0 {
			break
		}
	}
	if s.Buffered() != 0 {
		t.Errorf("%d bytes left after the last complete request", s.Buffered())
	}
	return out
}

// compareFields compares the decoded values with the frame's field lists. A
// recorded field the decoder does not produce, or a decoded field the
// recording does not list (unless it is an empty byte string), is an error.
func compareFields(t *testing.T, what string, fr goldenFrame, got map[string]any) int {
	t.Helper()
	n := 0
	seen := map[string]bool{}
	for _, fl := range append(append([]goldenField(nil), fr.Header...), fr.Body...) {
		// The recorded field must describe the frame's own bytes.
		if fl.Offset < 0 || fl.Offset+fl.Size > len(fr.bytes) || hex.EncodeToString(fr.bytes[fl.Offset:fl.Offset+fl.Size]) != fl.Hex {
			t.Errorf("%s: field %s: recorded hex does not match the frame at offset %d", what, fl.Name, fl.Offset)
		}
		seen[fl.Name] = true
		v, ok := got[fl.Name]
		if !ok {
			t.Errorf("%s: recorded field %q is not produced by the decoder", what, fl.Name)
			continue
		}
		if !sameValue(v, fl.Value) {
			t.Errorf("%s: field %s = %#v, recorded %#v", what, fl.Name, v, fl.Value)
			continue
		}
		n++
	}
	for name, v := range got {
		if seen[name] {
			continue
		}
		if b, ok := v.([]byte); ok && len(b) == 0 {
			continue
		}
		if len(fr.Header) == 0 && isHeaderField(name) {
			continue
		}
		t.Errorf("%s: decoded field %q = %#v is not in the recording", what, name, v)
	}
	return n
}

func isHeaderField(name string) bool {
	switch name {
	case "version", "datalen", "ipc_flags", "op", "client_context", "reg_index":
		return true
	}
	return false
}

// sameValue compares a decoded value (int64, string or []byte) with a JSON
// value (float64 or string; byte strings are recorded as hex).
func sameValue(got, want any) bool {
	switch g := got.(type) {
	case int64:
		w, ok := want.(float64)
		return ok && float64(g) == w
	case string:
		w, ok := want.(string)
		return ok && g == w
	case []byte:
		w, ok := want.(string)
		return ok && hex.EncodeToString(g) == w
	}
	return false
}

func headerFields(h Header) map[string]any {
	return map[string]any{
		"version":        int64(h.Version),
		"datalen":        int64(h.DataLen),
		"ipc_flags":      int64(h.IPCFlags),
		"op":             int64(h.Op),
		"client_context": hex.EncodeToString(h.Context[:]),
		"reg_index":      int64(h.RegIndex),
	}
}

func blobFields(m map[string]any, lenName, name string, b []byte) {
	m[lenName] = int64(len(b))
	m[name] = b
}

func requestFields(r Request) map[string]any {
	m := headerFields(r.Header)
	if r.HasErrReturn {
		m["error_return_path"] = r.ErrReturnPath
	}
	switch b := r.Body.(type) {
	case ConnectionRequest, CancelRequest:
	case RegisterRecordRequest:
		m["flags"], m["interfaceIndex"], m["fullname"] = int64(b.Flags), int64(b.InterfaceIndex), b.FullName
		m["rrtype"], m["rrclass"], m["ttl"] = int64(b.RRType), int64(b.RRClass), int64(b.TTL)
		blobFields(m, "rdlen", "rdata", b.RData)
	case RemoveRecordRequest:
		m["flags"] = int64(b.Flags)
	case EnumerationRequest:
		m["flags"], m["interfaceIndex"] = int64(b.Flags), int64(b.InterfaceIndex)
	case RegisterServiceRequest:
		m["flags"], m["interfaceIndex"] = int64(b.Flags), int64(b.InterfaceIndex)
		m["name"], m["regtype"], m["domain"], m["host"] = b.Name, b.RegType, b.Domain, b.Host
		m["port"] = int64(b.Port)
		blobFields(m, "txtlen", "txt", b.TXT)
	case BrowseRequest:
		m["flags"], m["interfaceIndex"] = int64(b.Flags), int64(b.InterfaceIndex)
		m["regtype"], m["domain"] = b.RegType, b.Domain
	case ResolveRequest:
		m["flags"], m["interfaceIndex"] = int64(b.Flags), int64(b.InterfaceIndex)
		m["name"], m["regtype"], m["domain"] = b.Name, b.RegType, b.Domain
	case QueryRequest:
		m["flags"], m["interfaceIndex"], m["fullname"] = int64(b.Flags), int64(b.InterfaceIndex), b.FullName
		m["rrtype"], m["rrclass"] = int64(b.RRType), int64(b.RRClass)
	case ReconfirmRecordRequest:
		m["flags"], m["interfaceIndex"], m["fullname"] = int64(b.Flags), int64(b.InterfaceIndex), b.FullName
		m["rrtype"], m["rrclass"] = int64(b.RRType), int64(b.RRClass)
		blobFields(m, "rdlen", "rdata", b.RData)
	case AddRecordRequest:
		m["flags"], m["rrtype"], m["ttl"] = int64(b.Flags), int64(b.RRType), int64(b.TTL)
		blobFields(m, "rdlen", "rdata", b.RData)
	case UpdateRecordRequest:
		m["flags"], m["ttl"] = int64(b.Flags), int64(b.TTL)
		blobFields(m, "rdlen", "rdata", b.RData)
	case GetPropertyRequest:
		m["property"] = b.Property
	case PortMappingRequest:
		m["flags"], m["interfaceIndex"], m["protocol"] = int64(b.Flags), int64(b.InterfaceIndex), int64(b.Protocol)
		m["internalPort"], m["externalPort"], m["ttl"] = int64(b.InternalPort), int64(b.ExternalPort), int64(b.TTL)
	case AddrInfoRequest:
		m["flags"], m["interfaceIndex"], m["protocol"] = int64(b.Flags), int64(b.InterfaceIndex), int64(b.Protocol)
		m["hostname"] = b.Hostname
	default:
		panic(fmt.Sprintf("requestFields: unhandled body %T", b))
	}
	return m
}

func replyFields(r Reply) map[string]any {
	m := headerFields(r.Header)
	c := r.Body.Common()
	m["flags"], m["interfaceIndex"], m["error"] = int64(c.Flags), int64(c.InterfaceIndex), int64(c.Error)
	switch b := r.Body.(type) {
	case EnumerationReply:
		m["domain"] = b.Domain
	case RegisterServiceReply:
		m["name"], m["regtype"], m["domain"] = b.Name, b.RegType, b.Domain
	case BrowseReply:
		m["name"], m["regtype"], m["domain"] = b.Name, b.RegType, b.Domain
	case ResolveReply:
		m["fullname"], m["hosttarget"], m["port"] = b.FullName, b.HostTarget, int64(b.Port)
		blobFields(m, "txtlen", "txt", b.TXT)
	case QueryReply:
		// The transcripts call the query reply's fullname "name".
		m["name"], m["rrtype"], m["rrclass"], m["ttl"] = b.FullName, int64(b.RRType), int64(b.RRClass), int64(b.TTL)
		blobFields(m, "rdlen", "rdata", b.RData)
	case RegisterRecordReply:
	case PortMappingReply:
		m["externalAddress"] = b.ExternalAddress[:]
		m["protocol"], m["internalPort"], m["externalPort"], m["ttl"] = int64(b.Protocol), int64(b.InternalPort), int64(b.ExternalPort), int64(b.TTL)
	case AddrInfoReply:
		m["hostname"], m["rrtype"], m["rrclass"], m["ttl"] = b.Hostname, int64(b.RRType), int64(b.RRClass), int64(b.TTL)
		blobFields(m, "rdlen", "rdata", b.RData)
	case AsyncErrorReply:
		m["name"], m["target"], m["port"] = b.Name, b.Target, int64(b.Port)
		blobFields(m, "txtlen", "txt", b.TXT)
	default:
		panic(fmt.Sprintf("replyFields: unhandled body %T", b))
	}
	return m
}

func propertyFields(p PropertyReply) map[string]any {
	m := map[string]any{"error": int64(p.Error), "length": int64(len(p.Value))}
	if v, ok := p.Uint32(); ok {
		m["value"] = int64(v)
	} else {
		m["value"] = p.Value
	}
	return m
}

// streamItem is one expected item of a replayed byte stream.
type streamItem struct {
	seq  int
	kind string
	b    []byte
}

// checkGoldenStreams replays, per connection, the concatenated client→daemon
// main stream through RequestStream and the daemon→client main stream
// through ClientStream, in several chunkings, and checks that both are cut
// into exactly the recorded frames. Requests written together (such as the
// two queued reg_record_requests of register_record_queued.json) arrive in
// one chunk when the chunk size allows it.
func checkGoldenStreams(t *testing.T, f *goldenFile) {
	c2s := map[int][]streamItem{}
	s2c := map[int][]streamItem{}
	for _, fr := range f.Frames {
		if fr.Channel != "main" || fr.Kind == "eof" {
			continue
		}
		it := streamItem{fr.Seq, fr.Kind, fr.bytes}
		if fr.Dir == "c2s" {
			c2s[fr.Conn] = append(c2s[fr.Conn], it)
		} else {
			s2c[fr.Conn] = append(s2c[fr.Conn], it)
		}
	}
	for _, chunk := range []int{1, 3, 27, 64, 1 << 20} {
		for conn, items := range c2s {
			replayRequests(t, fmt.Sprintf("conn %d c2s chunk %d", conn, chunk), items, chunk)
		}
		for conn, items := range s2c {
			replayClient(t, fmt.Sprintf("conn %d s2c chunk %d", conn, chunk), items, chunk)
		}
	}
}

func concatItems(items []streamItem) []byte {
	var all []byte
	for _, it := range items {
		all = append(all, it.b...)
	}
	return all
}

func replayRequests(t *testing.T, what string, items []streamItem, chunk int) {
	t.Helper()
	in := concatItems(items)
	var s RequestStream
	i := 0
	for len(in) > 0 || s.Buffered() > 0 {
		n := s.Feed(in[:min(chunk, len(in))])
		in = in[n:]
		for {
			frame, err := s.Next()
			if errors.Is(err, ErrNeedMore) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if i >= len(items) || !bytes.Equal(frame, items[i].b) {
				t.Fatalf("%s: frame %d = %x, want recorded frame", what, i, frame)
			}
			i++
		}
		if len(in) == 0 && s.Buffered() > 0 {
			t.Fatalf("%s: %d bytes left over", what, s.Buffered())
		}
	}
	if i != len(items) {
		t.Fatalf("%s: got %d frames, want %d", what, i, len(items))
	}
}

func replayClient(t *testing.T, what string, items []streamItem, chunk int) {
	t.Helper()
	in := concatItems(items)
	var s ClientStream
	for i, want := range items {
		if want.kind == "property_reply" {
			s.ExpectProperty()
		}
		for {
			item, err := s.Next()
			if errors.Is(err, ErrNeedMore) {
				if len(in) == 0 {
					t.Fatalf("%s: input ended before item %d (seq %d)", what, i, want.seq)
				}
				n := s.Feed(in[:min(chunk, len(in))])
				in = in[n:]
				continue
			}
			if err != nil {
				t.Fatalf("%s: item %d (seq %d): %v", what, i, want.seq, err)
			}
			wantKind := map[string]ItemKind{"error_code": ItemErrorCode, "reply": ItemReply, "property_reply": ItemProperty}[want.kind]
			if item.Kind != wantKind || !bytes.Equal(item.Raw, want.b) {
				t.Fatalf("%s: item %d (seq %d) = kind %d %x, want %s %x", what, i, want.seq, item.Kind, item.Raw, want.kind, want.b)
			}
			break
		}
	}
	if len(in) != 0 || s.Buffered() != 0 {
		t.Fatalf("%s: %d bytes unfed, %d buffered after the last item", what, len(in), s.Buffered())
	}
}
