//go:build linux

package netnstest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Avahi is an avahi-daemon running in a host namespace with its own system
// D-Bus (see ../shared/LAB-NOTES.md): a private mount namespace gives it its
// own /run/dbus, /run/avahi-daemon and /etc/avahi/services.
type Avahi struct {
	Host *Host
	Proc *Proc
	dir  string
}

// RequireAvahi skips the test unless avahi-daemon, avahi-utils and
// dbus-daemon are installed.
func RequireAvahi(t interface {
	Helper()
	Skip(...any)
}) {
	t.Helper()
	for _, c := range []string{"avahi-daemon", "avahi-browse", "avahi-publish", "avahi-resolve", "dbus-daemon", "unshare"} {
		if _, err := exec.LookPath(c); err != nil {
			t.Skip(c + " is not installed (the README's test command installs it)")
		}
	}
}

// StartAvahi starts avahi-daemon on h with the given host name, limited to
// eth0, and waits until it has started.
func (h *Host) StartAvahi(hostName string) *Avahi {
	t := h.lan.t
	t.Helper()
	RequireAvahi(t)
	if out, _ := exec.Command("pgrep", "-x", "avahi-daemon").Output(); len(out) > 0 {
		// Only ours may run: one in the machine's namespace would be the
		// real network's (LAB-NOTES.md). Ours are all inside namespaces,
		// which pgrep cannot tell apart, so check each.
		for _, pid := range strings.Fields(string(out)) {
			self, _ := os.Readlink("/proc/self/ns/net")
			theirs, _ := os.Readlink("/proc/" + pid + "/ns/net")
			if theirs != "" && theirs == self {
				t.Fatalf("an avahi-daemon (pid %s) runs in the machine's own network namespace; stop it first", pid)
			}
		}
	}
	dir := filepath.Join(t.TempDir(), "avahi-"+h.Name)
	for _, d := range []string{"dbus", "avahi", "services"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	_ = os.Chmod(dir, 0o755)
	conf := fmt.Sprintf(`[server]
host-name=%s
use-ipv4=yes
use-ipv6=yes
allow-interfaces=eth0
ratelimit-interval-usec=0
ratelimit-burst=0
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
[reflector]
enable-reflector=no
`, hostName)
	confPath := filepath.Join(dir, "avahi-daemon.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf(`set -e
mount --bind %[1]s/dbus /run/dbus
mkdir -p /run/avahi-daemon
mount --bind %[1]s/avahi /run/avahi-daemon
mount --bind %[1]s/services /etc/avahi/services
dbus-daemon --system --nofork --nopidfile --address=unix:path=/run/dbus/system_bus_socket &
for i in $(seq 100); do [ -S /run/dbus/system_bus_socket ] && break; sleep 0.05; done
# Restarted when it exits, so tests can restart it under its clients
# (Avahi.Restart); the whole process group goes when the test ends.
while :; do
  avahi-daemon -f %[2]s --no-chroot --no-rlimits --no-drop-root --debug || true
  echo "avahi-daemon exited; starting it again"
  sleep 0.2
done
`, dir, confPath)
	_ = os.MkdirAll("/run/dbus", 0o755)
	p := h.Start("unshare", "--mount", "--propagation", "private", "sh", "-c", script)
	a := &Avahi{Host: h, Proc: p, dir: dir}
	if !p.WaitFor("Server startup complete", 15*time.Second) {
		t.Fatalf("avahi-daemon on %s did not start:\n%s", h.Name, p.Output())
	}
	return a
}

// Env returns the environment for avahi clients talking to this daemon.
func (a *Avahi) Env() []string {
	return []string{"DBUS_SYSTEM_BUS_ADDRESS=" + a.BusAddress()}
}

// Client starts an avahi client program (avahi-browse, avahi-publish…) on
// the daemon's host.
func (a *Avahi) Client(name string, args ...string) *Proc {
	return a.Host.Start("env", append(append(a.Env(), name), args...)...)
}

// Restart stops avahi-daemon (SIGTERM) while its D-Bus stays up, as a
// package upgrade or an administrator would, and waits until it has
// started again.
func (a *Avahi) Restart() {
	t := a.Host.lan.t
	t.Helper()
	before := strings.Count(a.Proc.Output(), "Server startup complete")
	pid := a.Proc.Cmd.Process.Pid
	children, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		t.Fatalf("finding avahi-daemon under pid %d: %v", pid, err)
	}
	killed := false
	for _, c := range strings.Fields(string(children)) {
		comm, _ := os.ReadFile("/proc/" + c + "/comm")
		if strings.TrimSpace(string(comm)) == "avahi-daemon" {
			n, _ := strconv.Atoi(c)
			_ = syscall.Kill(n, syscall.SIGTERM)
			killed = true
		}
	}
	if !killed {
		t.Fatalf("no avahi-daemon process under pid %d", pid)
	}
	deadline := time.Now().Add(15 * time.Second)
	for strings.Count(a.Proc.Output(), "Server startup complete") <= before {
		if time.Now().After(deadline) {
			t.Fatalf("avahi-daemon on %s did not start again:\n%s", a.Host.Name, a.Proc.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// BusAddress is the address of the daemon's system bus.
func (a *Avahi) BusAddress() string {
	return "unix:path=" + filepath.Join(a.dir, "dbus", "system_bus_socket")
}
