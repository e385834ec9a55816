package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rendezvous-mdns/rendezvous/dnssd"
	"github.com/rendezvous-mdns/rendezvous/dnssd/mdnsresponder"
	"github.com/rendezvous-mdns/rendezvous/internal/daemon"
	"github.com/rendezvous-mdns/rendezvous/internal/daemon/daemontest"
)

// syncBuffer is a bytes.Buffer safe for a writer and a poller.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fakeDaemonBackend makes `rendezvous daemon` serve an in-memory fake
// instead of the embedded responder: these tests send nothing on a network.
func fakeDaemonBackend(t *testing.T) *daemontest.Backend {
	fake := daemontest.New()
	old := newDaemonBackend
	newDaemonBackend = func(dnssd.EmbeddedConfig) (dnssd.Backend, error) { return fake, nil }
	t.Cleanup(func() { newDaemonBackend = old })
	return fake
}

// socketPath is a short path in a fresh temp dir (socket paths are limited
// to 108 bytes).
func socketPath(t *testing.T) string {
	dir, err := os.MkdirTemp("", "rdvc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "mDNSResponder")
}

type daemonRun struct {
	cancel context.CancelFunc
	code   chan int
	stdout *syncBuffer
	stderr *syncBuffer
}

func startDaemon(t *testing.T, args ...string) *daemonRun {
	ctx, cancel := context.WithCancel(context.Background())
	r := &daemonRun{cancel: cancel, code: make(chan int, 1), stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	go func() { r.code <- Run(ctx, append([]string{"daemon"}, args...), r.stdout, r.stderr) }()
	t.Cleanup(func() {
		cancel()
		<-r.code
	})
	return r
}

// waitReady waits for the ready line.
func (r *daemonRun) waitReady(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(r.stdout.String(), want) {
			return
		}
		select {
		case code := <-r.code:
			t.Fatalf("daemon exited %d before it was ready: %s", code, r.stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("no ready line; stdout %q stderr %q", r.stdout.String(), r.stderr.String())
}

// TestDaemonServesAndStops: the daemon prints its ready line, creates the
// socket with mode 0666, serves a client of the mdnsresponder backend,
// and on the signal (context end) withdraws the client's registration,
// removes the socket and exits 0.
func TestDaemonServesAndStops(t *testing.T) {
	fake := fakeDaemonBackend(t)
	path := socketPath(t)
	r := startDaemon(t, "--socket", path, "--json", "--max-clients", "8")
	r.waitReady(t, "ready")
	var ev map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(r.stdout.String())), &ev); err != nil || ev["event"] != "ready" || ev["socket"] != path {
		t.Fatalf("ready line %q: %v", r.stdout.String(), err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o666 || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("socket %v, %v", fi.Mode(), err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := mdnsresponder.Available(ctx, path); err != nil {
		t.Fatal(err)
	}
	b, err := mdnsresponder.New(ctx, mdnsresponder.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	reg, err := b.Register(ctx, dnssd.Service{Name: "Via Daemon", Type: "_http._tcp", Port: 8080})
	if err != nil || reg.Name() != "Via Daemon" {
		t.Fatalf("register: %v", err)
	}

	r.cancel()
	if code := <-r.code; code != 0 {
		t.Fatalf("exit %d: %s", code, r.stderr.String())
	}
	r.code <- 0 // for the cleanup
	if n := fake.Snapshot().Active(); n != 0 {
		t.Fatalf("%d registrations left after the daemon stopped", n)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("socket left behind: %v", err)
	}
}

// TestDaemonHumanReadyLine: without --json the ready line is one sentence.
func TestDaemonHumanReadyLine(t *testing.T) {
	fakeDaemonBackend(t)
	path := socketPath(t)
	r := startDaemon(t, "--socket", path)
	r.waitReady(t, "rendezvous daemon: serving the mDNSResponder protocol on "+path+"\n")
}

// TestDaemonRefusesWhenAnotherAnswers: another daemon on the socket makes
// `rendezvous daemon` exit 1 naming it, and leaves that daemon alone.
func TestDaemonRefusesWhenAnotherAnswers(t *testing.T) {
	fakeDaemonBackend(t)
	path := socketPath(t)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	other := &daemon.Server{Backend: daemontest.New()}
	done := make(chan error, 1)
	go func() { done <- other.Serve(context.Background(), ln) }()
	defer func() { other.Close(); <-done }()

	code, _, stderr := run("daemon", "--socket", path)
	if code != 1 || !strings.Contains(stderr, "another daemon already serves the mDNSResponder protocol on "+path) || !strings.Contains(stderr, "1661.0.0") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if err := mdnsresponder.Available(context.Background(), path); err != nil {
		t.Fatalf("the other daemon was disturbed: %v", err)
	}

	// Something that is not a daemon is refused too.
	plain := socketPath(t)
	pl, err := net.Listen("unix", plain)
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close()
	go func() {
		for {
			c, err := pl.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	if code, _, stderr := run("daemon", "--socket", plain); code != 1 || !strings.Contains(stderr, "something already listens on") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// TestDaemonRemovesStaleSocket: a socket file nobody listens on (left by a
// daemon that crashed) is removed and replaced.
func TestDaemonRemovesStaleSocket(t *testing.T) {
	fakeDaemonBackend(t)
	path := socketPath(t)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Fatal(err)
	}
	r := startDaemon(t, "--socket", path)
	r.waitReady(t, "serving")
	if !strings.Contains(r.stderr.String(), "removed a stale socket") {
		t.Errorf("stderr %q", r.stderr.String())
	}
	if err := mdnsresponder.Available(context.Background(), path); err != nil {
		t.Fatal(err)
	}
}

// TestDaemonRefusesNonSocket: a regular file at the path is not touched.
func TestDaemonRefusesNonSocket(t *testing.T) {
	fakeDaemonBackend(t)
	path := socketPath(t)
	if err := os.WriteFile(path, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run("daemon", "--socket", path)
	if code != 1 || !strings.Contains(stderr, "exists and is not a socket") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if b, _ := os.ReadFile(path); string(b) != "keep me" {
		t.Fatal("the file was changed")
	}
}

func TestDaemonUsageErrors(t *testing.T) {
	fakeDaemonBackend(t)
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"daemon", "extra"}, `rendezvous daemon: unexpected argument "extra" (see 'rendezvous daemon -h')`},
		{[]string{"daemon", "--max-clients", "0"}, "rendezvous daemon: --max-clients 0: must be at least 1 (see 'rendezvous daemon -h')"},
		{[]string{"daemon", "--socket", ""}, "rendezvous daemon: --socket: must not be empty (see 'rendezvous daemon -h')"},
		{[]string{"daemon", "--interface", "nosuch0"}, "rendezvous daemon: --interface nosuch0: no such network interface (see `ip link`) (see 'rendezvous daemon -h')"},
	} {
		code, _, stderr := run(tc.args...)
		if code != 2 || strings.TrimSpace(stderr) != tc.msg {
			t.Errorf("%q: exit %d, stderr %q\n want exit 2, %q", tc.args, code, stderr, tc.msg)
		}
	}
	if code, out, _ := run("daemon", "-h"); code != 0 || !strings.Contains(out, "-socket") || !strings.Contains(out, "/var/run/mDNSResponder") {
		t.Fatalf("daemon -h: %d %q", code, out)
	}
}
