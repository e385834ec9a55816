//go:build !linux

package netmon

// watch has no event source here; the monitor polls.
func (m *Monitor) watch() bool {
	m.log.Debug("rendezvous: interface monitor polling", "reason", errNoWatch)
	return false
}
