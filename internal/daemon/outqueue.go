package daemon

import (
	"sync"

	"github.com/rendezvous-mdns/rendezvous/internal/ipc"
)

// outItem is one encoded answer on the main socket: a bare error code, a
// getproperty answer or a reply frame.
type outItem struct {
	b     []byte
	reply bool // a reply frame with a header (MoreComing may be set on it)
}

// outQueue holds the answers waiting for a connection's writer. It is
// bounded: push fails once max bytes wait, and the session then drops the
// client instead of growing without limit. Items taken by the writer no
// longer count, so at most max bytes wait plus one batch being written.
type outQueue struct {
	mu     sync.Mutex
	items  []outItem
	size   int
	max    int
	closed bool
	wake   chan struct{}
}

func newOutQueue(max int) *outQueue {
	return &outQueue{max: max, wake: make(chan struct{}, 1)}
}

// push appends it. It returns false, dropping it, when the queue is closed
// or would exceed its bound.
func (q *outQueue) push(it outItem) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || q.size+len(it.b) > q.max {
		return false
	}
	q.items = append(q.items, it)
	q.size += len(it.b)
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return true
}

// take waits for items and returns all of them; ok is false once the queue
// is closed and empty.
func (q *outQueue) take() (items []outItem, ok bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			items, q.items, q.size = q.items, nil, 0
			q.mu.Unlock()
			return items, true
		}
		if q.closed {
			q.mu.Unlock()
			return nil, false
		}
		q.mu.Unlock()
		<-q.wake
	}
}

// close makes push fail; take returns what is left, then ok false.
func (q *outQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// batch concatenates items for one write. Every reply frame followed by
// another reply in the batch gets MoreComing (0x1) in its flags word, the
// first body word (README "Reply bodies", Flags: "the daemon sets it when
// it still has another reply queued for the same connection").
func batch(dst []byte, items []outItem) []byte {
	last := -1
	for i, it := range items {
		if it.reply {
			last = i
		}
	}
	for i, it := range items {
		start := len(dst)
		dst = append(dst, it.b...)
		if it.reply && i < last && len(it.b) >= ipc.HeaderLen+4 {
			dst[start+ipc.HeaderLen+3] |= byte(ipc.FlagMoreComing)
		}
	}
	return dst
}
