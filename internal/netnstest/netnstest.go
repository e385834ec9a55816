//go:build linux

// Package netnstest builds throw-away LANs out of Linux network namespaces
// for interop tests: a bridge in its own namespace and one namespace per
// host, joined by veth pairs, so that nothing a test starts ever touches the
// machine's real interfaces. It fails closed: processes are started only
// with `ip netns exec` into a namespace this package created, and code that
// must run inside one checks that it does (InTestNamespace).
package netnstest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// EnvNamespace names the test namespace a child process runs in.
const EnvNamespace = "RENDEZVOUS_TEST_NETNS"

// Require skips the test unless it can build namespaces: root, Linux, and
// the ip command.
func Require(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("network-namespace tests need root (run the README's test command as root)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("network-namespace tests need the ip command (iproute2)")
	}
	if _, err := os.Stat("/proc/self/ns/net"); err != nil {
		t.Skip("network namespaces are not available here")
	}
}

// LAN is a bridged segment of hosts.
type LAN struct {
	t      testing.TB
	id     string
	Switch string
	Hosts  []*Host
	Subnet int // the third octet... of 10.S.0.0/24 and fdS::/64

	mu    sync.Mutex
	procs []*Proc
}

// Host is one namespace on the LAN with interface eth0.
type Host struct {
	lan   *LAN
	Name  string // short name, "h1"
	NS    string // namespace name
	Index int
	V4    netip.Addr
	V6    netip.Addr // ULA
	LL    netip.Addr // IPv6 link-local
}

