package mdnsclient

import (
	"context"
	"sync"

	"github.com/rendezvous-mdns/rendezvous/internal/ipc"
)

// Service is what Register publishes (names raw, as in the C API).
type Service struct {
	Name    string // instance name; "" lets the daemon choose
	RegType string // "_http._tcp" or with subtypes "_http._tcp,_printer"
	Domain  string // "" or "local."
	Host    string // "" for the daemon's host
	Port    uint16
	TXT     []string // raw strings
}

// registration is a reg_service_request sub-operation.
// Registration is a running reg_service_request.
type Registration struct {
	b     *Backend
	key   [8]byte
	label string // for errors: the instance as requested

	established chan regResult // the first reply, once

	renamed chan string // never replaced; closed by endLocked

	mu            sync.Mutex
	name          string
	up            bool // established
	ended         bool
	closedRenamed bool
}

type regResult struct {
	name string
	err  error
}

// Register sends reg_service_request and waits for the first
// reg_service_reply, which the daemon sends once the name is established
// (after probing and any renaming). A name the daemon renames later is
// delivered on Renamed.
func (b *Backend) Register(ctx context.Context, svc Service) (*Registration, error) {
	r := &Registration{b: b, label: svc.Name + "." + svc.RegType, established: make(chan regResult, 1), renamed: make(chan string, 1)}
	key, err := b.add(r)
	if err != nil {
		return nil, err
	}
	r.key = key
	code, err := b.request(ctx, ipc.Header{Context: key}, ipc.RegisterServiceRequest{
		Flags: ipc.FlagShareConnection, Name: svc.Name, RegType: svc.RegType, Domain: svc.Domain,
		Host: svc.Host, Port: svc.Port, TXT: txtWire(svc.TXT, false),
	})
	if err == nil {
		err = daemonErr("register", r.label, code)
	}
	if err != nil {
		r.abandon(code == ipc.NoError)
		return nil, err
	}
	select {
	case res := <-r.established:
		if res.err != nil {
			r.abandon(true)
			return nil, res.err
		}
		return r, nil
	case <-ctx.Done():
		r.abandon(true)
		return nil, ctx.Err()
	case <-b.done:
		b.mu.Lock()
		err := b.err
		b.mu.Unlock()
		return nil, err
	}
}

// abandon forgets a registration that never became established; cancel
// says whether the daemon may hold it (its request may have been taken).
func (r *Registration) abandon(cancel bool) {
	if r.b.remove(r.key) && cancel {
		r.b.cancel(r.key)
	}
	r.finish()
}

// reply handles a reg_service_reply (in the reader goroutine).
func (r *Registration) reply(rep ipc.Reply) {
	body, ok := rep.Body.(ipc.RegisterServiceReply)
	if !ok {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return
	}
	if !r.up {
		if body.Error != ipc.NoError {
			// NameConflict with kDNSServiceFlagsNoAutoRename, or a
			// failure after the error code.
			r.established <- regResult{err: daemonErr("register", r.label, body.Error)}
			r.endLocked()
			return
		}
		r.up, r.name = true, body.Name
		r.established <- regResult{name: body.Name}
		return
	}
	if body.Error != ipc.NoError {
		// The daemon gave the name up (a later conflict it did not
		// resolve by renaming): the registration has ended.
		r.b.log.Debug("mdnsresponder: registration ended by the daemon", "name", r.name, "err", daemonErr("register", r.label, body.Error))
		r.endLocked()
		return
	}
	if body.Name != r.name {
		r.name = body.Name
		select {
		case <-r.renamed: // keep only the newest name
		default:
		}
		r.renamed <- body.Name
	}
}

// end is called when the connection ends.
func (r *Registration) end(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.up && !r.ended {
		r.established <- regResult{err: err}
	}
	r.endLocked()
}

// endLocked marks the registration ended and closes Renamed, once.
func (r *Registration) endLocked() {
	r.ended = true
	if !r.closedRenamed {
		r.closedRenamed = true
		close(r.renamed)
	}
}

func (r *Registration) finish() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.endLocked()
}

// Name is the registered name.
func (r *Registration) Name() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.name
}

// Renamed delivers the new name after a
// later conflict; closed when the registration ends.
func (r *Registration) Renamed() <-chan string { return r.renamed }

// UpdateTXT sends update_record_request for the primary TXT record
// (reg_index 0xFFFFFFFF) and returns the daemon's error code.
func (r *Registration) UpdateTXT(ctx context.Context, txt []string) error {
	r.mu.Lock()
	ended := r.ended
	r.mu.Unlock()
	if ended {
		return ErrClosed
	}
	code, err := r.b.request(ctx, ipc.Header{Context: r.key, RegIndex: ipc.RegIndexPrimaryTXT},
		ipc.UpdateRecordRequest{RData: txtWire(txt, true)})
	if err != nil {
		return err
	}
	return daemonErr("update TXT", r.label, code)
}

// Close sends cancel_request; the daemon withdraws the service with
// goodbyes. The protocol has no acknowledgement, so Close does not wait
// for them.
func (r *Registration) Close(ctx context.Context) error {
	if r.b.remove(r.key) {
		r.b.cancel(r.key)
	}
	r.finish()
	return nil
}

// txtWire is a TXT record's rdata. An empty TXT is sent as no bytes in a
// registration, as libdns_sd does, and as one empty string (the valid
// rdata, RFC 6763 §6.1) in an update.
func txtWire(t []string, update bool) []byte {
	var b []byte
	for _, s := range t {
		b = append(b, byte(len(s)))
		b = append(b, s...)
	}
	if len(b) == 0 && update {
		return []byte{0}
	}
	return b
}
