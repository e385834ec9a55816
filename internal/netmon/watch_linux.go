//go:build linux

package netmon

import (
	"github.com/vishvananda/netlink"
)

// watch subscribes to netlink link and address events; each one makes the
// monitor re-read the interfaces.
func (m *Monitor) watch() bool {
	links := make(chan netlink.LinkUpdate, 16)
	addrs := make(chan netlink.AddrUpdate, 16)
	done := make(chan struct{})
	if err := netlink.LinkSubscribe(links, done); err != nil {
		m.log.Debug("rendezvous: netlink link events unavailable; polling", "err", err)
		close(done)
		return false
	}
	if err := netlink.AddrSubscribe(addrs, done); err != nil {
		m.log.Debug("rendezvous: netlink address events unavailable; polling", "err", err)
		close(done)
		return false
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer close(done)
		for {
			select {
			case <-m.quit:
				return
			case _, ok := <-links:
				if !ok {
					return
				}
				m.changed()
			case _, ok := <-addrs:
				if !ok {
					return
				}
				m.changed()
			}
		}
	}()
	return true
}
