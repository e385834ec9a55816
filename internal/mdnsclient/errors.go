package mdnsclient

import (
	"errors"
	"fmt"

	"github.com/rendezvous-mdns/rendezvous/internal/ipc"
)

// Errors that errors.Is finds in this package's errors.
var (
	// ErrNotRunning: no daemon answers on the socket (see
	// NotRunningError), or the daemon said kDNSServiceErr_ServiceNotRunning.
	ErrNotRunning = errors.New("mdnsresponder: no daemon running")
	// ErrNameConflict: the name is taken and was not renamed
	// (kDNSServiceErr_NameConflict).
	ErrNameConflict = errors.New("mdnsresponder: name conflict")
	// ErrUnsupported: the daemon does not support the request
	// (kDNSServiceErr_Unsupported).
	ErrUnsupported = errors.New("mdnsresponder: not supported by the daemon")
	// ErrConnectionLost: the daemon closed the connection or broke the
	// protocol; every operation of the Backend has ended.
	ErrConnectionLost = errors.New("mdnsresponder: connection to the daemon lost")
	// ErrClosed: the Backend or the operation was closed.
	ErrClosed = errors.New("mdnsresponder: closed")
	// ErrLimit: the daemon is out of resources for this client, or a
	// query's reader fell too far behind.
	ErrLimit = errors.New("mdnsresponder: limit reached")
)

// NotRunningError reports that nothing speaking the mDNSResponder protocol
// answers on Path.
type NotRunningError struct {
	Path string
	Err  error // the connect error, or what went wrong in the first exchange
}

func (e *NotRunningError) Error() string {
	return fmt.Sprintf("mdnsresponder: no mDNSResponder-protocol daemon answers on %s (set DNSSD_UDS_PATH or Config.Path if it listens elsewhere): %v", e.Path, e.Err)
}

// Unwrap returns ErrNotRunning and the underlying error.
func (e *NotRunningError) Unwrap() []error { return []error{ErrNotRunning, e.Err} }

// DaemonError is an error code the daemon returned for an operation
// (dns_sd.h kDNSServiceErr_*).
type DaemonError struct {
	Op   string // "connect", "register", "update TXT", "query", "getproperty"
	Name string // what it was about: an instance or record name
	Code int32  // the DNSServiceErrorType, such as -65548
}

func (e *DaemonError) Error() string {
	code := ipc.Error(e.Code)
	what := e.Op
	if e.Name != "" {
		what += " " + e.Name
	}
	if n := code.Name(); n != "" {
		return fmt.Sprintf("mdnsresponder: %s: the daemon answered %s (%d)", what, n, e.Code)
	}
	return fmt.Sprintf("mdnsresponder: %s: the daemon answered error %d", what, e.Code)
}

// Unwrap returns the code as the internal ipc.Error (so that rendezvous's
// own daemon passes it on unchanged) and the sentinel that fits it, if
// any: ErrNameConflict, ErrUnsupported, ErrLimit (NoMemory,
// Refused) or ErrNotRunning (ServiceNotRunning).
func (e *DaemonError) Unwrap() []error {
	errs := []error{ipc.Error(e.Code)}
	switch ipc.Error(e.Code) {
	case ipc.NameConflict:
		errs = append(errs, ErrNameConflict)
	case ipc.Unsupported:
		errs = append(errs, ErrUnsupported)
	case ipc.NoMemory, ipc.Refused:
		errs = append(errs, ErrLimit)
	case ipc.ServiceNotRunning:
		errs = append(errs, ErrNotRunning)
	}
	return errs
}

func daemonErr(op, name string, code ipc.Error) error {
	if code == ipc.NoError {
		return nil
	}
	return &DaemonError{Op: op, Name: name, Code: int32(code)}
}
