package netmon

import (
	"errors"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestUnknownInterfaceIsAClearError(t *testing.T) {
	_, err := New(Config{Interfaces: []string{"nosuchif0"}})
	var ue *UnknownInterfaceError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), `no network interface named "nosuchif0"`) {
		t.Fatalf("error %v", err)
	}
}

// Reading interfaces sends nothing; pinning to lo (which is otherwise left
// out, having no multicast) shows it with its addresses.
func TestPinnedLoopbackIsReported(t *testing.T) {
	m, err := New(Config{Interfaces: []string{"lo"}})
	if err != nil {
		t.Skipf("no lo here: %v", err)
	}
	defer m.Close()
	links := m.Links()
	if len(links) != 1 || links[0].Name != "lo" || len(links[0].Addrs) == 0 {
		t.Fatalf("links %+v", links)
	}
	for _, p := range links[0].Addrs {
		if !p.Addr().IsLoopback() {
			t.Errorf("lo address %v", p)
		}
	}
}