// NewLAN creates n hosts on one bridge. Everything is removed when the test
// ends.
func NewLAN(t testing.TB, n int) *LAN {
	t.Helper()
	Require(t)
	var b [3]byte
	_, _ = rand.Read(b[:])
	id := "rzv" + hex.EncodeToString(b[:])
	lan := &LAN{t: t, id: id, Switch: id + "-sw", Subnet: 90 + int(b[0])%100}
	t.Cleanup(lan.destroy)
	lan.ip("netns", "add", lan.Switch)
	lan.ipn(lan.Switch, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0", "stp_state", "0", "forward_delay", "0")
	lan.ipn(lan.Switch, "link", "set", "br0", "up")
	for i := 1; i <= n; i++ {
		lan.AddHost()
	}
	for _, h := range lan.Hosts {
		h.waitLinkLocal()
	}
	return lan
}

// AddHost adds one more host to the LAN.
func (lan *LAN) AddHost() *Host {
	i := len(lan.Hosts) + 1
	h := &Host{lan: lan, Name: fmt.Sprintf("h%d", i), NS: fmt.Sprintf("%s-h%d", lan.id, i), Index: i,
		V4: netip.MustParseAddr(fmt.Sprintf("10.%d.0.%d", lan.Subnet, i)),
		V6: netip.MustParseAddr(fmt.Sprintf("fd%02x::%d", lan.Subnet, i))}
	lan.ip("netns", "add", h.NS)
	veth := fmt.Sprintf("v%d", i)
	lan.ipn(lan.Switch, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", h.NS)
	lan.ipn(lan.Switch, "link", "set", veth, "master", "br0", "up")
	for _, s := range []string{
		"net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
		"net.ipv6.conf.eth0.accept_dad=0", "net.ipv6.conf.eth0.router_solicitations=0",
	} {
		lan.run("ip", "netns", "exec", h.NS, "sysctl", "-q", "-w", s)
	}
	lan.ipn(h.NS, "link", "set", "lo", "up")
	lan.ipn(h.NS, "link", "set", "eth0", "address", fmt.Sprintf("02:72:7a:%02x:00:%02x", lan.Subnet, i), "multicast", "on", "up")
	lan.ipn(h.NS, "addr", "add", h.V4.String()+"/24", "dev", "eth0")
	lan.ipn(h.NS, "addr", "add", h.V6.String()+"/64", "dev", "eth0", "nodad")
	lan.ipn(h.NS, "route", "add", "224.0.0.0/4", "dev", "eth0")
	lan.Hosts = append(lan.Hosts, h)
	return h
}

func (h *Host) waitLinkLocal() {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		out, _ := exec.Command("ip", "-n", h.NS, "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link").Output()
		if f := strings.Fields(string(out)); len(f) >= 4 {
			if p, err := netip.ParsePrefix(f[3]); err == nil && !strings.Contains(string(out), "tentative") {
				h.LL = p.Addr()
				return
			}
		}
	}
	h.lan.t.Fatalf("host %s: no IPv6 link-local address after 5 s", h.Name)
}

func (lan *LAN) ip(args ...string)             { lan.run("ip", args...) }
func (lan *LAN) ipn(ns string, args ...string) { lan.run("ip", append([]string{"-n", ns}, args...)...) }
func (lan *LAN) run(name string, args ...string) {
	lan.t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		lan.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// IP runs an ip(8) command inside the host's namespace (e.g. "addr", "add", …).
func (h *Host) IP(args ...string) {
	h.lan.t.Helper()
	h.lan.ipn(h.NS, args...)
}

// Command returns a command that runs inside the host's namespace, with
// EnvNamespace set so that the child can check where it is.
func (h *Host) Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	// Each host gets its own UTS namespace and host name (h1, h2…), as
	// separate machines would have.
	wrapped := append([]string{"netns", "exec", h.NS, "unshare", "--uts", "sh", "-c", `hostname "$0" && exec "$@"`, h.Name, name}, args...)
	cmd := exec.CommandContext(ctx, "ip", wrapped...)
	cmd.Env = append(os.Environ(), EnvNamespace+"="+h.NS)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	return cmd
}

// Proc is a process started in a host namespace; it is killed (by PID)
// when the test ends.
type Proc struct {
	Cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
	err  error
}

type lockedWriter struct{ p *Proc }

func (w lockedWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	return w.p.out.Write(b)
}

// Start starts a long-running process in the host's namespace; its stdout
// and stderr are collected.
func (h *Host) Start(name string, args ...string) *Proc {
	h.lan.t.Helper()
	cmd := h.Command(context.Background(), name, args...)
	p := &Proc{Cmd: cmd, done: make(chan struct{})}
	cmd.Stdout = lockedWriter{p}
	cmd.Stderr = lockedWriter{p}
	if err := cmd.Start(); err != nil {
		h.lan.t.Fatalf("start %s in %s: %v", name, h.Name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	h.lan.mu.Lock()
	h.lan.procs = append(h.lan.procs, p)
	h.lan.mu.Unlock()
	return p
}

// Output returns what the process wrote so far.
func (p *Proc) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// WaitFor polls the process output until it contains s or the timeout
// passes; it returns whether s appeared.
func (p *Proc) WaitFor(s string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if strings.Contains(p.Output(), s) {
			return true
		}
		select {
		case <-p.done:
			return strings.Contains(p.Output(), s)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return false
}

// Signal sends sig to the process group.
func (p *Proc) Signal(sig syscall.Signal) {
	if p.Cmd.Process != nil {
		_ = syscall.Kill(-p.Cmd.Process.Pid, sig)
	}
}

// Wait waits for the process to exit, up to timeout, and returns its error
// (nil for exit status 0).
func (p *Proc) Wait(timeout time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		return errors.New("process did not exit in time")
	}
}

// Done reports whether the process has exited.
func (p *Proc) Done() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (lan *LAN) destroy() {
	lan.mu.Lock()
	procs := lan.procs
	lan.mu.Unlock()
	for _, p := range procs {
		if !p.Done() {
			p.Signal(syscall.SIGKILL)
			_ = p.Wait(5 * time.Second)
		}
	}
	for _, h := range lan.Hosts {
		_ = exec.Command("ip", "netns", "del", h.NS).Run()
	}
	_ = exec.Command("ip", "netns", "del", lan.Switch).Run()
}

// InTestNamespace reports whether this process runs inside the namespace
// named by EnvNamespace, and that this is not the machine's own namespace.
// Code that is about to open mDNS sockets in a test calls it and refuses to
// go on otherwise.
func InTestNamespace() error {
	name := os.Getenv(EnvNamespace)
	if name == "" {
		return errors.New(EnvNamespace + " is not set: not started in a test namespace")
	}
	var self, want, init syscall.Stat_t
	if err := syscall.Stat("/proc/self/ns/net", &self); err != nil {
		return err
	}
	if err := syscall.Stat("/run/netns/"+name, &want); err != nil {
		return fmt.Errorf("test namespace %s: %w", name, err)
	}
	if self.Ino != want.Ino || self.Dev != want.Dev {
		return fmt.Errorf("not inside test namespace %s", name)
	}
	if err := syscall.Stat("/proc/1/ns/net", &init); err == nil && init.Ino == self.Ino {
		return errors.New("inside the machine's own network namespace")
	}
	return nil
}
